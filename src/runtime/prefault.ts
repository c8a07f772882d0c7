// The heap's prefaulter: one unref'd worker thread that touches the tensor heap's pages ahead of
// its bump pointer (workers/prefault.worker.ts). A page is mapped on its first touch, and here
// (a virtual machine) that costs ≈ 14 µs a 4 KiB page, 3.5 ms a MiB: most of the tutorial's first
// 500 steps went to it, since a block is reused only after the forced collection that finds it
// dead (storage.ts), and until then every block is fresh. The worker takes those faults on
// another core, ahead of need; once blocks are reused it sleeps. SKEIN_PREFAULT=0 turns it off;
// it is off on one core, where it could only take the same faults on the same core.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WasmMemory } from '../kernels/wasm-module.js';
import { workerPath } from './worker-path.js';

let started = false;

export function startPrefault(memory: WasmMemory | null): void {
  if (started || memory === null || process.env.SKEIN_PREFAULT === '0' || availableParallelism() < 2) return;
  started = true;
  const worker = new Worker(workerPath('prefault.worker.js'), { workerData: { memory } });
  worker.unref();
  // A prefaulter that cannot start or dies costs speed, never results: the threads that compute fault pages in themselves.
  worker.on('error', () => undefined);
}
