// Shared types for kernels. Nothing in src/kernels may import tensor, ops, graph or runtime.

export type FloatArray = Float32Array | Float64Array;
export type DataArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A kernel is a pure loop over typed arrays that computes units [start, end) of its work.
 * A unit's result depends only on that unit, never on the partition, so any split of
 * [0, units) across threads gives the same bits.
 */
export interface Kernel<A> {
  run(args: A, start: number, end: number): void;
  /** Independent units of work; fixed by the shapes, never by the thread count. */
  units(args: A): number;
  /** Estimated single-thread time of one unit, in nanoseconds (from the bench). */
  unitCost(args: A): number;
}

/**
 * C[b] = A[b] · B[b] for every batch index b (row-major batch order).
 * A[b] is m×k at aOffset + Σ bᵢ·aBatchStrides[i] + r·aRowStride + c·aColStride (any strides:
 * transposed and expanded operands arrive as views, never materialised); likewise B (k×n).
 * C is contiguous [...batchShape, m, n] starting at cOffset. a, b and c share one dtype.
 */
export interface MatmulArgs {
  a: FloatArray;
  aOffset: number;
  aBatchStrides: number[];
  aRowStride: number;
  aColStride: number;
  b: FloatArray;
  bOffset: number;
  bBatchStrides: number[];
  bRowStride: number;
  bColStride: number;
  c: FloatArray;
  cOffset: number;
  batchShape: number[];
  m: number;
  n: number;
  k: number;
  /** a, b and c all lie in the tensor heap: the WASM kernel packs them where they are. */
  heap?: boolean;
}
