// skein/distributed: torch.distributed's collectives over MPI, for data-parallel training across
// processes and machines. The only module that knows other processes exist.
//
// Collectives sit in the stream's order (submitExternal): one runs after the ops that wrote its
// tensor and before any later op, so `allReduce(g); g.div(2)` needs no await. They work in place
// on the tensor's memory; the addon's communication thread makes the MPI call while the main
// thread and the pool go on.
import { show } from '../validate.js';
import { inspect } from 'node:util';
import { DistributedError, DTypeError, fmtShape, ValueError } from '../errors.js';
import { submitExternal, synchronize } from '../runtime/stream.js';
import type { Storage } from '../storage.js';
import { Tensor } from '../tensor.js';
import { distributedError, KIND, mpiAddon, REDUCE, type CollectiveArray, type MpiAddon } from './backend.js';

export type ReduceOp = keyof typeof REDUCE;

export interface InitOptions {
  /**
   * How long a collective may wait for the other ranks before it fails with a DistributedError
   * (a rank died or hangs); default SKEIN_DIST_TIMEOUT_MS, else 5 minutes.
   */
  timeoutMs?: number;
}

export interface ReduceOptions {
  op?: ReduceOp;
}

const DEFAULT_TIMEOUT_MS = 300_000;
const ABORT_GRACE_MS = 250;

let addon: MpiAddon | null = null;
let rank = -1;
let worldSize = 0;
let starting: Promise<void> | null = null;
let destroyed = false;

function running(op: string): MpiAddon {
  if (addon === null || worldSize === 0) throw new DistributedError(`${op}: skein/distributed is not initialised; expected await init() first`);
  return addon;
}

/**
 * Joins the job: MPI gives this process its rank and the world size, which are also exported as
 * RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (as torchrun sets them).
 * @example
 * await distributed.init();   // mpirun -np 2 --bind-to none node train.js
 * console.log(distributed.getRank(), distributed.getWorldSize());
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (destroyed) return Promise.reject(new DistributedError('init: destroy() already ended MPI in this process, and MPI cannot start twice; expected one init() per process'));
  if (starting !== null) return starting;
  const fromEnv = Number(process.env.SKEIN_DIST_TIMEOUT_MS);
  const timeoutMs = options.timeoutMs ?? (fromEnv > 0 ? fromEnv : DEFAULT_TIMEOUT_MS);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new ValueError(`init: got timeoutMs ${String(timeoutMs)}, expected a positive number of milliseconds`);
  const native = mpiAddon('init');
  starting = native.init(timeoutMs).then(
    (info) => {
      addon = native;
      rank = info.rank;
      worldSize = info.size;
      Object.assign(process.env, { RANK: String(info.rank), WORLD_SIZE: String(info.size), LOCAL_RANK: String(info.localRank), LOCAL_WORLD_SIZE: String(info.localSize) });
      // A healthy job finalizes at exit. A failed one, or a process leaving with a non-zero code
      // (an uncaught error), aborts (MPI_Abort): that ends every rank now, not at the timeout.
      let fatal: unknown = undefined;
      process.on('uncaughtExceptionMonitor', (err) => (fatal = err));
      process.once('exit', (code) => {
        if (code !== 0 && native.state() !== 'finalized') {
          // Node prints an uncaught error after the 'exit' listeners, so MPI_Abort would swallow
          // it: print it here, and give the launcher's daemon a moment to pass it on.
          if (fatal !== undefined) process.stderr.write(`${inspect(fatal)}\n`);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ABORT_GRACE_MS);
        }
        native.shutdown(code);
      });
      process.on('SIGTERM', onTerminate);
    },
    (err: unknown) => {
      starting = null;
      throw distributedError('init', err);
    },
  );
  return starting;
}

export function isInitialized(): boolean {
  return addon !== null && worldSize > 0;
}

/** This process's rank, 0 … worldSize − 1. */
export function getRank(): number {
  running('getRank');
  return rank;
}

export function getWorldSize(): number {
  running('getWorldSize');
  return worldSize;
}

/** The tensor's elements as a typed array over its own memory (no copy). */
function elements(op: string, t: Tensor): CollectiveArray {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: got ${Array.isArray(t) ? 'an array' : t === null ? 'null' : typeof t}, expected a Tensor`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'int32') {
    throw new DTypeError(`${op}: got a tensor of dtype ${t.dtype}, expected float32, float64 or int32`);
  }
  if (!t.isContiguous()) throw new ValueError(`${op}: got a non-contiguous tensor (shape ${fmtShape(t.shape)}, strides [${t.strides.join(', ')}]); expected a contiguous one: contiguous() it first`);
  return (t.storage.data as CollectiveArray).subarray(t.offset, t.offset + t.numel());
}

function reduceCode(op: string, t: Tensor, options: ReduceOptions | undefined): number {
  const name = options?.op ?? 'sum';
  if (!Object.hasOwn(REDUCE, name)) throw new ValueError(`${op}: got op ${show(name)}, expected 'sum', 'avg', 'max' or 'min'`);
  if (name === 'avg' && t.dtype === 'int32') throw new DTypeError(`${op}: got op 'avg' on an int32 tensor, expected float32 or float64 (or op 'sum')`);
  return REDUCE[name];
}

/** Collectives not yet settled: a SIGTERM from the launcher fails them (see onTerminate). */
const waiting = new Map<(err: Error) => void, string>();

/** Queues one collective in the stream's order; its promise settles when MPI returned. */
function enqueue(op: string, reads: Storage[], writes: Storage[], call: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const run = () =>
      new Promise<void>((done, failed) => {
        const fail = (error: Error) => {
          waiting.delete(fail);
          reject(error);
          failed(error);
        };
        waiting.set(fail, op);
        call().then(
          () => {
            waiting.delete(fail);
            for (const s of writes) s.version += 1;
            resolve();
            done();
          },
          (err: unknown) => fail(distributedError(op, err)),
        );
      });
    submitExternal({ op, reads, writes, run });
  });
}

/**
 * mpirun ends the other ranks with SIGTERM when one dies. The collectives this rank is waiting
 * for fail with a DistributedError (so the program can say why), then the signal takes its
 * default course: no MPI_Finalize, which would wait for the dead rank.
 */
function onTerminate(): void {
  for (const [fail, op] of [...waiting]) fail(new DistributedError(`${op}: the launcher is ending this rank (SIGTERM) while it waits for the other ranks: another rank failed, or the job was cancelled`));
  setTimeout(() => {
    process.removeListener('SIGTERM', onTerminate);
    process.kill(process.pid, 'SIGTERM');
  }, 100);
}

/** Settled by the tensor's reads: the rejection is theirs to report, not an unhandled one. */
function quiet(p: Promise<void>): void {
  p.catch(() => undefined);
}

/**
 * Reduces t across ranks, in place: every rank ends with the same elementwise sum, mean, max or
 * min. Returns t; reads of t (and later ops on it) see the result.
 * @example allReduce(grad, { op: 'avg' })
 */
export function allReduce(t: Tensor, options?: ReduceOptions): Tensor {
  const native = running('allReduce');
  const data = elements('allReduce', t);
  const code = reduceCode('allReduce', t, options);
  quiet(enqueue('allReduce', [t.storage], [t.storage], () => native.collective(KIND.allReduce, data, null, code)));
  return t;
}

/**
 * Copies rank src's t into t on every rank, in place. Returns t.
 * @example broadcast(weights, 0)
 */
export function broadcast(t: Tensor, src = 0): Tensor {
  const native = running('broadcast');
  const data = elements('broadcast', t);
  if (!Number.isInteger(src) || src < 0 || src >= worldSize) throw new ValueError(`broadcast: got src ${String(src)}, expected a rank in [0, ${worldSize})`);
  quiet(enqueue('broadcast', [t.storage], [t.storage], () => native.collective(KIND.broadcast, data, null, src)));
  return t;
}

/**
 * Every rank's t, stacked in rank order: a fresh tensor of shape [worldSize, ...t.shape].
 * @example const all = allGather(localMetric) // [worldSize]
 */
export function allGather(t: Tensor): Tensor {
  const native = running('allGather');
  const data = elements('allGather', t);
  const out = Tensor.empty([worldSize, ...t.shape], t.dtype, false);
  const into = elements('allGather', out);
  quiet(enqueue('allGather', [t.storage], [out.storage], () => native.collective(KIND.allGather, data, into)));
  return out;
}

/**
 * Reduces t across ranks and gives each rank its slice of the result along dim 0: t's first dim
 * must split evenly into worldSize parts, and rank r gets part r (shape [t.shape[0] / worldSize, …]).
 * @example const mine = reduceScatter(grads, { op: 'sum' })
 */
export function reduceScatter(t: Tensor, options?: ReduceOptions): Tensor {
  const native = running('reduceScatter');
  const data = elements('reduceScatter', t);
  const code = reduceCode('reduceScatter', t, options);
  if (t.ndim === 0 || t.shape[0] % worldSize !== 0) {
    throw new ValueError(`reduceScatter: got shape ${fmtShape(t.shape)}, expected a first dim divisible by the world size ${worldSize}`);
  }
  const out = Tensor.empty([t.shape[0] / worldSize, ...t.shape.slice(1)], t.dtype, false);
  const into = elements('reduceScatter', out);
  quiet(enqueue('reduceScatter', [t.storage], [out.storage], () => native.collective(KIND.reduceScatter, data, into, code)));
  return out;
}

/**
 * Resolves once every rank has reached this barrier (after the ops queued before it ran).
 * @example if (getRank() === 0) await save(model.stateDict(), path); await barrier();
 */
export function barrier(): Promise<void> {
  const native = running('barrier');
  return enqueue('barrier', [], [], () => native.collective(KIND.barrier));
}

/**
 * Leaves the job once every queued op has run: MPI is finalized and the communication thread
 * joined, so the process exits by itself. After a failed collective it aborts the job instead
 * (MPI_Abort), since the other ranks cannot finalize with this one.
 * @example await destroy()
 */
export async function destroy(): Promise<void> {
  const native = running('destroy');
  destroyed = true;
  await synchronize().catch(() => undefined);
  if (native.state() === 'failed') {
    native.abort(1);
    return;
  }
  try {
    await native.finalize();
  } catch (err) {
    throw distributedError('destroy', err);
  } finally {
    native.join();
    process.removeListener('SIGTERM', onTerminate);
    addon = null;
    worldSize = 0;
    rank = -1;
  }
}
