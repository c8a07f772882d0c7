// src/kernels/matmul-native.ts — matmul through the system OpenBLAS (native/blas, a Node-API
// addon), float32 and float64, on the operands where they lie. Imported by the main thread AND
// by workers. Nothing in src/kernels may import tensor, ops, graph or runtime.
import { loadAddon } from '../native.js';
import type { FloatArray, Kernel, MatmulArgs } from './types.js';

/** native/blas/gemm.c's exports. */
interface BlasAddon {
  gemm(a: FloatArray, b: FloatArray, c: FloatArray, geometry: Float64Array, start: number, end: number): void;
  gemmTile(a: FloatArray, b: FloatArray, c: FloatArray, params: Float64Array): void;
  info(): { config: string; core: string; threads: number };
}

/**
 * A unit is one tile of one batch entry of C, computed over the whole of k by ONE single-threaded
 * BLAS call; units are numbered batch-major, then column block, then row block (fastest), so
 * consecutive units of a call share B's columns (packed once when B's layout needs packing).
 *
 * The grid depends on the shapes only: tiles of at most TILE_MAX × TILE_MAX, split evenly (to
 * multiples of ALIGN) and halved along the longer side while the launch has fewer than MIN_TILES
 * tiles and each half still holds MIN_TILE_FLOPS, so two threads can share a W2-sized product.
 * Big tiles matter: OpenBLAS packs its own panels per call. At 1024³ (C, thread CPU time, a
 * loaded machine, so noisy) one call per 512×512 tile ran 79–82 GFLOP/s against 84–86 for one
 * call over the whole product, 256×256 tiles about the same, 128×128 tiles ≈ 57.
 */
const TILE_MAX = 512;
const ALIGN = 16;
const MIN_TILES = 4;
/** A half tile holds at least this much: 2²² flops ≈ 60 µs on one thread. */
const MIN_TILE_FLOPS = 1 << 22;

/**
 * Single-thread cost model (thread CPU time, OpenBLAS 0.3.21 'Zen' kernels, AVX2, a machine
 * shared with other jobs, so modest): ≈ 70 GFLOP/s on 256–512 tiles, less on small ones, which
 * the fixed cost per call absorbs (16³ ≈ 0.4 µs in C; ≈ 1 µs through Node-API with its checks).
 * Packing (only for layouts BLAS cannot read) moves ≈ 1 element per ns.
 */
const GFLOPS = 70;
const CALL_NS = 1000;
const PACK_PER_NS = 1;

/** Geometry slots, as native/blas/gemm.c reads them (its enum G_*). */
const G_BATCH = 13;
const MAX_BATCH_RANK = 16;
/** Scratch for the geometry of one call: run() never allocates. */
const geometry = new Float64Array(G_BATCH + 3 * MAX_BATCH_RANK);
const tileParams = new Float64Array(12);

interface Grid {
  batch: number;
  tileRows: number;
  tileCols: number;
  rowBlocks: number;
  colBlocks: number;
}

function evenTile(size: number, blocks: number): number {
  if (size <= ALIGN) return Math.max(size, 1);
  return Math.min(size, Math.ceil(Math.ceil(size / blocks) / ALIGN) * ALIGN);
}

function grid({ batchShape, m, n, k }: MatmulArgs): Grid {
  let batch = 1;
  for (const size of batchShape) batch *= size;
  let tileRows = evenTile(m, Math.ceil(m / TILE_MAX));
  let tileCols = evenTile(n, Math.ceil(n / TILE_MAX));
  const blocks = (size: number, tile: number) => (size === 0 ? 0 : Math.ceil(size / tile));
  // Each halving at least halves a tile side, so this ends within log2(TILE_MAX / ALIGN) · 2 rounds.
  // A half tile does tileRows·tileCols·k/2 multiply-adds = tileRows·tileCols·k flops.
  while (batch * blocks(m, tileRows) * blocks(n, tileCols) < MIN_TILES && tileRows * tileCols * k >= MIN_TILE_FLOPS) {
    if (tileRows >= tileCols && tileRows > ALIGN) tileRows = evenTile(m, 2 * blocks(m, tileRows));
    else if (tileCols > ALIGN) tileCols = evenTile(n, 2 * blocks(n, tileCols));
    else break;
  }
  return { batch, tileRows, tileCols, rowBlocks: blocks(m, tileRows), colBlocks: blocks(n, tileCols) };
}

/** Whether BLAS reads a rows×cols operand with these strides in place (gemm.c's blas_layout). */
function blasReads(rows: number, cols: number, rs: number, cs: number): boolean {
  const noTrans = (cols <= 1 || cs === 1) && (rows <= 1 || rs >= Math.max(cols, 1));
  const trans = (rows <= 1 || rs === 1) && (cols <= 1 || cs >= Math.max(rows, 1));
  return noTrans || trans;
}

function encode(args: MatmulArgs, g: Grid): Float64Array {
  const rank = args.batchShape.length;
  if (rank > MAX_BATCH_RANK) throw new RangeError(`matmul (native): ${rank} batch dims; at most ${MAX_BATCH_RANK}`);
  geometry[0] = args.m;
  geometry[1] = args.n;
  geometry[2] = args.k;
  geometry[3] = args.aOffset;
  geometry[4] = args.aRowStride;
  geometry[5] = args.aColStride;
  geometry[6] = args.bOffset;
  geometry[7] = args.bRowStride;
  geometry[8] = args.bColStride;
  geometry[9] = args.cOffset;
  geometry[10] = g.tileRows;
  geometry[11] = g.tileCols;
  geometry[12] = rank;
  for (let d = 0; d < rank; d++) {
    geometry[G_BATCH + 3 * d] = args.batchShape[d];
    geometry[G_BATCH + 3 * d + 1] = args.aBatchStrides[d];
    geometry[G_BATCH + 3 * d + 2] = args.bBatchStrides[d];
  }
  return geometry;
}

/** The BLAS matmul kernel, with what it links to (for runtimeStats and the bench header). */
export interface NativeMatmulKernel extends Kernel<MatmulArgs> {
  /** e.g. 'OpenBLAS 0.3.21 … Zen', and the BLAS threads per call (always 1). */
  readonly blas: { config: string; core: string; threads: number };
}

function createKernel(addon: BlasAddon): NativeMatmulKernel {
  return {
    blas: addon.info(),

    run(args, start, end) {
      const g = grid(args);
      addon.gemm(args.a, args.b, args.c, encode(args, g), start, end);
    },

    units(args) {
      const g = grid(args);
      return g.batch * g.rowBlocks * g.colBlocks;
    },

    unitCost(args) {
      const { m, n, k } = args;
      const g = grid(args);
      const units = g.batch * g.rowBlocks * g.colBlocks;
      if (units === 0) return 0;
      const rows = m / g.rowBlocks;
      const cols = n / g.colBlocks;
      // Packing only for layouts BLAS cannot read: A's tile rows, B's tile columns (amortised
      // over the row blocks that share them).
      const packed = (blasReads(m, k, args.aRowStride, args.aColStride) ? 0 : rows * k)
        + (blasReads(k, n, args.bRowStride, args.bColStride) ? 0 : (cols * k) / g.rowBlocks);
      return (2 * rows * cols * k) / GFLOPS + packed / PACK_PER_NS + CALL_NS;
    },
  };
}

let loaded: { kernel: NativeMatmulKernel | null; reason: string | null } | null = null;
/** The addon, when configureKernels picked the native matmul on this thread (gemmTile's switch). */
let active: BlasAddon | null = null;

/**
 * This thread's BLAS kernel, or null with nativeMatmulReason() saying why (not built, hidden by
 * SKEIN_NATIVE=off, or did not load). Synchronous, so a worker can call it at module load; the
 * addon sets OpenBLAS to one thread in every thread that loads it.
 *
 * @example
 *   const mm = loadMatmulNative();
 *   // C (2×2) = A (2×3) · B (3×2), all contiguous
 *   const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
 *   const c = new Float32Array(4);
 *   const args = { a, aOffset: 0, aBatchStrides: [], aRowStride: 3, aColStride: 1,
 *                  b, bOffset: 0, bBatchStrides: [], bRowStride: 2, bColStride: 1,
 *                  c, cOffset: 0, batchShape: [], m: 2, n: 2, k: 3 };
 *   mm?.run(args, 0, mm.units(args)); // c = [4, 5, 10, 11]
 */
export function loadMatmulNative(): NativeMatmulKernel | null {
  if (loaded === null) {
    const result = loadAddon<BlasAddon>('blas');
    loaded = result.addon === null ? { kernel: null, reason: result.reason } : { kernel: createKernel(result.addon), reason: null };
  }
  return loaded.kernel;
}

/** configureKernels' switch: gemmTile runs BLAS only while the native matmul is the one in use. */
export function useMatmulNative(on: boolean): void {
  active = on && loadMatmulNative() !== null ? (loadAddon<BlasAddon>('blas').addon as BlasAddon) : null;
}

/** Why loadMatmulNative() gives null on this thread; null when it loads. */
export function nativeMatmulReason(): string | null {
  loadMatmulNative();
  return (loaded as { reason: string | null }).reason;
}

/** One tile product for a kernel that packs its own panels (e.g. convolution's implicit GEMM). */
export interface GemmTile {
  /** op(A) is m×k: A stored row-major m×k with lda ≥ k, or (transA) k×m with lda ≥ m. */
  a: FloatArray;
  aOffset: number;
  lda: number;
  transA: boolean;
  /** op(B) is k×n: B stored k×n with ldb ≥ n, or (transB) n×k with ldb ≥ k. */
  b: FloatArray;
  bOffset: number;
  ldb: number;
  transB: boolean;
  /** C is m×n with row stride ldc ≥ n. */
  c: FloatArray;
  cOffset: number;
  ldc: number;
  m: number;
  n: number;
  k: number;
  /** 0 overwrites C; 1 accumulates into it (e.g. summing over input-channel blocks). */
  beta: 0 | 1;
}

/**
 * C = op(A)·op(B) + beta·C for one tile, as ONE single-threaded BLAS call (cblas_sgemm when the
 * arrays are Float32Array, cblas_dgemm for Float64Array; all three must match). Its bits depend
 * only on the arguments, so a kernel that calls it once per unit of a fixed grid keeps Skein's
 * thread invariance. Bounds are checked in C before the call (RangeError). Returns false, having
 * done nothing, unless the native matmul is the kernel in use on this thread (configureKernels
 * picks it on every thread alike): the caller then keeps its own loop.
 *
 * @example
 *   // a conv tile: C[outC × pixels] = W[outC × inC·kh·kw] · P[inC·kh·kw × pixels], P packed per tile
 *   if (!gemmTile({ a: w, aOffset: 0, lda: K, transA: false, b: panel, bOffset: 0, ldb: P, transB: false,
 *                   c: out, cOffset: o, ldc: P, m: outC, n: P, k: K, beta: 0 })) wasmOrJsTile();
 */
export function gemmTile(t: GemmTile): boolean {
  if (active === null) return false;
  const p = tileParams;
  p[0] = t.aOffset; p[1] = t.lda; p[2] = t.transA ? 1 : 0;
  p[3] = t.bOffset; p[4] = t.ldb; p[5] = t.transB ? 1 : 0;
  p[6] = t.cOffset; p[7] = t.ldc; p[8] = t.m; p[9] = t.n; p[10] = t.k; p[11] = t.beta;
  active.gemmTile(t.a, t.b, t.c, p);
  return true;
}
