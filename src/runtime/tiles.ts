// The tile loop a pool job runs: workers (and, when it must block, the main thread) claim tiles
// from one shared counter until none are left. Which thread runs a tile never changes its bits.
import { runKernel, type KernelTask } from '../kernels/index.js';

/**
 * control[NEXT]: next tile to claim; control[DONE]: tiles finished; control[FAILED]: 0, or why
 * the job failed (THREW, EXITED); control[FAULT]: whether an injected fault was taken;
 * control[SETTLED]: claimed tiles that finished or threw (a thread waiting on its helpers knows
 * when no tile is still being written).
 */
export interface TileJob {
  task: KernelTask;
  control: Int32Array;
  tiles: number;
  grain: number;
  units: number;
  /** Test hook: the first worker to take this job runs one tile, then throws or exits mid-op. */
  fault?: 'throw' | 'exit';
  /** A lane job's number: its helpers report having passed it. */
  seq?: number;
}

export const NEXT = 0;
export const DONE = 1;
export const FAILED = 2;
export const FAULT = 3;
export const SETTLED = 4;
export const CONTROL_SLOTS = 5;

export const THREW = 1;
export const EXITED = 2;

/** Marks the job failed and wakes a main thread blocked on it (before piscina reports anything). */
export function markFailed(job: TileJob, why: number): void {
  Atomics.compareExchange(job.control, FAILED, 0, why);
  Atomics.notify(job.control, DONE);
  Atomics.notify(job.control, SETTLED);
}

/** Runs claimed tiles until none are left (or the job failed), or until `limit` tiles have run. */
export function runTiles(job: TileJob, limit = Infinity): number {
  let ran = 0;
  while (ran < limit && Atomics.load(job.control, FAILED) === 0) {
    const tile = Atomics.add(job.control, NEXT, 1);
    if (tile >= job.tiles) return ran;
    try {
      runKernel(job.task, tile * job.grain, Math.min(job.units, (tile + 1) * job.grain));
    } catch (err) {
      markFailed(job, THREW);
      settle(job);
      throw err;
    }
    ran += 1;
    if (Atomics.add(job.control, DONE, 1) + 1 === job.tiles) Atomics.notify(job.control, DONE);
    settle(job);
  }
  return ran;
}

/** One claimed tile is no longer being written (counted after DONE, so a waiter sees both). */
function settle(job: TileJob): void {
  Atomics.add(job.control, SETTLED, 1);
  Atomics.notify(job.control, SETTLED);
}

/**
 * Test hook, run by a worker that takes a job carrying `fault`: one tile's output is written, a
 * second tile is claimed and never finished, then the thread throws or exits: a failure mid-op.
 */
export function injectFault(job: TileJob, kind: 'throw' | 'exit'): void {
  runTiles(job, 1);
  Atomics.add(job.control, NEXT, 1);
  if (kind === 'exit') process.exit(1);
  markFailed(job, THREW);
  settle(job); // the claimed tile is abandoned, not running: nothing waits for it
  throw new Error('injected worker fault');
}

/** Whether this thread is the first to take the job's injected fault (only one thread does). */
export function takesFault(job: TileJob): boolean {
  return job.fault !== undefined && Atomics.compareExchange(job.control, FAULT, 0, 1) === 0;
}
