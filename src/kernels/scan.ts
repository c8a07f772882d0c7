// Scans along one dim: running sums and the first-order linear recurrence y_i = a_i·y_(i−1) + b_i
// (cumprod and the scans' gradients are both of that form). A unit is one line along the dim,
// folded in a fixed order, so the bits never depend on the thread count. Inputs arrive
// contiguous, viewed as [outer, size, inner]; out is contiguous.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

export interface ScanArgs {
  /** 'sum': out = cumsum(b); 'linear': out_i = a_i·out_(i−1) + b_i from 0. */
  kind: 'sum' | 'linear';
  b: DataArray;
  bOffset: number;
  a?: DataArray;
  aOffset?: number;
  out: DataArray;
  outer: number;
  size: number;
  inner: number;
  /** Run from the end of the dim to its start (y_i depends on y_(i+1)). */
  reverse: boolean;
}

export const scanKernel: Kernel<ScanArgs> = {
  run(s, start, end) {
    const { b, out, size, inner } = s;
    const a = s.a as DataArray;
    const aOff = s.aOffset ?? 0;
    const step = s.reverse ? -inner : inner;
    for (let u = start; u < end; u++) {
      const o = Math.floor(u / inner);
      const first = o * size * inner + (u - o * inner) + (s.reverse ? (size - 1) * inner : 0);
      // The accumulator is a float64 whatever the dtype; each stored value rounds once.
      let acc = 0;
      let p = first;
      if (s.kind === 'sum') {
        for (let k = 0; k < size; k++, p += step) {
          acc += b[s.bOffset + p];
          out[p] = acc;
        }
      } else {
        // y_0 = b_0: the a_0·y_(−1) term is 0 even where a_0 is ±∞ or NaN (∞·0 would be NaN).
        for (let k = 0; k < size; k++, p += step) {
          acc = k === 0 ? b[s.bOffset + p] : a[aOff + p] * acc + b[s.bOffset + p];
          out[p] = acc;
        }
      }
    }
  },
  units: (s) => s.outer * s.inner,
  unitCost: (s) => 10 + 2 * s.size,
};
