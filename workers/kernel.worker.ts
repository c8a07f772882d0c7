// The piscina entry: configure the kernels as the main thread did, then run tiles.
// Outputs live in shared memory, so nothing is returned but a tile count.
import { workerData } from 'node:worker_threads';
import { configureKernels } from '../src/kernels/index.js';
import { EXITED, FAULT, markFailed, NEXT, runTiles, THREW, type TileJob } from '../src/runtime/tiles.js';

configureKernels(workerData);

let current: TileJob | null = null;

// A thread that dies holding a tile would leave a main thread blocked on the job waiting for it:
// mark the job failed on the way out (a hard crash skips this; the main thread's timeout stays).
process.on('exit', () => {
  if (current !== null) markFailed(current, EXITED);
});

export default function runJob(job: TileJob): number {
  current = job;
  try {
    if (job.fault !== undefined && Atomics.compareExchange(job.control, FAULT, 0, 1) === 0) injectFault(job, job.fault);
    return runTiles(job);
  } finally {
    current = null;
  }
}

/** Test hook: one tile's output is written, a second tile is claimed and never finished. */
function injectFault(job: TileJob, kind: 'throw' | 'exit'): void {
  runTiles(job, 1);
  Atomics.add(job.control, NEXT, 1);
  if (kind === 'exit') process.exit(1);
  markFailed(job, THREW);
  throw new Error('injected worker fault');
}
