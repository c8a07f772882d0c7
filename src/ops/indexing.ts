// Reads through an int32 index tensor, and their adjoints, which add back through it.
// Index values live on the device, so a bad index fails the kernel (the read reports it).
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { UNARY } from '../kernels/elementwise.js';
import { contiguousStrides, normalizeDim } from '../shape.js';
import { contiguousBuf, defineOp, launch, launchMap, type Buf, type Meta } from './define.js';

export interface IndexAttrs {
  dim: number;
}

function checkIndexTensor(op: string, index: Meta, rank1: boolean): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: got an index of dtype ${index.dtype}, expected int32`);
  if (rank1 && index.shape.length !== 1) throw new ShapeError(`${op}: got an index of shape ${fmtShape(index.shape)}, expected a 1-D index`);
}

/** [outer, dim, inner] sizes around one dim. */
function around(shape: readonly number[], dim: number): { outer: number; dimSize: number; inner: number } {
  const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
  return { outer: prod(shape.slice(0, dim)), dimSize: shape[dim], inner: prod(shape.slice(dim + 1)) };
}

function copyBase(op: string, out: Buf, base: Buf): void {
  launchMap(op, UNARY.copy, out, [base]);
}

export const indexSelect = defineOp<IndexAttrs>({
  name: 'indexSelect',
  arity: 2,
  shape: ([a, index], { dim }) => {
    checkIndexTensor('indexSelect', index, true);
    const d = normalizeDim('indexSelect', dim, a.shape.length);
    return { shape: a.shape.map((s, i) => (i === d ? index.shape[0] : s)), dtype: a.dtype };
  },
  forward: (out, [a, index], { dim }) => {
    const x = contiguousBuf('indexSelect', a);
    const idx = contiguousBuf('indexSelect', index);
    launch('indexSelect', { kernel: 'indexSelect', args: { x: x.storage.data, xOffset: x.offset, index: idx.storage.data, indexOffset: idx.offset, out: out.storage.data, count: index.shape[0], ...around(a.shape, dim) } }, [x, idx], [out]);
  },
  grad: (g, [a, index], _, { dim }) => [a.fullLike(0, g.dtype).indexAdd(dim, index, g), null],
  saves: 'inputs',
});

/** out = base, then out[…, index[i], …] += src[…, i, …] along dim. */
export const indexAdd = defineOp<IndexAttrs>({
  name: 'indexAdd',
  arity: 3,
  shape: ([base, index, src], { dim }) => {
    checkIndexTensor('indexAdd', index, true);
    const d = normalizeDim('indexAdd', dim, base.shape.length);
    const want = base.shape.map((s, i) => (i === d ? index.shape[0] : s));
    if (src.shape.length !== want.length || src.shape.some((s, i) => s !== want[i])) {
      throw new ShapeError(`indexAdd: got source shape ${fmtShape(src.shape)}, expected ${fmtShape(want)}`);
    }
    if (src.dtype !== base.dtype) throw new DTypeError(`indexAdd: got source dtype ${src.dtype} for a ${base.dtype} tensor, expected equal dtypes`);
    if (base.dtype === 'bool') throw new DTypeError('indexAdd: got a bool tensor, expected a numeric dtype (adds into a bool tensor have no 0/1 meaning)');
    return base;
  },
  forward: (out, [base, index, src], { dim }) => {
    copyBase('indexAdd', out, base);
    const s = contiguousBuf('indexAdd', src);
    const idx = contiguousBuf('indexAdd', index);
    launch('indexAdd', { kernel: 'indexAdd', args: { out: out.storage.data, src: s.storage.data, srcOffset: s.offset, index: idx.storage.data, indexOffset: idx.offset, count: index.shape[0], ...around(base.shape, dim) } }, [out, s, idx], [out]);
  },
  grad: (g, [, index], _, { dim }) => [g, null, g.indexSelect(dim, index)],
  saves: 'inputs',
});

function gatherShape(op: string, a: Meta, index: Meta, dim: number): void {
  checkIndexTensor(op, index, false);
  const d = normalizeDim(op, dim, a.shape.length);
  const fits = index.shape.length === a.shape.length && index.shape.every((s, i) => i === d || s === null || a.shape[i] === null || s <= (a.shape[i] as number));
  if (!fits) throw new ShapeError(`${op}: got index shape ${fmtShape(index.shape)} for input shape ${fmtShape(a.shape)}, expected the same rank and sizes no larger outside dim ${dim}`);
}

export const gather = defineOp<IndexAttrs>({
  name: 'gather',
  arity: 2,
  shape: ([a, index], { dim }) => {
    gatherShape('gather', a, index, dim);
    return { shape: index.shape, dtype: a.dtype };
  },
  forward: (out, [a, index], { dim }) => {
    const x = contiguousBuf('gather', a);
    const idx = contiguousBuf('gather', index);
    const args = { x: x.storage.data, xOffset: x.offset, xStrides: contiguousStrides(a.shape), xDimSize: a.shape[dim], index: idx.storage.data, indexOffset: idx.offset, indexShape: [...index.shape], dim, out: out.storage.data };
    launch('gather', { kernel: 'gather', args }, [x, idx], [out]);
  },
  grad: (g, [a, index], _, { dim }) => [a.fullLike(0, g.dtype).scatterAdd(dim, index, g), null],
  saves: 'inputs',
});

/** out = base, then out[position of src[c] along dim given by index[c]] += src[c]. */
export const scatterAdd = defineOp<IndexAttrs>({
  name: 'scatterAdd',
  arity: 3,
  shape: ([base, index, src], { dim }) => {
    gatherShape('scatterAdd', base, index, dim);
    if (src.shape.length !== index.shape.length || src.shape.some((s, i) => s !== index.shape[i])) {
      throw new ShapeError(`scatterAdd: got source shape ${fmtShape(src.shape)}, expected the index's shape ${fmtShape(index.shape)}`);
    }
    if (src.dtype !== base.dtype) throw new DTypeError(`scatterAdd: got source dtype ${src.dtype} for a ${base.dtype} tensor, expected equal dtypes`);
    if (base.dtype === 'bool') throw new DTypeError('scatterAdd: got a bool tensor, expected a numeric dtype (adds into a bool tensor have no 0/1 meaning)');
    return base;
  },
  forward: (out, [base, index, src], { dim }) => {
    copyBase('scatterAdd', out, base);
    const s = contiguousBuf('scatterAdd', src);
    const idx = contiguousBuf('scatterAdd', index);
    const args = { x: out.storage.data, xOffset: out.offset, xStrides: contiguousStrides(base.shape), xDimSize: base.shape[dim], index: idx.storage.data, indexOffset: idx.offset, indexShape: [...index.shape], dim, out: out.storage.data, src: s.storage.data, srcOffset: s.offset };
    launch('scatterAdd', { kernel: 'scatterAdd', args }, [out, s, idx], [out]);
  },
  grad: (g, [, index], _, { dim }) => [g, null, g.gather(dim, index)],
  saves: 'inputs',
});
