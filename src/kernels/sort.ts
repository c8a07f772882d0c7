// Sorting along one dim: out holds, for each line, the int32 positions of its elements in sorted
// order. Ties keep their original order (a stable sort), and NaN sorts above every number, as in
// PyTorch. A unit is one line; x arrives contiguous, viewed as [outer, size, inner].
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

export interface SortArgs {
  x: DataArray;
  xOffset: number;
  out: Int32Array;
  outer: number;
  size: number;
  inner: number;
  descending: boolean;
}

/** Ascending order with NaN last; 0 for ties (the caller breaks them by position). */
function ascending(p: number, q: number): number {
  if (p < q) return -1;
  if (p > q) return 1;
  const pn = p !== p;
  const qn = q !== q;
  return pn === qn ? 0 : pn ? 1 : -1;
}

export const sortKernel: Kernel<SortArgs> = {
  run(s, start, end) {
    const { x, size, inner } = s;
    const order = new Array<number>(size);
    const keys = new Float64Array(size);
    const sign = s.descending ? -1 : 1;
    for (let u = start; u < end; u++) {
      const o = Math.floor(u / inner);
      const base = o * size * inner + (u - o * inner);
      for (let k = 0; k < size; k++) {
        order[k] = k;
        keys[k] = x[s.xOffset + base + k * inner];
      }
      // Array.prototype.sort is stable, and equal keys compare 0, so ties stay in position order.
      order.sort((i, j) => sign * ascending(keys[i], keys[j]) || i - j);
      for (let k = 0; k < size; k++) s.out[base + k * inner] = order[k];
    }
  },
  units: (s) => s.outer * s.inner,
  unitCost: (s) => 20 + 30 * s.size * Math.log2(s.size + 1),
};
