// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): element i of a draw is a
// pure function of (seed, counter + i), so any split across threads gives the same stream.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product a·b, from 16-bit halves (doubles are exact to 2⁵³). */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const mid1 = aHi * bLo;
  const cross = ((aLo * bLo) >>> 16) + (mid1 & 0xffff) + aLo * bHi;
  return (aHi * bHi + (mid1 >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/** Writes the four 32-bit outputs for counter (c0, c1, 0, 0) under key (k0, k1) into `out`. */
export function philox(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = 0, x3 = 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, x0), lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2), lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ k0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ k1) >>> 0;
    x3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

const TWO_32 = 4294967296;

/**
 * out[i] = a draw for counter + i: uniform in [p0, p1), normal with mean p0 and std p1
 * (Box–Muller on two words: z = √(−2 ln u₁)·cos(2π u₂), u₁ ∈ (0, 1]), or an integer in
 * [p0, p1) (p0 + ⌊(p1 − p0)·u⌋ from the same 53-bit u < 1, so never p1).
 */
export interface RandomArgs {
  out: DataArray;
  kind: 'uniform' | 'normal' | 'integer';
  seed: number;
  counter: number;
  p0: number;
  p1: number;
  /** out lies in the tensor heap (random-wasm.ts draws there). */
  heap?: boolean;
}

export const RANDOM_TILE = 4096;
const words = new Uint32Array(4);

export const randomKernel: Kernel<RandomArgs> = {
  run(a, start, end) {
    const n = a.out.length;
    const k0 = a.seed >>> 0;
    const k1 = Math.floor(a.seed / TWO_32) >>> 0;
    for (let i = start * RANDOM_TILE; i < Math.min(end * RANDOM_TILE, n); i++) {
      const c = a.counter + i;
      philox(k0, k1, c >>> 0, Math.floor(c / TWO_32), words);
      if (a.kind === 'uniform') {
        // 53 random bits, so float64 draws are as fine as they can be; float32 rounds them.
        const u = ((words[0] >>> 5) * 67108864 + (words[1] >>> 6)) / 9007199254740992;
        a.out[i] = a.p0 + (a.p1 - a.p0) * u;
      } else if (a.kind === 'integer') {
        const u = ((words[0] >>> 5) * 67108864 + (words[1] >>> 6)) / 9007199254740992;
        a.out[i] = a.p0 + Math.floor((a.p1 - a.p0) * u);
      } else {
        const u1 = (words[0] + 1) / TWO_32;
        const u2 = words[1] / TWO_32;
        a.out[i] = a.p0 + a.p1 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      }
    }
  },
  units: (a) => Math.ceil(a.out.length / RANDOM_TILE),
  unitCost: () => RANDOM_TILE * 40,
};
