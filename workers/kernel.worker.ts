// The piscina entry: configure the kernels as the main thread did, then run tiles.
// Outputs live in shared memory, so nothing is returned but a tile count.
import { workerData } from 'node:worker_threads';
import { configureKernels } from '../src/kernels/index.js';
import { runTiles, type TileJob } from '../src/runtime/tiles.js';

configureKernels(workerData);

export default function runJob(job: TileJob): number {
  if (job.fault === 'throw') throw new Error('injected worker fault');
  if (job.fault === 'exit') process.exit(1);
  return runTiles(job);
}
