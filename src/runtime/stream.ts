// The stream: an in-order queue of kernel launches. Small launches run inline on the main thread,
// medium ones on the lane (the main thread and helper threads at once, lane.ts), and large ones
// are cut into tiles for the pool while the main thread returns to the event loop. In-order
// execution makes in-place ops and optimizer updates safe without dependency tracking; reads are
// the only await.
//
// A launch is recorded (submit), executed (execute: inline, lane or pool) and completed, always
// in that order. When a script queues faster than the device drains (it never awaits), the queue
// fills to MAX_DEPTH; the main thread then makes room by executing launches itself, blocked, but
// never alone: a launch that would have gone to the pool goes to the lane, so all N threads work
// on it. An external launch (a collective) belongs in execute(), as a third kind beside the pool
// job: it holds the queue until its promise settles, as a pool job does.
import { DeviceError, IndexError, SkeinError, ValueError } from '../errors.js';
import { kernelOf, type KernelTask } from '../kernels/index.js';
import { setReleaseGate } from '../release-gate.js';
import type { Storage } from '../storage.js';
import { InPlaceBackups } from './backups.js';
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
 * Work done outside the device (a collective over the network, say) that must sit in the stream's
 * order: run() starts once every earlier launch has run, and no later launch runs until its
 * promise settles. A rejection fails it as a kernel fault would (its writes' reads reject); a
 * SkeinError is reported as it is.
 */
export interface ExternalLaunch {
  op: string;
  reads: Storage[];
  writes: Storage[];
  run: () => Promise<void>;
}

type Queued = Launch | (ExternalLaunch & { inPlace: true });

/**
 * Work estimated below this runs on the main thread: alone below the lane limit, else with the
 * lane's helpers. Above it, the pool takes the launch and the main thread returns to the event
 * loop. The bound is the event loop's, not the kernels': a launch on the main thread blocks it
 * for its own time, and a pool launch costs more. Measured on W2 (2 threads, OpenBLAS), the
 * same products ran 12,100 samples/s on the lane against 10,500 on the pool (a pool launch's
 * round trip through piscina's messages, ≈ 0.3 ms, against a doorbell the helpers see in
 * ≈ 15 µs); cnn 926 against 869, lstm 25,000 against 24,100 tokens/s. 10 ms of estimated
 * single-thread work blocks the main thread for 5–10 ms, under the pump's own slice.
 */
let inlineLimitNs = 10_000_000;
/**
 * Work estimated from here up to the inline limit is split between the main thread and the
 * lane's helpers (lane.ts), which pick a job up in ≈ 15 µs; below it, splitting saves less
 * than it costs.
 */
let laneLimitNs = 60_000;
/**
 * An in-place launch runs inline up to this much work (or IN_PLACE_INLINE_FACTOR times the inline
 * limit, when a test lowers it). Off the main thread it must first copy its target (the backup
 * below), a serial pass on the main thread that cost about as much as the whole update run
 * inline: W2's SGD step on its 1M-element weight took 3.2 ms to back up plus 1.3 ms on the pool,
 * against 1.2–1.9 ms inline, which needs no backup.
 */
const IN_PLACE_INLINE_NS = 2_000_000;
const IN_PLACE_INLINE_FACTOR = 4;
/** Tile size in estimated time: small enough to balance two workers, large enough to amortise a claim. */
const TILE_NS = 40_000;
/** Launches queued before a never-awaiting script is made to wait (memory stays bounded). */
const MAX_DEPTH = 512;
/** A full queue is worked down to this depth before the script may queue again. */
const LOW_WATER = MAX_DEPTH / 2;
/** optimizer.step() resolves once no more than this many launches wait: about a step of W2. */
export const STEP_BOUND = 64;
/**
 * The main thread runs launches for at most this long per turn of the event loop (at submit, and
 * in the async pump), then yields, so timers and I/O keep turning. With launches of up to the
 * inline limit on the main thread, W2 beside an HTTP server (2 threads) gave event-loop p99
 * 25.6 ms with 8 ms slices, 16.4 with 4, 12.1 with 2, at the same step time within noise.
 */
const PUMP_SLICE_MS = 3;

interface InFlight {
  launch: Queued;
  /** The pool job, or null for an external launch (nothing to claim: its promise settles it). */
  job: TileJob | null;
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
  /** Launches waiting now. */
  queueDepth: number;
  /** Times a full queue made the main thread wait, working down the queue with every thread. */
  backpressureWaits: number;
  /**
   * Launches big enough for the lane or the pool that a blocked main thread ran by itself on more
   * than one thread's worth of setNumThreads: always 0 (the invariant the issue asks to show).
   */
  singleThreadedDrains: number;
  /** The matmul kernel in use: 'native' (OpenBLAS), 'relaxed' or 'simd' (WebAssembly), or 'js'. */
  matmulKernel: string;
}

const stats: Omit<RuntimeStats, 'matmulKernel'> = { inlineLaunches: 0, laneLaunches: 0, poolLaunches: 0, poolTasks: 0, maxQueueDepth: 0, queueBound: MAX_DEPTH, queueDepth: 0, backpressureWaits: 0, singleThreadedDrains: 0 };
let injectedFault: 'throw' | 'exit' | null = null;

/** Why a pool task failed, in the words a user needs: a worker that died is not a kernel bug. */
function kernelError(launch: Queued, err: unknown): Error {
  if (err instanceof SkeinError && 'run' in launch) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  // api: a kernel's overflow (an int32 sum that does not fit) or a failed value check
  // (kernels/checks.ts) is a bad value, not a bad index.
  if (e.name === 'RangeError' && / overflows |, expected values in \[/.test(e.message)) return new ValueError(`${launch.op}: ${e.message}`, { cause: e });
  if ('run' in launch) return new DeviceError(`${launch.op}: ${e.message}`, { cause: e });
  if (e.name === 'RangeError') return new IndexError(e.message.startsWith(launch.op) ? e.message : `${launch.op}: ${e.message}`, { cause: e });
  if (/exited|terminat/i.test(e.message)) {
    return new DeviceError(`${launch.op}: a worker thread died while running this op (${e.message}); the pool replaces it, and this result is lost`, { cause: e });
  }
  return new DeviceError(`${launch.op}: a worker thread threw while running this op (${e.message}); this result is lost`, { cause: e });
}

class Stream {
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  private inflight: InFlight | null = null;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Callers of room(): each resolves once the queue is no deeper than its bound. */
  private roomWaiters: { bound: number; resolve: () => void }[] = [];
  private pendingRoom: { bound: number; promise: Promise<void> } | null = null;
  /**
   * Failures no read has reported yet, with the storages their launch wrote (api: kept per
   * launch so a scoped synchronize, and Session.run, report only failures of what they own;
   * an unscoped synchronize() reports the first, as before).
   */
  private pending: { error: Error; writes: readonly Storage[] }[] = [];

  /** Old bits of in-place targets of launches off the main thread (backups.ts). */
  private backups = new InPlaceBackups<Queued>();

  /** After shutdown's pool teardown (no worker can still write): in-flight in-place targets get their old bits. */
  restoreAbandoned(): void {
    this.backups.restoreAbandoned();
  }

  private note(error: Error | null, writes: readonly Storage[]): void {
    if (error !== null && this.pending.length < 64) this.pending.push({ error, writes });
  }
  /** shutdown() calls so far, and why: reads waiting across one reject with it. */
  private shutdowns = 0;
  private shutdownReason: Error | null = null;

  /** Launches submitted, and launches finished (run, failed or dropped): always in this order. */
  private submitted = 0;
  private finished = 0;
  /** Blocks released while launches were outstanding (Storage.release), with the count they wait for. */
  private deferredAt: number[] = [];
  private deferredFree: (() => void)[] = [];
  private deferredHead = 0;

  busy(): boolean {
    return this.submitted !== this.finished;
  }

  defer(free: () => void): void {
    this.deferredAt.push(this.submitted);
    this.deferredFree.push(free);
  }

  /** One more launch has finished; blocks released before it was the last outstanding go back. */
  private pass(): void {
    this.finished += 1;
    while (this.deferredHead < this.deferredAt.length && this.deferredAt[this.deferredHead] <= this.finished) {
      const free = this.deferredFree[this.deferredHead];
      this.deferredFree[this.deferredHead++] = undefined as unknown as () => void;
      free();
    }
    if (this.deferredHead === this.deferredAt.length && this.deferredHead > 0) {
      this.deferredAt = [];
      this.deferredFree = [];
      this.deferredHead = 0;
    }
  }

  /** After execute(launch): it has finished unless it is now the job in flight. */
  private passUnlessInFlight(launch: Queued): void {
    if (this.inflight === null || this.inflight.launch !== launch) this.pass();
  }

  submit(launch: Queued): void {
    this.submitted += 1;
    if (this.isIdle()) {
      if (this.withinSlice()) {
        this.execute(launch);
        this.passUnlessInFlight(launch);
        return;
      }
      // This turn of the event loop has run launches for a slice already: the rest run from the
      // pump, which yields between slices, while the script records the next ones.
      this.pumpScheduled = true;
      setImmediate(() => this.pump());
    }
    this.queue.push(launch);
    const depth = this.queue.length - this.head;
    if (depth > stats.maxQueueDepth) stats.maxQueueDepth = depth;
    if (depth >= MAX_DEPTH) {
      stats.backpressureWaits += 1;
      this.runBlocking(LOW_WATER);
    }
  }

  /** When this turn of the event loop began running launches at submit; −1 before the first. */
  private sliceStart = -1;
  private readonly endSlice = (): void => {
    this.sliceStart = -1;
  };

  /**
   * Whether a launch submitted now may run at once, on the main thread: only within PUMP_SLICE_MS
   * of the first launch this turn ran. Launches of up to the inline limit run on the main thread,
   * so a step of W2 recorded in one turn would otherwise hold the event loop for the whole step
   * (measured beside an HTTP server: event-loop p99 34 ms, against 7 ms when it yields).
   */
  private withinSlice(): boolean {
    const now = performance.now();
    if (this.sliceStart < 0) {
      this.sliceStart = now;
      setImmediate(this.endSlice);
      return true;
    }
    return now - this.sliceStart < PUMP_SLICE_MS;
  }

  /**
   * Runs everything queued now, blocking the main thread (anomaly mode reads gradients inside a
   * synchronous backward). Failures stay marked on the storages they should have written.
   */
  flushSync(): void {
    if (!this.isIdle()) this.runBlocking(0);
  }

  /**
   * Resolves after a turn of the event loop, once at most `bound` launches wait: the natural
   * yield point of a loop that awaits only optimizer.step(). Host work for the next step is
   * recorded while the device runs the rest of the queue.
   */
  room(bound: number): Promise<void> {
    // Callers that never await (a loop ignoring optimizer.step()'s promise) share one pending
    // promise, so nothing piles up per call until the loop yields.
    const pending = this.pendingRoom;
    if (pending !== null && pending.bound === bound) return pending.promise;
    const entry: { bound: number; promise: Promise<void> | null } = { bound, promise: null };
    const promise = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.pendingRoom === entry) this.pendingRoom = null;
      if (this.depth() > bound) await new Promise<void>((resolve) => this.roomWaiters.push({ bound, resolve }));
    })();
    entry.promise = promise;
    this.pendingRoom = entry as { bound: number; promise: Promise<void> };
    return promise;
  }

  queueDepth(): number {
    return this.depth();
  }

  private depth(): number {
    return this.queue.length - this.head;
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
      const launch = this.queue[this.head++] as Queued;
      if (launch.inPlace) this.note(reason, launch.writes);
      else for (const s of launch.writes) s.error ??= reason;
    }
    if (this.inflight !== null && this.backups.has(this.inflight.launch)) {
      // An in-place update in flight: its target gets its old bits back after the pool stops.
      this.backups.abandon(this.inflight.launch);
      this.note(reason, this.inflight.launch.writes);
      this.inflight.finished = true;
    } else if (this.inflight !== null) {
      for (const s of this.inflight.launch.writes) s.error ??= reason;
      // Its pool tasks still settle later (rejected by the pool's teardown); they must not report
      // that as a fresh failure to the next synchronize(), nor restart the pump.
      this.inflight.finished = true;
    }
    this.inflight = null;
    // Every launch is dropped or done: blocks released behind them go back.
    while (this.finished < this.submitted) this.pass();
    this.resetIfDrained();
  }

  /**
   * Runs one launch now: inline, on the lane, or dispatched to the pool (then the queue waits for
   * it). A blocked main thread (`blocked`) cannot hand work to piscina and wait for its answer,
   * which arrives by message: it puts pool-sized launches on the lane, every thread working.
   */
  private execute(launch: Queued, blocked = false): void {
    let poisoned: Storage | undefined;
    for (const s of launch.reads) {
      if (s.error === null) continue;
      poisoned = s;
      break;
    }
    if (poisoned !== undefined) {
      // A failed producer: fresh outputs inherit its error; an in-place target keeps its old values.
      if (launch.inPlace) this.note(poisoned.error, launch.writes);
      else for (const s of launch.writes) s.error = poisoned.error;
      return;
    }
    if ('run' in launch) {
      this.runExternal(launch);
      return;
    }
    const kernel = kernelOf(launch.task.kernel);
    const units = kernel.units(launch.task.args);
    if (units === 0) return;
    // One unit always runs inline, so its cost is not worked out (most launches of a small model).
    const unitCost = units === 1 ? 0 : Math.max(kernel.unitCost(launch.task.args), 1);
    const cost = units * unitCost;
    const threads = getNumThreads();
    if (runsInline(launch, units, cost, threads)) {
      stats.inlineLaunches += 1;
      try {
        kernel.run(launch.task.args, 0, units);
      } catch (err) {
        this.fail(launch, err);
      }
      return;
    }
    if (cost < inlineLimitNs || blocked) {
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
    this.backups.take(launch);
    try {
      runOnLane(launch.task, units, grain, fault, threads - 1, activeKernelConfig());
    } catch (err) {
      this.fail(launch, err);
    }
    this.backups.drop(launch);
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
    this.backups.take(launch);
    const entry: InFlight = { launch, job, finished: false };
    this.inflight = entry;
    const runs = Array.from({ length: tasks }, () => runOnPool(job));
    void Promise.allSettled(runs).then((results) => {
      if (entry.finished) return;
      entry.finished = true;
      const failure = results.find((r) => r.status === 'rejected');
      if (failure !== undefined) this.fail(launch, (failure as PromiseRejectedResult).reason);
      this.backups.drop(launch);
      if (this.inflight === entry) this.inflight = null;
      this.pass();
      this.pump();
    });
  }

  /** Starts an external launch; the queue waits until its promise settles. */
  private runExternal(launch: ExternalLaunch & { inPlace: true }): void {
    const entry: InFlight = { launch, job: null, finished: false };
    this.inflight = entry;
    let running: Promise<void>;
    try {
      running = launch.run();
    } catch (err) {
      running = Promise.reject(err);
    }
    void running.then(
      () => this.settleExternal(entry, null),
      (err: unknown) => this.settleExternal(entry, err ?? new Error('rejected')),
    );
  }

  private settleExternal(entry: InFlight, err: unknown): void {
    if (entry.finished) return;
    entry.finished = true;
    if (err !== null) this.fail(entry.launch, err);
    if (this.inflight === entry) this.inflight = null;
    this.pass();
    this.pump();
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const depth = this.depth();
    const ready = this.roomWaiters.filter((w) => w.bound >= depth);
    if (ready.length === 0) return;
    this.roomWaiters = this.roomWaiters.filter((w) => w.bound < depth);
    for (const w of ready) w.resolve();
  }

  private fail(launch: Queued, err: unknown): void {
    const error = kernelError(launch, err);
    // An in-place target with a backup keeps its old bits and stays readable; others are marked.
    if (!this.backups.restore(launch)) for (const s of launch.writes) s.error = error;
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
      const launch = this.queue[this.head] as Queued;
      this.queue[this.head++] = undefined;
      this.execute(launch);
      this.passUnlessInFlight(launch);
    }
    this.wakeRoomWaiters();
    this.resetIfDrained();
  }

  private resetIfDrained(): void {
    if (this.inflight !== null || this.head < this.queue.length) return;
    this.queue.length = 0;
    this.head = 0;
    this.wakeRoomWaiters();
    if (this.pumpScheduled) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Backpressure for a script that never awaits: the main thread finishes the job in flight
   * (claiming its unclaimed tiles beside the pool's workers, waiting for those a worker holds),
   * then executes queued launches in order until at most `until` wait, each as it would run
   * unblocked except that pool-sized ones run on the lane: all N threads work, the main thread
   * among them. It never waits on a task piscina might still hold, so it cannot deadlock. It stops
   * at an external launch: only its promise can finish it, so the queue waits for the event loop.
   */
  private runBlocking(until: number): void {
    const entry = this.inflight;
    if (entry !== null && entry.job === null) return;
    if (entry !== null && entry.job !== null) {
      runTiles(entry.job);
      const { control, tiles } = entry.job;
      for (let done = Atomics.load(control, DONE); done < tiles && Atomics.load(control, FAILED) === 0; done = Atomics.load(control, DONE)) {
        if (Atomics.wait(control, DONE, done, 30_000) === 'timed-out') {
          this.fail(entry.launch, new Error('a worker stopped answering'));
          break;
        }
      }
      if (Atomics.load(control, FAILED) !== 0) this.fail(entry.launch, new Error(Atomics.load(control, FAILED) === EXITED ? 'a worker exited' : 'a worker threw'));
      this.backups.drop(entry.launch);
      entry.finished = true;
      this.inflight = null;
      this.pass();
    }
    while (this.inflight === null && this.depth() > until) {
      const launch = this.queue[this.head] as Queued;
      this.queue[this.head++] = undefined;
      const before = stats.inlineLaunches;
      this.execute(launch, true);
      this.passUnlessInFlight(launch);
      if (stats.inlineLaunches !== before && !('run' in launch) && this.wouldSplit(launch)) stats.singleThreadedDrains += 1;
    }
    // The rest of the queue runs from the event loop, as after a pool job.
    if (this.head < this.queue.length && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => this.pump());
    }
    this.resetIfDrained();
  }

  /** Whether execute() would spread this launch over several threads (it is past the lane limit). */
  private wouldSplit(launch: Launch): boolean {
    const kernel = kernelOf(launch.task.kernel);
    const units = kernel.units(launch.task.args);
    const cost = units * Math.max(kernel.unitCost(launch.task.args), 1);
    return getNumThreads() > 1 && !runsInline(launch, units, cost, getNumThreads()) && units > 1 && cost >= Math.min(laneLimitNs, inlineLimitNs);
  }
}

/** Whether execute() runs a launch on the main thread alone (see the executors' table in ARCHITECTURE.md). */
function runsInline(launch: Launch, units: number, cost: number, threads: number): boolean {
  return units === 1 || cost < Math.min(laneLimitNs, inlineLimitNs) || (cost < inlineLimitNs && threads === 1)
    || (launch.inPlace && cost < Math.min(IN_PLACE_INLINE_NS, IN_PLACE_INLINE_FACTOR * inlineLimitNs));
}

export const stream = new Stream();
setReleaseGate(stream);

export function submit(launch: Launch): void {
  stream.submit(launch);
}

/**
 * Queues work done outside the device in the stream's order (see ExternalLaunch): the collectives
 * of skein/distributed use it, so they run after the ops that wrote their tensors and before any
 * op after them.
 */
export function submitExternal(launch: ExternalLaunch): void {
  stream.submit({ ...launch, inPlace: true });
}

/**
 * Resolves after a turn of the event loop, once at most `bound` launches are queued (the bound
 * optimizer.step() uses by default). Never rejects: failures are reported by reads.
 * @example await waitForRoom()
 */
export function waitForRoom(bound = STEP_BOUND): Promise<void> {
  return stream.room(bound);
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
 * (with the lane's helpers) rather than on the pool (default 10 ms). Results are the same bits either way; tests lower it
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
  return { ...stats, queueDepth: stream.queueDepth(), matmulKernel: activeKernelConfig().matmul };
}

/**
 * Test hook: in the next pool or lane launch, the first worker to pick it up runs one tile, then
 * throws ('throw') or kills its thread ('exit') while holding a second tile: a failure mid-op.
 */
export function injectWorkerFault(kind: 'throw' | 'exit'): void {
  injectedFault = kind;
}
