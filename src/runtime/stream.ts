// The stream: an in-order queue of kernel launches. Small launches run inline on the main thread,
// medium ones on the lane (the main thread and helper threads at once, lane.ts), and large ones
// are cut into tiles for the pool while the main thread returns to the event loop. In-order
// execution makes in-place ops and optimizer updates safe without dependency tracking; reads are
// the only await.
import { DeviceError, IndexError, ValueError } from '../errors.js';
import { kernelOf, runKernel, type KernelTask } from '../kernels/index.js';
import type { Storage } from '../storage.js';
import { runOnLane } from './lane.js';
import { activeKernelConfig, getNumThreads, runOnPool } from './pool.js';
import { CONTROL_SLOTS, DONE, EXITED, FAILED, runTiles, type TileJob } from './tiles.js';
import { show } from '../validate.js';

export interface Launch {
  /** The op's name, for errors. */
  op: string;
  task: KernelTask;
  reads: Storage[];
  writes: Storage[];
  /** Writes into storage that existed before (an in-place op) rather than a fresh output. */
  inPlace: boolean;
}

/**
 * Work estimated below this runs inline. DESIGN.md's probe put a 2-way split at 45–100 µs, but
 * a real launch here (fresh buffers cloned to the workers, two workers waking on two cores)
 * costs 150–450 µs: the tutorial's 0.35 ms products ran faster inline, W1 by 1.4×.
 */
let inlineLimitNs = 500_000;
/**
 * Work estimated from here up to the inline limit is split between the main thread and the
 * lane's helpers (lane.ts), which pick a job up in ≈ 15 µs; below it, splitting saves less
 * than it costs.
 */
let laneLimitNs = 60_000;
/** Tile size in estimated time: small enough to balance two workers, large enough to amortise a claim. */
const TILE_NS = 40_000;
/** Launches queued before a never-awaiting script is made to wait (memory stays bounded). */
const MAX_DEPTH = 512;
/** The async pump yields to the event loop after this long, so timers and I/O keep turning. */
const PUMP_SLICE_MS = 8;

interface InFlight {
  launch: Launch;
  job: TileJob;
  finished: boolean;
}

export interface RuntimeStats {
  inlineLaunches: number;
  /** Launches split between the main thread and the lane's helper threads. */
  laneLaunches: number;
  poolLaunches: number;
  poolTasks: number;
  /** The most launches ever waiting in the queue; never above queueBound. */
  maxQueueDepth: number;
  /** The stream's bounded depth: a script that never awaits is held back here. */
  queueBound: number;
  /** Times a full queue made the main thread drain it before taking more work. */
  backpressureDrains: number;
}

const stats: RuntimeStats = { inlineLaunches: 0, laneLaunches: 0, poolLaunches: 0, poolTasks: 0, maxQueueDepth: 0, queueBound: MAX_DEPTH, backpressureDrains: 0 };
let injectedFault: 'throw' | 'exit' | null = null;

/** Why a pool task failed, in the words a user needs: a worker that died is not a kernel bug. */
function kernelError(launch: Launch, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  // api: a kernel's overflow (an int32 sum that does not fit) is a bad value, not a bad index.
  if (e.name === 'RangeError' && / overflows /.test(e.message)) return new ValueError(`${launch.op}: ${e.message}`, { cause: e });
  if (e.name === 'RangeError') return new IndexError(e.message.startsWith(launch.op) ? e.message : `${launch.op}: ${e.message}`, { cause: e });
  if (/exited|terminat/i.test(e.message)) {
    return new DeviceError(`${launch.op}: a worker thread died while running this op (${e.message}); the pool replaces it, and this result is lost`, { cause: e });
  }
  return new DeviceError(`${launch.op}: a worker thread threw while running this op (${e.message}); this result is lost`, { cause: e });
}

class Stream {
  private queue: (Launch | undefined)[] = [];
  private head = 0;
  private inflight: InFlight | null = null;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /**
   * Failures no read has reported yet, with the storages their launch wrote (api: kept per
   * launch so a scoped synchronize, and Session.run, report only failures of what they own;
   * an unscoped synchronize() reports the first, as before).
   */
  private pending: { error: Error; writes: readonly Storage[] }[] = [];

  /**
   * api: the old bits of in-place targets whose launch runs off the main thread (lane or pool).
   * A fault mid-launch, or shutdown() while it is in flight, leaves tiles half-applied; the
   * target then gets these bits back and stays readable (the failure is still reported by
   * synchronize()). Costs one copy of the target per such launch (optimizer updates of large
   * parameters): the price of "updated or unchanged, never half-written".
   */
  private backups = new Map<Launch, ArrayLike<number>[]>();
  /** In-place launches shutdown() caught in flight: restored once the pool has stopped. */
  private abandonedInPlace: Launch[] = [];

  private backUp(launch: Launch): void {
    if (launch.inPlace) this.backups.set(launch, launch.writes.map((s) => s.data.slice()));
  }

  /** Puts an in-place target's old bits back; false if there were none (a fresh output). */
  private restore(launch: Launch): boolean {
    const saved = this.backups.get(launch);
    this.backups.delete(launch);
    if (saved === undefined) return false;
    launch.writes.forEach((s, i) => s.data.set(saved[i]));
    return true;
  }

  /** After shutdown's pool teardown (no worker can still write): in-flight in-place targets get their old bits. */
  restoreAbandoned(): void {
    for (const launch of this.abandonedInPlace) this.restore(launch);
    this.abandonedInPlace = [];
  }

  private note(error: Error | null, writes: readonly Storage[]): void {
    if (error !== null && this.pending.length < 64) this.pending.push({ error, writes });
  }
  /** shutdown() calls so far, and why: reads waiting across one reject with it. */
  private shutdowns = 0;
  private shutdownReason: Error | null = null;

  submit(launch: Launch): void {
    if (this.isIdle()) {
      this.execute(launch);
      return;
    }
    this.queue.push(launch);
    const depth = this.queue.length - this.head;
    if (depth > stats.maxQueueDepth) stats.maxQueueDepth = depth;
    if (depth >= MAX_DEPTH) {
      stats.backpressureDrains += 1;
      this.drainSync();
    }
  }

  /**
   * Runs everything queued now, blocking the main thread (anomaly mode reads gradients inside a
   * synchronous backward). Failures stay marked on the storages they should have written.
   */
  flushSync(): void {
    if (!this.isIdle()) this.drainSync();
  }

  /** A read is reporting err to its caller: synchronize() need not report it again. */
  reported(err: Error): Error {
    this.pending = this.pending.filter((p) => p.error !== err);
    return err;
  }

  isIdle(): boolean {
    return this.inflight === null && !this.pumpScheduled && this.head === this.queue.length;
  }

  /**
   * Resolves once every launch so far has run; rejects with a failure no read has reported:
   * any (scope undefined), or only one whose launch wrote a storage in scope.
   */
  async synchronize(scope?: ReadonlySet<Storage>): Promise<void> {
    await this.idle();
    const i = scope === undefined ? (this.pending.length > 0 ? 0 : -1) : this.pending.findIndex((p) => p.writes.some((s) => scope.has(s)));
    if (i < 0) return;
    const err = this.pending[i].error;
    this.pending = scope === undefined ? [] : this.pending.filter((p) => p.error !== err);
    throw err;
  }

  /**
   * Waits for the queue to empty without reporting failures (a read reports its own tensor's).
   * Always a turn of the event loop, even when nothing is queued: timers, I/O and finalisers run,
   * so a training loop that reads once a step never starves a server in the same process, and
   * the buffers of collected tensors come back to the allocator.
   */
  async idle(): Promise<void> {
    const epoch = this.shutdowns;
    if (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    else await new Promise<void>((resolve) => setImmediate(resolve));
    // A read still waiting when shutdown() came rejects, even if its own value was ready.
    if (this.shutdowns !== epoch && this.shutdownReason !== null) throw this.shutdownReason;
  }

  /**
   * Fails every queued launch (their reads reject) and forgets them; used by shutdown(). An
   * in-place launch that never started leaves its target as it was (usable after a restart); the
   * one in flight may have written part of its output, so that output is marked failed.
   */
  abandon(reason: Error): void {
    this.shutdowns += 1;
    this.shutdownReason = reason;
    while (this.head < this.queue.length) {
      const launch = this.queue[this.head++] as Launch;
      if (launch.inPlace) this.note(reason, launch.writes);
      else for (const s of launch.writes) s.error ??= reason;
    }
    if (this.inflight !== null && this.backups.has(this.inflight.launch)) {
      // An in-place update in flight: its target gets its old bits back after the pool stops.
      this.abandonedInPlace.push(this.inflight.launch);
      this.note(reason, this.inflight.launch.writes);
      this.inflight.finished = true;
    } else if (this.inflight !== null) {
      for (const s of this.inflight.launch.writes) s.error ??= reason;
      // Its pool tasks still settle later (rejected by the pool's teardown); they must not report
      // that as a fresh failure to the next synchronize(), nor restart the pump.
      this.inflight.finished = true;
    }
    this.inflight = null;
    this.resetIfDrained();
  }

  /** Runs one launch now: inline, or dispatched to the pool (then the queue waits for it). */
  private execute(launch: Launch): void {
    const poisoned = launch.reads.find((s) => s.error !== null);
    if (poisoned !== undefined) {
      // A failed producer: fresh outputs inherit its error; an in-place target keeps its old values.
      if (launch.inPlace) this.note(poisoned.error, launch.writes);
      else for (const s of launch.writes) s.error = poisoned.error;
      return;
    }
    const kernel = kernelOf(launch.task.kernel);
    const units = kernel.units(launch.task.args);
    if (units === 0) return;
    const unitCost = Math.max(kernel.unitCost(launch.task.args), 1);
    const cost = units * unitCost;
    const threads = getNumThreads();
    if (units === 1 || cost < Math.min(laneLimitNs, inlineLimitNs) || (cost < inlineLimitNs && threads === 1)) {
      stats.inlineLaunches += 1;
      try {
        runKernel(launch.task, 0, units);
      } catch (err) {
        this.fail(launch, err);
      }
      return;
    }
    if (cost < inlineLimitNs) {
      this.runLane(launch, units, threads);
      return;
    }
    this.dispatch(launch, units, unitCost);
  }

  /** The main thread and threads − 1 helpers share the launch; it is done when this returns. */
  private runLane(launch: Launch, units: number, threads: number): void {
    // At most two tiles per thread: the helpers wake a little late, and a kernel keeps what it
    // packed across the units of one tile.
    const grain = Math.ceil(units / (2 * threads));
    const fault = injectedFault ?? undefined;
    injectedFault = null;
    stats.laneLaunches += 1;
    this.backUp(launch);
    try {
      runOnLane(launch.task, units, grain, fault, threads - 1, activeKernelConfig());
    } catch (err) {
      this.fail(launch, err);
    }
    this.backups.delete(launch);
  }

  private dispatch(launch: Launch, units: number, unitCost: number): void {
    // Tiles of at least TILE_NS, and no more than two per worker: a kernel keeps what it packed
    // across the consecutive units of one call (the WASM matmul reuses its packed B panel), and
    // fewer claims cost less. Any grain gives the same bits: units are independent.
    const grain = Math.max(1, Math.ceil(TILE_NS / unitCost), Math.ceil(units / (2 * getNumThreads())));
    const tiles = Math.ceil(units / grain);
    const job: TileJob = { task: launch.task, control: new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4)), tiles, grain, units };
    if (injectedFault !== null) {
      job.fault = injectedFault;
      injectedFault = null;
    }
    const tasks = Math.min(getNumThreads(), tiles);
    stats.poolLaunches += 1;
    stats.poolTasks += tasks;
    this.backUp(launch);
    const entry: InFlight = { launch, job, finished: false };
    this.inflight = entry;
    const runs = Array.from({ length: tasks }, () => runOnPool(job));
    void Promise.allSettled(runs).then((results) => {
      if (entry.finished) return;
      entry.finished = true;
      const failure = results.find((r) => r.status === 'rejected');
      if (failure !== undefined) this.fail(launch, (failure as PromiseRejectedResult).reason);
      this.backups.delete(launch);
      if (this.inflight === entry) this.inflight = null;
      this.pump();
    });
  }

  private fail(launch: Launch, err: unknown): void {
    const error = kernelError(launch, err);
    // An in-place target with a backup keeps its old bits and stays readable; others are marked.
    if (!this.restore(launch)) for (const s of launch.writes) s.error = error;
    this.note(error, launch.writes);
  }

  /** Runs queued launches in order until one goes to the pool or the time slice ends. */
  private pump(): void {
    this.pumpScheduled = false;
    const started = performance.now();
    while (this.inflight === null && this.head < this.queue.length) {
      if (performance.now() - started > PUMP_SLICE_MS) {
        this.pumpScheduled = true;
        setImmediate(() => this.pump());
        return;
      }
      const launch = this.queue[this.head] as Launch;
      this.queue[this.head++] = undefined;
      this.execute(launch);
    }
    this.resetIfDrained();
  }

  private resetIfDrained(): void {
    if (this.inflight !== null || this.head < this.queue.length) return;
    this.queue.length = 0;
    this.head = 0;
    if (this.pumpScheduled) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Backpressure for a script that never awaits: the main thread finishes the job in flight
   * (claiming its unclaimed tiles, waiting for those a worker holds) and runs the queue itself.
   * It never waits on a task piscina might still hold, so it cannot deadlock.
   */
  private drainSync(): void {
    const entry = this.inflight;
    if (entry !== null) {
      runTiles(entry.job);
      const { control, tiles } = entry.job;
      for (let done = Atomics.load(control, DONE); done < tiles && Atomics.load(control, FAILED) === 0; done = Atomics.load(control, DONE)) {
        if (Atomics.wait(control, DONE, done, 30_000) === 'timed-out') {
          this.fail(entry.launch, new Error('a worker stopped answering'));
          break;
        }
      }
      if (Atomics.load(control, FAILED) !== 0) this.fail(entry.launch, new Error(Atomics.load(control, FAILED) === EXITED ? 'a worker exited' : 'a worker threw'));
      this.backups.delete(entry.launch);
      entry.finished = true;
      this.inflight = null;
    }
    while (this.head < this.queue.length) {
      const launch = this.queue[this.head] as Launch;
      this.queue[this.head++] = undefined;
      if (launch.reads.some((s) => s.error !== null)) {
        this.execute(launch);
        continue;
      }
      stats.inlineLaunches += 1;
      const units = kernelOf(launch.task.kernel).units(launch.task.args);
      try {
        runKernel(launch.task, 0, units);
      } catch (err) {
        this.fail(launch, err);
      }
    }
    this.resetIfDrained();
  }
}

export const stream = new Stream();

export function submit(launch: Launch): void {
  stream.submit(launch);
}

/**
 * Waits until every op issued so far has run; rejects with the first device failure not yet
 * reported by a read. Given tensors (a loop's parameters, say), it rejects only with a failure
 * of an op that wrote one of them, so concurrent loops do not receive each other's errors.
 * @example await synchronize()  // or: await synchronize(...model.parameters())
 */
export function synchronize(...tensors: { storage: Storage }[]): Promise<void> {
  return stream.synchronize(tensors.length === 0 ? undefined : new Set(tensors.map((t) => t.storage)));
}

/**
 * Sets the estimated single-thread time (ns) below which a launch runs inline on the main thread
 * rather than on the pool (default 500 µs). Results are the same bits either way; tests lower it
 * to put small work on the pool.
 * @example setInlineLimit(0) // every launch with more than one unit goes to the pool
 */
export function setInlineLimit(ns: number): void {
  if (typeof ns !== 'number' || !(ns >= 0)) throw new ValueError(`setInlineLimit: got ${show(ns)}, expected a non-negative number of nanoseconds`);
  inlineLimitNs = ns;
}

export function getInlineLimit(): number {
  return inlineLimitNs;
}

/**
 * Sets the estimated single-thread time (ns) from which a launch below the inline limit is split
 * between the main thread and helper threads (default 60 µs); same bits either way. Tests set it
 * to 0, with a high inline limit, to put every multi-unit launch on the lane.
 * @example setLaneLimit(0)
 */
export function setLaneLimit(ns: number): void {
  if (typeof ns !== 'number' || !(ns >= 0)) throw new ValueError(`setLaneLimit: got ${show(ns)}, expected a non-negative number of nanoseconds`);
  laneLimitNs = ns;
}

export function getLaneLimit(): number {
  return laneLimitNs;
}

export function runtimeStats(): RuntimeStats {
  return { ...stats };
}

/**
 * Test hook: in the next pool or lane launch, the first worker to pick it up runs one tile, then
 * throws ('throw') or kills its thread ('exit') while holding a second tile: a failure mid-op.
 */
export function injectWorkerFault(kind: 'throw' | 'exit'): void {
  injectedFault = kind;
}
