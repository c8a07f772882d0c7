// argsort: the int32 positions that sort each line along a dim. sort and topk gather through
// them, so their gradients go back through gather's (a scatter-add to the selected positions).
import type { SortArgs } from '../kernels/sort.js';
import { normalizeDim } from '../shape.js';
import { contiguousBuf, defineOp, launch } from './define.js';

export interface SortAttrs {
  /** Non-negative; filled in by the method. */
  dim: number;
  descending: boolean;
}

export const argsort = defineOp<SortAttrs>({
  name: 'argsort',
  arity: 1,
  shape: ([a], { dim }) => {
    if (a.shape.length > 0) normalizeDim('argsort', dim, a.shape.length);
    return { shape: a.shape, dtype: 'int32' };
  },
  forward: (out, [a], { dim, descending }) => {
    const x = contiguousBuf('argsort', a);
    const prod = (xs: readonly number[]) => xs.reduce((p, q) => p * q, 1);
    const shape = a.shape.length === 0 ? [1] : a.shape;
    const args: SortArgs = { x: x.storage.data, xOffset: x.offset, out: out.storage.data as Int32Array, outer: prod(shape.slice(0, dim)), size: shape[dim], inner: prod(shape.slice(dim + 1)), descending };
    launch('argsort', { kernel: 'sort', args }, [x], [out]);
  },
  grad: null, // integer positions: no gradient
});
