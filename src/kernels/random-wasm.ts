// src/kernels/random-wasm.ts — uniform draws (rand, and so dropout's masks) in WebAssembly, with
// the bits of randomKernel's TypeScript loop (random.ts) on float tensors in the heap; other
// draws stay in TypeScript. Imported by the main thread AND by workers. Nothing in src/kernels
// may import tensor, ops, graph or runtime.
import { RANDOM_TILE, randomKernel, type RandomArgs } from './random.js';
import type { Kernel } from './types.js';
import { instantiate, wasmValidates, type WasmMemory } from './wasm-module.js';

interface RandomExports {
  uniform(out: number, from: number, to: number, k0: number, k1: number, counter: number, p0: number, p1: number, wide: number): void;
}

const TWO_32 = 4294967296;

/** ≈ 6 ns an element in WebAssembly against ≈ 100 in TypeScript (the 16-bit-half products). */
const ELEMENT_NS = 6;

/** The random kernel over `heap`: uniform float draws there in WebAssembly, the rest as before. */
export function randomKernelOver(heap: WasmMemory | null): Kernel<RandomArgs> {
  if (heap === null || !wasmValidates('random.wasm')) return randomKernel;
  const wasm = instantiate<RandomExports>('random.wasm', heap);
  const takes = (a: RandomArgs) => a.heap === true && a.kind === 'uniform' && (a.out instanceof Float32Array || a.out instanceof Float64Array);
  return {
    run(a, start, end) {
      if (!takes(a)) return randomKernel.run(a, start, end);
      const from = start * RANDOM_TILE;
      const to = Math.min(end * RANDOM_TILE, a.out.length);
      if (from >= to) return;
      const seed = a.seed;
      wasm.uniform(a.out.byteOffset, from, to, seed >>> 0, Math.floor(seed / TWO_32) >>> 0, a.counter, a.p0, a.p1, a.out instanceof Float64Array ? 1 : 0);
    },
    units: randomKernel.units,
    unitCost: (a) => (takes(a) ? RANDOM_TILE * ELEMENT_NS : randomKernel.unitCost(a)),
  };
}
