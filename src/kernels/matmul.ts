// src/kernels/matmul.ts — plain-TypeScript GEMM: cache-blocked, register-blocked, any strides.
// Imported by the main thread AND by workers. Nothing in src/kernels may import tensor, ops,
// graph or runtime.
import { matmulBatchBases } from './layout.js';
import type { FloatArray, Kernel, MatmulArgs } from './types.js';

/**
 * A unit is one MB×NB tile of one batch entry of C, computed over the whole of k:
 *   units = Π batchShape · ⌈m/MB⌉ · ⌈n/NB⌉, numbered batch-major, then row block, then col block.
 * Inside a tile, k is walked in KC-deep slices so the packed B micro-panel (KC·NR doubles = 8 KiB)
 * stays in L1 and the packed A block (MB·KC doubles = 128 KiB) in L2.
 */
const MR = 4;
const NR = 4;
const MB = 64;
const NB = 64;
const KC = 256;

/**
 * Scratch shared by every call on this thread (each worker has its own module instance), so the
 * hot path never allocates. Packs are float64 whatever the dtype: a float32 value widens exactly,
 * and one element type keeps the inner loop monomorphic.
 */
const packedA = new Float64Array(MB * KC);
const packedB = new Float64Array(KC * NB);
const acc = new Float64Array(MB * NB);
/** [aBase, bBase, cBase] of the unit's batch entry (see matmulBatchBases). */
const bases = new Float64Array(3);

/**
 * Determinism: every element is c = Σ_{p=0}^{k-1} a[i,p]·b[p,j], summed in float64 in increasing p
 * (KC slices resume from the same float64 accumulator, so slicing changes nothing) and rounded to
 * C's dtype once. No step depends on which tiles share a run() call, so any split gives the same
 * bits.
 */
export const matmulJs: Kernel<MatmulArgs> = {
  run(args, start, end) {
    const { m, n } = args;
    const rowBlocks = Math.ceil(m / MB);
    const colBlocks = Math.ceil(n / NB);
    for (let unit = start; unit < end; unit++) {
      const colBlock = unit % colBlocks;
      const rowBlock = Math.floor(unit / colBlocks) % rowBlocks;
      matmulBatchBases(args, Math.floor(unit / (colBlocks * rowBlocks)), bases);
      computeTile(args, bases[0], bases[1], bases[2], rowBlock * MB, colBlock * NB);
    }
  },

  units({ batchShape, m, n }) {
    let batch = 1;
    for (const size of batchShape) batch *= size;
    return batch * Math.ceil(m / MB) * Math.ceil(n / NB);
  },

  unitCost({ m, n, k }) {
    // The mean tile, so ragged edge tiles are not all costed as full ones.
    const rows = m / Math.max(1, Math.ceil(m / MB));
    const cols = n / Math.max(1, Math.ceil(n / NB));
    return TILE_NS + rows * cols * (2 * k / GFLOPS + OUTPUT_NS) + (rows + cols) * k * PACK_NS;
  },
};

/**
 * Fitted to single-thread CPU time, float32 and float64 alike (Node 20, this machine's AMD EPYC):
 * 4.6–5.1 GFLOP/s from 128 to 1024, any layout; 4×4×4 ≈ 0.2 µs, 16³ ≈ 3.2 µs, 64×8·8×64 ≈ 24 µs.
 * OUTPUT_NS is the per-element cost of zeroing, reloading and storing the accumulators.
 */
const GFLOPS = 5;
const OUTPUT_NS = 2.5;
const PACK_NS = 0.5;
const TILE_NS = 150;

function computeTile(
  args: MatmulArgs, aBase: number, bBase: number, cBase: number, i0: number, j0: number,
): void {
  const { m, n, k, c } = args;
  const rows = Math.min(MB, m - i0);
  const cols = Math.min(NB, n - j0);
  const rowGroups = Math.ceil(rows / MR);
  const colGroups = Math.ceil(cols / NR);
  acc.fill(0, 0, rowGroups * MR * NB);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packA(args.a, aBase + i0 * args.aRowStride + p0 * args.aColStride,
      args.aRowStride, args.aColStride, rows, rowGroups, kc);
    packB(args.b, bBase + p0 * args.bRowStride + j0 * args.bColStride,
      args.bRowStride, args.bColStride, cols, colGroups, kc);
    // One B micro-panel stays hot in L1 while every A micro-panel streams past it.
    for (let h = 0; h < colGroups; h++) {
      for (let g = 0; g < rowGroups; g++) {
        microKernel(g * kc * MR, h * kc * NR, kc, g * MR * NB + h * NR);
      }
    }
  }
  storeTile(c, cBase + i0 * n + j0, n, rows, cols);
}

/** packedA[(g·kc + p)·MR + r] = A[g·MR + r, p]; rows past the edge are zero padding. */
function packA(
  a: FloatArray, base: number, rowStride: number, colStride: number,
  rows: number, rowGroups: number, kc: number,
): void {
  for (let g = 0; g < rowGroups; g++) {
    for (let r = 0; r < MR; r++) {
      const i = g * MR + r;
      let dst = g * kc * MR + r;
      if (i < rows) {
        let src = base + i * rowStride;
        for (let p = 0; p < kc; p++, dst += MR, src += colStride) packedA[dst] = a[src];
      } else {
        for (let p = 0; p < kc; p++, dst += MR) packedA[dst] = 0;
      }
    }
  }
}

/** packedB[(h·kc + p)·NR + s] = B[p, h·NR + s]; columns past the edge are zero padding. */
function packB(
  b: FloatArray, base: number, rowStride: number, colStride: number,
  cols: number, colGroups: number, kc: number,
): void {
  for (let h = 0; h < colGroups; h++) {
    for (let s = 0; s < NR; s++) {
      const j = h * NR + s;
      let dst = h * kc * NR + s;
      if (j < cols) {
        let src = base + j * colStride;
        for (let p = 0; p < kc; p++, dst += NR, src += rowStride) packedB[dst] = b[src];
      } else {
        for (let p = 0; p < kc; p++, dst += NR) packedB[dst] = 0;
      }
    }
  }
}

/**
 * acc[MR×NR at accAt] += Ap·Bp over kc: 16 float64 accumulators in locals, one rank-1 update per p.
 * Indices are `(x + c) | 0`: a wrapping int32 add, so V8 drops the overflow check it would put on
 * each of the 8 loads (measured ≈ 4.4 → 5.0 GFLOP/s); packed indices stay below 2¹⁴, so nothing
 * wraps. Accumulators of padding rows and columns are computed but never stored.
 */
function microKernel(aAt: number, bAt: number, kc: number, accAt: number): void {
  const A = packedA;
  const B = packedB;
  const C = acc;
  const r1 = accAt + NB, r2 = r1 + NB, r3 = r2 + NB;
  let c00 = C[accAt], c01 = C[accAt + 1], c02 = C[accAt + 2], c03 = C[accAt + 3];
  let c10 = C[r1], c11 = C[r1 + 1], c12 = C[r1 + 2], c13 = C[r1 + 3];
  let c20 = C[r2], c21 = C[r2 + 1], c22 = C[r2 + 2], c23 = C[r2 + 3];
  let c30 = C[r3], c31 = C[r3 + 1], c32 = C[r3 + 2], c33 = C[r3 + 3];
  for (let p = 0; p < kc; p++, aAt = (aAt + MR) | 0, bAt = (bAt + NR) | 0) {
    const b0 = B[bAt], b1 = B[(bAt + 1) | 0], b2 = B[(bAt + 2) | 0], b3 = B[(bAt + 3) | 0];
    const a0 = A[aAt], a1 = A[(aAt + 1) | 0], a2 = A[(aAt + 2) | 0], a3 = A[(aAt + 3) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  C[accAt] = c00; C[accAt + 1] = c01; C[accAt + 2] = c02; C[accAt + 3] = c03;
  C[r1] = c10; C[r1 + 1] = c11; C[r1 + 2] = c12; C[r1 + 3] = c13;
  C[r2] = c20; C[r2 + 1] = c21; C[r2 + 2] = c22; C[r2 + 3] = c23;
  C[r3] = c30; C[r3 + 1] = c31; C[r3 + 2] = c32; C[r3 + 3] = c33;
}

/** The single rounding to C's dtype happens here (a no-op for float64). */
function storeTile(c: FloatArray, base: number, n: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) c[base + i * n + j] = acc[i * NB + j];
  }
}
