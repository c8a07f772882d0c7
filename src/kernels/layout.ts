// Index arithmetic the kernels share: coalescing strided operands into the fewest dims.
// Nothing in src/kernels may import tensor, ops, graph or runtime.

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
