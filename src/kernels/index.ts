// The kernel registry, imported by the main thread and by workers alike. A task names a kernel
// and carries its arguments (typed arrays over SharedArrayBuffers, shapes, numbers).
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import { mapKernel, useWasmMap } from './elementwise.js';
import { loadMapWasm } from './elementwise-wasm.js';
import { exprWasm } from './expr-wasm.js';
import { gatherKernel, indexAddKernel, indexSelectKernel, scatterAddKernel } from './gather.js';
import { matmulJs } from './matmul.js';
import { loadMatmulWasm, type MatmulVariant } from './matmul-wasm.js';
import { randomKernel } from './random.js';
import { VISION_KERNELS, visionKernels, type VisionKernelName } from './vision.js';
import { reduceKernel } from './reduce.js';
import type { Kernel } from './types.js';
import type { WasmMemory } from './wasm-module.js';

export type { DataArray, FloatArray, Kernel, MatmulArgs } from './types.js';
export { bestMatmulVariant, type MatmulVariant } from './matmul-wasm.js';

const KERNELS: Record<string, Kernel<any>> = {
  map: mapKernel,
  reduce: reduceKernel,
  matmul: matmulJs,
  indexSelect: indexSelectKernel,
  indexAdd: indexAddKernel,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
  random: randomKernel,
  ...VISION_KERNELS,
};

export type KernelName = 'map' | 'reduce' | 'matmul' | 'indexSelect' | 'indexAdd' | 'gather' | 'scatterAdd' | 'random' | VisionKernelName;

export interface KernelTask {
  kernel: KernelName;
  args: any;
}

/** Which implementation backs a kernel name; main thread and workers must agree, or bits differ. */
export interface KernelConfig {
  matmul: MatmulVariant | 'js';
  /** 'wasm': float32 passes over the tensor heap run in WebAssembly SIMD (same bits as 'js'). */
  elementwise: 'wasm' | 'js';
  /** The tensor heap (a shared WebAssembly memory), which the WASM loops import. */
  heap: WasmMemory | null;
}

/**
 * float32 products run in WebAssembly SIMD, float64 ones in TypeScript: the choice depends on
 * the dtype alone, never on where the launch runs, so inline and pooled results are the same bits.
 */
export function configureKernels(config: KernelConfig): void {
  const heap = config.elementwise === 'wasm' ? config.heap : null;
  useWasmMap(heap === null ? null : loadMapWasm(heap), heap === null ? null : exprWasm(heap));
  const wasm = config.matmul === 'js' || config.heap === null ? null : loadMatmulWasm(config.matmul, config.heap);
  Object.assign(KERNELS, visionKernels(wasm === null ? null : wasm.variant, config.heap, heap));
  if (wasm === null) {
    KERNELS.matmul = matmulJs;
    return;
  }
  KERNELS.matmul = {
    run: (args, start, end) => (wasm.supports(args) ? wasm : matmulJs).run(args, start, end),
    units: (args) => (wasm.supports(args) ? wasm : matmulJs).units(args),
    unitCost: (args) => (wasm.supports(args) ? wasm : matmulJs).unitCost(args),
  };
}

export function kernelOf(name: KernelName): Kernel<any> {
  return KERNELS[name];
}

export function runKernel(task: KernelTask, start: number, end: number): void {
  KERNELS[task.kernel].run(task.args, start, end);
}
