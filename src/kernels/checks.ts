// Value checks that PyTorch makes on data (binary cross-entropy's probabilities, multinomial's
// weights): the kernel copies x to out, and throws at the first element outside [min, max] (NaN
// included). The runtime turns the throw into the op's ValueError, and the result's readers see it.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

/** out[i] = x[i] over a contiguous run, each checked to lie in [min, max] (max = MAX_VALUE: finite); `what` names the values. */
export interface RangeCheckArgs {
  x: DataArray;
  xOffset: number;
  out: DataArray;
  outOffset: number;
  n: number;
  min: number;
  max: number;
  what: string;
}

/** The message's ", expected values in" is what the runtime reads as a bad value (ValueError). */
export function rangeMessage(v: number, i: number, a: Pick<RangeCheckArgs, 'min' | 'max' | 'what'>): string {
  const upper = a.max === Number.MAX_VALUE ? '∞)' : `${a.max}]`;
  return `got ${v} at element ${i} of ${a.what}, expected values in [${a.min}, ${upper}`;
}

export const rangeCheckKernel: Kernel<RangeCheckArgs> = {
  run(a, start, end) {
    const { x, out, xOffset, outOffset, min, max } = a;
    for (let i = start; i < end; i++) {
      const v = x[xOffset + i];
      if (!(v >= min && v <= max)) throw new RangeError(rangeMessage(v, i, a));
      out[outOffset + i] = v;
    }
  },
  units: (a) => a.n,
  unitCost: () => 0.5,
};
