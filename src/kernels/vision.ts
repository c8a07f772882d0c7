// The vision kernels (convolution, pooling, batch statistics) for the kernel registry: their
// TypeScript loops by default, and the WebAssembly passes for float32 on the tensor heap once the
// kernels are configured. Imported by the main thread AND by workers. Nothing in src/kernels may
// import tensor, ops, graph or runtime.
import { convJs, convWeightJs } from './conv.js';
import { loadConvNative } from './conv-native.js';
import { loadConvWasm } from './conv-wasm.js';
import type { MatmulVariant } from './matmul-wasm.js';
import { channelStatsKernel } from './norm.js';
import { poolKernels } from './pool.js';
import { loadPoolWasm } from './pool-wasm.js';
import type { Kernel } from './types.js';
import type { WasmMemory } from './wasm-module.js';

export const VISION_KERNELS = { conv: convJs, convWeight: convWeightJs, ...poolKernels, channelStats: channelStatsKernel };

export type VisionKernelName = keyof typeof VISION_KERNELS;

/**
 * The vision kernels for a configuration: convolution on OpenBLAS when `native` (the native
 * matmul is in use), else on the matmul's micro-kernel of `variant` (null: no WASM matmul);
 * pooling and statistics in WebAssembly when `heap` (the elementwise passes' heap) is set. Each
 * pick depends on the arguments' dtype and placement only.
 */
export function visionKernels(variant: MatmulVariant | null, matmulHeap: WasmMemory | null, heap: WasmMemory | null, native = false): Record<VisionKernelName, Kernel<any>> {
  const out: Record<VisionKernelName, Kernel<any>> = { ...VISION_KERNELS };
  if (native && matmulHeap !== null) {
    const conv = loadConvNative(matmulHeap);
    out.conv = choose(conv.supports, conv.conv, convJs);
    out.convWeight = choose(conv.supports, conv.convWeight, convWeightJs);
  } else if (variant !== null && matmulHeap !== null) {
    const conv = loadConvWasm(variant, matmulHeap);
    out.conv = choose(conv.supports, conv.conv, convJs);
    out.convWeight = choose(conv.supports, conv.convWeight, convWeightJs);
  }
  if (heap !== null) {
    const pool = loadPoolWasm(heap);
    out.maxPool = choose(pool.supports, pool.maxPool, poolKernels.maxPool);
    out.maxPoolBackward = choose(pool.supports, pool.maxPoolBackward, poolKernels.maxPoolBackward);
    out.avgPool = choose((a) => pool.supports(a) && a.adaptive !== true, pool.avgPool, poolKernels.avgPool);
    out.channelStats = choose(pool.supportsStats, pool.channelStats, channelStatsKernel);
  }
  return out;
}

function choose<A>(supports: (args: A) => boolean, fast: Kernel<A>, slow: Kernel<A>): Kernel<A> {
  return {
    run: (args, start, end) => (supports(args) ? fast : slow).run(args, start, end),
    units: (args) => (supports(args) ? fast : slow).units(args),
    unitCost: (args) => (supports(args) ? fast : slow).unitCost(args),
  };
}
