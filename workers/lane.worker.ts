// A helper of the fast lane (src/runtime/lane.ts): waits on its doorbell, takes the jobs the
// main thread posted, runs tiles beside it. Spins a little before sleeping, so back-to-back
// launches (a training step) find it awake.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { configureKernels } from '../src/kernels/index.js';
import { EXITED, injectFault, markFailed, runTiles, takesFault, type TileJob } from '../src/runtime/tiles.js';

const { config, bell, port, spinMs } = workerData as { config: Parameters<typeof configureKernels>[0]; bell: Int32Array; port: MessagePort; spinMs: number };
configureKernels(config);

let current: TileJob | null = null;
// A helper that dies holding a tile would leave the main thread waiting for it: mark the job
// failed on the way out (a hard crash skips this; the main thread's timeout stays).
process.on('exit', () => {
  if (current !== null) markFailed(current, EXITED);
});

// bell[0]: jobs posted to this helper; bell[1]: the last job it is done with, + 1; bell[2]: 1 while
// it sleeps on bell[0] (the main thread wakes only a sleeper).
let seen = 0; // the bell starts at 0: jobs rung before this thread started are waiting in the port
for (;;) {
  const until = performance.now() + spinMs;
  while (Atomics.load(bell, 0) === seen && performance.now() < until);
  if (Atomics.load(bell, 0) === seen) {
    Atomics.store(bell, 2, 1);
    if (Atomics.load(bell, 0) === seen) Atomics.wait(bell, 0, seen);
    Atomics.store(bell, 2, 0);
  }
  seen = Atomics.load(bell, 0);
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const job = m.message as TileJob;
    current = job;
    try {
      if (takesFault(job)) injectFault(job, job.fault as 'throw' | 'exit');
      runTiles(job);
    } catch (err) {
      // The main thread reads this after seeing the job failed, to say what went wrong.
      port.postMessage(err instanceof Error ? err : new Error(String(err)));
    } finally {
      current = null;
      Atomics.store(bell, 1, (job.seq as number) + 1);
    }
  }
}
