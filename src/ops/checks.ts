// checkRange: x, unchanged, once every element is known to lie in [min, max]. The values live on
// the device, so the check is a kernel (src/kernels/checks.ts): a bad value fails this launch,
// and every result computed from it reports the op's ValueError when read, as PyTorch's own data
// checks raise (binary_cross_entropy's "between 0 and 1", multinomial's negative weights).
import { DTypeError } from '../errors.js';
import { isFloat } from '../dtype.js';
import { contiguousBuf, defineOp, launch } from './define.js';

export interface RangeAttrs {
  min: number;
  max: number;
  /** What the values are, for the message: "the input", "the weights". */
  what: string;
}

export const checkRange = defineOp<RangeAttrs>({
  name: 'checkRange',
  arity: 1,
  shape: ([a]) => {
    if (!isFloat(a.dtype)) throw new DTypeError(`checkRange: got dtype ${a.dtype}, expected float32 or float64`);
    return a;
  },
  forward: (out, [a], { min, max, what }) => {
    const x = contiguousBuf('checkRange', a);
    const n = a.shape.reduce((p, s) => p * s, 1);
    launch('checkRange', { kernel: 'checkRange', args: { x: x.storage.data, xOffset: x.offset, out: out.storage.data, outOffset: out.offset, n, min, max, what } }, [x], [out]);
  },
  // The identity wherever it did not throw.
  grad: (g) => [g],
  saves: 'none',
});
