// The fast lane: launches too small for the pool but big enough to split (tens to hundreds of
// µs) run on the main thread and on helper threads at once. A piscina task costs ≈ 100 µs round
// trip and 55–70 µs of main-thread CPU here, more than these launches take; a helper waiting on a
// shared doorbell picks a job up in ≈ 15 µs. The main thread runs tiles too, then waits for the
// helpers' last ones: like an inline launch, it blocks for about the launch's own time.
//
// Helpers are plain worker threads, not piscina's: piscina hands out tasks by message, and a
// helper must take work while its thread is busy spinning or blocked on the doorbell, which no
// pool does. They are unref'd and never keep the process alive.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { KernelConfig } from '../kernels/index.js';
import { CONTROL_SLOTS, DONE, EXITED, FAILED, NEXT, runTiles, SETTLED, THREW, type TileJob } from './tiles.js';
import { workerPath } from './worker-path.js';

/**
 * How long an idle helper spins before it sleeps: about the gap between a training step's lane
 * launches. Longer spins slowed the main thread (2 ms: W1 −20%), as if the two vCPUs shared a core.
 */
const SPIN_MS = 0.25;
/** The main thread spins this long for the helpers' last tiles before it sleeps on them. */
const MAIN_SPIN_MS = 1;
/** A helper that holds a tile this long is taken for dead. */
const HELPER_TIMEOUT_MS = 30_000;

/**
 * bell[RING_AT] goes up by one per job posted; bell[PASSED] is the number of the last job the
 * helper has finished with, plus one; bell[ASLEEP] is 1 while the helper sleeps on bell[RING_AT].
 */
interface Helper {
  worker: Worker;
  port: MessagePort;
  bell: Int32Array;
  alive: boolean;
}
const RING_AT = 0;
const PASSED = 1;
const ASLEEP = 2;

let helpers: Helper[] = [];
let helpersConfig: KernelConfig | null = null;
let someDied = false;

/**
 * Control blocks for lane jobs, reused round-robin: a fresh SharedArrayBuffer costs tens of µs,
 * as much as the launches the lane exists for. Job s takes block s mod BLOCKS once every helper
 * has passed job s − BLOCKS (a helper that woke late may still read an old job's block).
 */
const BLOCKS = 256;
const blocks = new Int32Array(new SharedArrayBuffer(BLOCKS * CONTROL_SLOTS * 4));
let jobsPosted = 0;

function controlBlock(seq: number): Int32Array {
  if (helpers.some((h) => h.alive && Atomics.load(h.bell, PASSED) <= seq - BLOCKS)) return new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const at = (seq % BLOCKS) * CONTROL_SLOTS;
  blocks.fill(0, at, at + CONTROL_SLOTS);
  return blocks.subarray(at, at + CONTROL_SLOTS);
}

function spawn(config: KernelConfig): Helper {
  const { port1, port2 } = new MessageChannel();
  const bell = new Int32Array(new SharedArrayBuffer(12));
  bell[PASSED] = jobsPosted; // it never sees the jobs before it
  const worker = new Worker(workerPath('lane.worker.js'), { workerData: { config, bell, port: port2, spinMs: SPIN_MS }, transferList: [port2] });
  worker.unref();
  port1.unref();
  const helper: Helper = { worker, port: port1, bell, alive: true };
  const died = () => {
    helper.alive = false;
    someDied = true;
  };
  worker.on('exit', died);
  worker.on('error', died);
  return helper;
}

/** `count` live helpers running `config`'s kernels (dead ones are replaced). */
function ensureHelpers(count: number, config: KernelConfig): Helper[] {
  if (helpersConfig !== config) closeLane();
  helpersConfig = config;
  if (someDied) helpers = helpers.filter((h) => h.alive);
  someDied = false;
  while (helpers.length > count) void (helpers.pop() as Helper).worker.terminate();
  while (helpers.length < count) helpers.push(spawn(config));
  return helpers;
}

/**
 * Runs every unit of `task`, in tiles of `grain` units, on the main thread and `count` helpers;
 * returns when no tile is being written any more. Throws what a tile threw (on this thread or a
 * helper), or why a helper died.
 */
export function runOnLane(task: TileJob['task'], units: number, grain: number, fault: TileJob['fault'], count: number, config: KernelConfig): void {
  const ring = ensureHelpers(count, config);
  const seq = jobsPosted++;
  const job: TileJob = { task, control: controlBlock(seq), tiles: Math.ceil(units / grain), grain, units, seq, fault };
  for (const h of ring) {
    h.port.postMessage(job);
    Atomics.add(h.bell, RING_AT, 1);
    // A spinning helper sees the bell by itself. Waking a sleeping one costs tens of µs here (the
    // woken thread may take this core), so only a helper that said it sleeps is woken. Atomics
    // are sequentially consistent: it either sees the new bell before sleeping or is seen asleep.
    if (Atomics.load(h.bell, ASLEEP) === 1) Atomics.notify(h.bell, RING_AT);
  }
  const c = job.control;
  // An injected fault must strike a helper mid-op: the main thread waits until it has.
  if (job.fault !== undefined) waitFor(() => Atomics.load(c, FAILED) !== 0, c, FAILED);
  let own: unknown = null;
  try {
    runTiles(job);
  } catch (err) {
    own = err;
  }
  const claimed = () => Math.min(Atomics.load(c, NEXT), job.tiles);
  waitFor(() => Atomics.load(c, SETTLED) >= claimed() || Atomics.load(c, FAILED) === EXITED, c, SETTLED);
  const failed = Atomics.load(c, FAILED);
  const replies = failed === 0 ? [] : drainReplies(ring, failed === THREW && own === null);
  if (own !== null) throw own;
  if (failed === THREW) throw replies[0] ?? new Error('a worker threw');
  if (failed === EXITED || Atomics.load(c, DONE) !== job.tiles) throw new Error('a worker exited');
}

/**
 * Spins, then sleeps on control[slot] a millisecond at a time, until `done()`; a helper silent
 * for 30 s is taken for dead.
 */
function waitFor(done: () => boolean, control: Int32Array, slot: number): void {
  const started = performance.now();
  while (!done()) {
    const waited = performance.now() - started;
    if (waited > HELPER_TIMEOUT_MS) throw new Error('a worker stopped answering');
    if (waited > MAIN_SPIN_MS) Atomics.wait(control, slot, Atomics.load(control, slot), 1);
  }
}

/**
 * The errors helpers posted for this job (a helper posts just after marking the job failed, so
 * when `expectOne`, wait a little for it); read now, so none is left for a later job.
 */
function drainReplies(ring: Helper[], expectOne: boolean): Error[] {
  const errors: Error[] = [];
  const until = performance.now() + (expectOne ? 50 : 0);
  do {
    for (const h of ring) {
      for (let r = receiveMessageOnPort(h.port); r !== undefined; r = receiveMessageOnPort(h.port)) errors.push(r.message as Error);
    }
  } while (expectOne && errors.length === 0 && performance.now() < until);
  return errors;
}

/** Stops every helper (shutdown, a new kernel config). */
export function closeLane(): void {
  for (const h of helpers) void h.worker.terminate();
  helpers = [];
}
