// The tile loop a pool job runs: workers (and, when it must block, the main thread) claim tiles
// from one shared counter until none are left. Which thread runs a tile never changes its bits.
import { runKernel, type KernelTask } from '../kernels/index.js';

/**
 * control[NEXT]: next tile to claim; control[DONE]: tiles finished; control[FAILED]: 0, or why
 * the job failed (THREW, EXITED); control[FAULT]: whether an injected fault was taken.
 */
export interface TileJob {
  task: KernelTask;
  control: Int32Array;
  tiles: number;
  grain: number;
  units: number;
  /** Test hook: the first worker to take this job runs one tile, then throws or exits mid-op. */
  fault?: 'throw' | 'exit';
}

export const NEXT = 0;
export const DONE = 1;
export const FAILED = 2;
export const FAULT = 3;
export const CONTROL_SLOTS = 4;

export const THREW = 1;
export const EXITED = 2;

/** Marks the job failed and wakes a main thread blocked on it (before piscina reports anything). */
export function markFailed(job: TileJob, why: number): void {
  Atomics.compareExchange(job.control, FAILED, 0, why);
  Atomics.notify(job.control, DONE);
}

/** Runs claimed tiles until none are left, or until `limit` tiles have run. */
export function runTiles(job: TileJob, limit = Infinity): number {
  let ran = 0;
  while (ran < limit) {
    const tile = Atomics.add(job.control, NEXT, 1);
    if (tile >= job.tiles) return ran;
    try {
      runKernel(job.task, tile * job.grain, Math.min(job.units, (tile + 1) * job.grain));
    } catch (err) {
      markFailed(job, THREW);
      throw err;
    }
    ran += 1;
    if (Atomics.add(job.control, DONE, 1) + 1 === job.tiles) Atomics.notify(job.control, DONE);
  }
  return ran;
}
