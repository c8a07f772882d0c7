// The device: a fixed-size piscina pool. Jobs carry SharedArrayBuffer views only, so a worker's
// writes land in the tensors themselves and nothing needs to be sent back.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ValueError } from '../errors.js';
import { show } from '../validate.js';
import { heapMemory } from '../heap.js';
import { chooseMatmul, configureKernels, type KernelConfig } from '../kernels/index.js';
import { closeLane } from './lane.js';
import { startPrefault } from './prefault.js';
import type { TileJob } from './tiles.js';
import { workerPath } from './worker-path.js';

let threads = availableParallelism();
let pool: Piscina | null = null;
/**
 * The kernels this process uses, picked once on the main thread and handed to every worker with
 * the tensor heap: OpenBLAS matmul where its addon loads, else relaxed-SIMD where this Node
 * compiles it, else plain SIMD (chooseMatmul); and the WASM elementwise loops.
 * SKEIN_MATMUL=native|relaxed|simd|js and SKEIN_ELEMENTWISE=js|wasm override (the bench compares them).
 */
function initialConfig(): KernelConfig {
  const heap = heapMemory();
  const matmul = chooseMatmul(process.env.SKEIN_MATMUL, heap !== null);
  // The WASM kernels work in the tensor heap: without one (no shared WebAssembly memory), JS only.
  if (heap === null) return { matmul, elementwise: 'js', heap };
  const elementwise = process.env.SKEIN_ELEMENTWISE === 'js' ? 'js' : 'wasm';
  return { matmul, elementwise, heap };
}

let kernelConfig: KernelConfig = initialConfig();
configureKernels(kernelConfig);
startPrefault(kernelConfig.heap);


/**
 * Sizes the device: N worker threads, as `--threads N` does for the examples. Takes effect at the
 * next pool launch; results are bitwise identical for any N.
 * @example setNumThreads(2)
 */
export function setNumThreads(n: number): void {
  // api: each worker compiles its own kernels and maps the heap (≈ 8 MB and tens of ms each), so
  // 1024 workers on 2 cores took 31 s and 8 GB. More threads than this never pays.
  const max = maxThreads();
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValueError(`setNumThreads: got ${show(n)}, expected an integer from 1 to ${max} (${THREADS_PER_CORE} × the ${availableParallelism()} cores of this machine)`);
  }
  threads = n;
}

const THREADS_PER_CORE = 4;

/** The most worker threads setNumThreads accepts here. */
export function maxThreads(): number {
  return THREADS_PER_CORE * Math.max(1, availableParallelism());
}

export function getNumThreads(): number {
  return threads;
}

/** Switches kernels on the main thread and in a fresh pool (the bench compares them). */
export function setKernelConfig(config: KernelConfig): void {
  kernelConfig = config;
  configureKernels(config);
  void closePool();
}

export function getKernelConfig(): KernelConfig {
  return { ...kernelConfig };
}

/** The config object itself: the lane restarts its helpers when it changes. */
export function activeKernelConfig(): KernelConfig {
  return kernelConfig;
}

/** Fixed-size pool: min = max = threads, so workers never idle out between ops. */
export function getPool(): Piscina {
  if (pool !== null && pool.options.maxThreads === threads) return pool;
  void closePool();
  pool = new Piscina({
    filename: workerPath(),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    concurrentTasksPerWorker: 1,
    workerData: kernelConfig,
  });
  return pool;
}

export function runOnPool(job: TileJob): Promise<number> {
  return getPool().run(job);
}

export async function closePool(): Promise<void> {
  closeLane();
  const old = pool;
  pool = null;
  if (old === null) return;
  // A worker may still answer a task the teardown already dropped; piscina reports that as an
  // 'error' event, which would crash the process with no listener. The stream has already failed
  // those tasks' outputs, so the late answer is ignored.
  old.on('error', () => {});
  await old.destroy();
}
