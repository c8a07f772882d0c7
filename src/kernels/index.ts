// The kernel registry, imported by the main thread and by workers alike. A task names a kernel
// and carries its arguments (typed arrays over SharedArrayBuffers, shapes, numbers).
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import { DeviceError, ValueError } from '../errors.js';
import { mapKernel, useWasmMap } from './elementwise.js';
import { loadMapWasm } from './elementwise-wasm.js';
import { exprWasm } from './expr-wasm.js';
import { rangeCheckKernel } from './checks.js';
import { gatherKernel, indexAddKernel, indexSelectKernel, scatterAddKernel } from './gather.js';
import { matmulJs } from './matmul.js';
import { loadMatmulNative, nativeMatmulReason, useMatmulNative } from './matmul-native.js';
import { bestMatmulVariant, loadMatmulWasm, type MatmulVariant } from './matmul-wasm.js';
import { piecesKernel } from './pieces.js';
import { randomKernel } from './random.js';
import { randomKernelOver } from './random-wasm.js';
import { VISION_KERNELS, visionKernels, type VisionKernelName } from './vision.js';
import { reduceKernel } from './reduce.js';
import { scanKernel } from './scan.js';
import { sortKernel } from './sort.js';
import { gruCellBackwardKernel, gruCellKernel, loadRnnWasm, lstmCellBackwardKernel, lstmCellKernel } from './rnn.js';
import type { Kernel } from './types.js';
import type { WasmMemory } from './wasm-module.js';

export type { DataArray, FloatArray, Kernel, MatmulArgs } from './types.js';
export { bestMatmulVariant, type MatmulVariant } from './matmul-wasm.js';
export { gemmTile, type GemmTile } from './matmul-native.js';

const KERNELS: Record<string, Kernel<any>> = {
  map: mapKernel,
  reduce: reduceKernel,
  matmul: matmulJs,
  indexSelect: indexSelectKernel,
  indexAdd: indexAddKernel,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
  random: randomKernel,
  pieces: piecesKernel,
  scan: scanKernel,
  sort: sortKernel,
  checkRange: rangeCheckKernel,
  lstmCell: lstmCellKernel,
  lstmCellBackward: lstmCellBackwardKernel,
  gruCell: gruCellKernel,
  gruCellBackward: gruCellBackwardKernel,
  ...VISION_KERNELS,
};

export type KernelName = 'map' | 'reduce' | 'matmul' | 'indexSelect' | 'indexAdd' | 'gather' | 'scatterAdd' | 'random' | 'pieces' | 'scan' | 'sort' | 'checkRange'
  | 'lstmCell' | 'lstmCellBackward' | 'gruCell' | 'gruCellBackward' | VisionKernelName;

export interface KernelTask {
  kernel: KernelName;
  args: any;
}

/** Which implementation backs a kernel name; main thread and workers must agree, or bits differ. */
export interface KernelConfig {
  /** 'native': OpenBLAS through native/blas, float32 and float64; else WASM (float32) or JS. */
  matmul: MatmulVariant | 'js' | 'native';
  /** 'wasm': float32 passes over the tensor heap run in WebAssembly SIMD (same bits as 'js'). */
  elementwise: 'wasm' | 'js';
  /** The tensor heap (a shared WebAssembly memory), which the WASM loops import. */
  heap: WasmMemory | null;
}

/**
 * The matmul kernel for this process: `forced` (SKEIN_MATMUL=native|relaxed|simd|js) when given,
 * else the fastest this machine has: OpenBLAS through the native addon, then WebAssembly (which
 * needs the tensor heap), then TypeScript. Forcing 'native' where the addon cannot load throws
 * with the reason, rather than quietly testing or timing another kernel; so does a name it does
 * not know.
 *
 * @example chooseMatmul(process.env.SKEIN_MATMUL, heapMemory() !== null) // 'native' here
 */
export function chooseMatmul(forced: string | undefined, heap: boolean): KernelConfig['matmul'] {
  if (forced !== undefined && forced !== '' && !['native', 'relaxed', 'simd', 'js'].includes(forced)) {
    throw new ValueError(`SKEIN_MATMUL=${forced}: expected native, relaxed, simd or js (or unset, for the fastest this machine has)`);
  }
  if (forced === 'native') {
    if (loadMatmulNative() === null) throw new DeviceError(`SKEIN_MATMUL=native, but the BLAS addon is unavailable: ${nativeMatmulReason()}`);
    return 'native';
  }
  if (forced === 'js') return 'js';
  // The WASM kernels compute in the tensor heap: without one, TypeScript.
  if (forced === 'simd' || forced === 'relaxed') return heap ? forced : 'js';
  if (loadMatmulNative() !== null) return 'native';
  return heap ? bestMatmulVariant() ?? 'js' : 'js';
}

/**
 * With 'native', every product runs in OpenBLAS. Otherwise float32 products run in WebAssembly
 * SIMD and float64 ones in TypeScript. Either way the choice depends on the dtype alone, never on
 * where the launch runs, so inline and pooled results are the same bits.
 */
export function configureKernels(config: KernelConfig): void {
  const heap = config.elementwise === 'wasm' ? config.heap : null;
  useWasmMap(heap === null ? null : loadMapWasm(heap), heap === null ? null : exprWasm(heap));
  loadRnnWasm(heap);
  KERNELS.random = randomKernelOver(heap);
  // With OpenBLAS, convolution's tiles call it too (their packer needs the heap); otherwise its
  // implicit GEMM packs into the WebAssembly micro-kernel's panels.
  const wasmVariant = config.heap === null || config.matmul === 'js' || config.matmul === 'native' ? null : config.matmul;
  const wasm = wasmVariant === null || config.heap === null ? null : loadMatmulWasm(wasmVariant, config.heap);
  useMatmulNative(config.matmul === 'native');
  Object.assign(KERNELS, visionKernels(wasm === null ? null : wasm.variant, config.heap, heap, config.matmul === 'native'));
  if (config.matmul === 'native') {
    const native = loadMatmulNative();
    // The main thread picked it, so a thread that cannot load it would compute other bits.
    if (native === null) throw new DeviceError(`kernels: the native matmul was picked, but this thread cannot load it: ${nativeMatmulReason()}`);
    KERNELS.matmul = native;
    return;
  }
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
