// The tile loop a pool job runs: workers (and, when it must block, the main thread) claim tiles
// from one shared counter until none are left. Which thread runs a tile never changes its bits.
import { runKernel, type KernelTask } from '../kernels/index.js';

/** control[NEXT]: next tile to claim; control[DONE]: tiles finished; control[FAILED]: a tile threw. */
export interface TileJob {
  task: KernelTask;
  control: Int32Array;
  tiles: number;
  grain: number;
  units: number;
  /** Test hook: make the worker that receives this job throw or exit before any tile. */
  fault?: 'throw' | 'exit';
}

export const NEXT = 0;
export const DONE = 1;
export const FAILED = 2;

export function runTiles(job: TileJob): number {
  let ran = 0;
  for (;;) {
    const tile = Atomics.add(job.control, NEXT, 1);
    if (tile >= job.tiles) return ran;
    try {
      runKernel(job.task, tile * job.grain, Math.min(job.units, (tile + 1) * job.grain));
    } catch (err) {
      // Wake a main thread blocked on this job before the error travels back through piscina.
      Atomics.store(job.control, FAILED, 1);
      Atomics.notify(job.control, DONE);
      throw err;
    }
    ran += 1;
    if (Atomics.add(job.control, DONE, 1) + 1 === job.tiles) Atomics.notify(job.control, DONE);
  }
}
