// The piscina entry: configure the kernels as the main thread did, then run tiles.
// Outputs live in shared memory, so nothing is returned but a tile count.
import { workerData } from 'node:worker_threads';
import { configureKernels } from '../src/kernels/index.js';
import { EXITED, injectFault, markFailed, runTiles, takesFault, type TileJob } from '../src/runtime/tiles.js';

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
    if (takesFault(job)) injectFault(job, job.fault as 'throw' | 'exit');
    return runTiles(job);
  } finally {
    current = null;
  }
}
