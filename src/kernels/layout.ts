// Index arithmetic the kernels share: coalescing strided operands into the fewest dims, and
// where one batch entry of a matmul starts. Nothing in src/kernels may import tensor, ops, graph
// or runtime.
import type { MatmulArgs } from './types.js';

/**
 * Drops size-1 dims and merges neighbours that every operand walks contiguously
 * (stride[d] = stride[d+1]·shape[d+1]), so a [64, 100] contiguous add is one 6400-long loop.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    outStrides.forEach((s) => s.push(1));
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Where batch entry `batch` (row-major over batchShape) of a matmul starts, written to `out` as
 * [aBase, bBase, cBase]: A and B walk their own batch strides (0 on a broadcast dim), C is
 * contiguous. The caller owns `out` (a module-level scratch), so the kernels' hot path allocates
 * nothing; float64, so offsets past 2³¹ stay exact.
 */
export function matmulBatchBases(args: MatmulArgs, batch: number, out: Float64Array): void {
  const { batchShape, aBatchStrides, bBatchStrides } = args;
  out[2] = args.cOffset + batch * args.m * args.n;
  // Row-major batch index → operand offsets, innermost batch dim first.
  let aBase = args.aOffset;
  let bBase = args.bOffset;
  for (let d = batchShape.length - 1; d >= 0; d--) {
    const size = batchShape[d];
    const idx = batch % size;
    batch = (batch - idx) / size;
    aBase += idx * aBatchStrides[d];
    bBase += idx * bBatchStrides[d];
  }
  out[0] = aBase;
  out[1] = bBase;
}
