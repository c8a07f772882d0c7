// Reductions over some or all dims; argmax/argmin index the reduced dims flattened row-major. Gradients flow back through an unsqueeze and an expand,
// so no formula copies broadcasting logic.
import { show } from '../validate.js';
import { isFloat, type DType } from '../dtype.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { coalesce } from '../kernels/layout.js';
import type { Reducer } from '../kernels/reduce.js';
import { isContiguous, normalizeDims } from '../shape.js';
import { Storage } from '../storage.js';
import { defineOp, launch, type Buf, type Meta } from './define.js';

export interface ReduceAttrs {
  /** Sorted, non-negative; filled in by the method from the user's dims. */
  dims: number[];
  keepdim: boolean;
}

export function reducedShape<D>(shape: readonly D[], dims: readonly number[], keepdim: boolean, one: D): D[] {
  return keepdim ? shape.map((d, i) => (dims.includes(i) ? one : d)) : shape.filter((_, i) => !dims.includes(i));
}

const reduceShape = (op: string, dtype: (d: DType) => DType) => (inputs: Meta[], { dims, keepdim }: ReduceAttrs): Meta => {
  const { shape } = inputs[0];
  normalizeDims(op, dims, shape.length);
  return { shape: reducedShape(shape, dims, keepdim, 1), dtype: dtype(inputs[0].dtype) };
};

/** An all-element reduction this long first folds fixed chunks, so it runs in parallel. */
const CHUNK = 1 << 16;

function launchReduce(op: string, reducer: Reducer, out: Buf, x: Buf, dims: readonly number[]): void {
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const n = x.shape.reduce((a, b) => a * b, 1);
  const chunked = keep.length === 0 && n > CHUNK && (reducer === 'sum' || reducer === 'max' || reducer === 'min') && isContiguous(x.shape, x.strides);
  if (chunked) {
    // Partial folds of fixed 64K chunks, then one fold of the partials: the same bits on any thread count.
    const chunks = Math.ceil(n / CHUNK);
    // float64 partials are exact for int32 inputs too; the final fold checks the int32 range.
    const dtype = 'float64';
    const partial: Buf = { storage: new Storage(dtype, chunks), shape: [chunks], strides: [1], offset: 0, dtype };
    launch(op, { kernel: 'reduce', args: { reducer, x: x.storage.data, xOffset: x.offset, outerShape: [chunks], outerStrides: [CHUNK], innerShape: [CHUNK], innerStrides: [1], out: partial.storage.data, total: n } }, [x], [partial]);
    launchReduce(op, reducer, out, partial, [0]);
    return;
  }
  const outer = coalesce(keep.map((i) => x.shape[i]), [keep.map((i) => x.strides[i])]);
  const inner = coalesce(dims.map((i) => x.shape[i]), [dims.map((i) => x.strides[i])]);
  const args = {
    reducer,
    x: x.storage.data,
    xOffset: x.offset,
    outerShape: outer.shape,
    outerStrides: outer.strides[0],
    innerShape: inner.shape,
    innerStrides: inner.strides[0],
    out: out.storage.data,
  };
  if (dims.some((i) => x.shape[i] === 0)) args.innerShape = [0];
  launch(op, { kernel: 'reduce', args }, [x], [out]);
}

function nonEmpty(op: string, inputs: Meta[], attrs: ReduceAttrs): void {
  if (attrs.dims.some((d) => inputs[0].shape[d] === 0)) {
    throw new ShapeError(`${op}: got an empty reduced dim in shape ${fmtShape(inputs[0].shape)}, expected non-zero sizes (the result has no identity)`);
  }
}

/** Unsqueezes g back to keepdim form, then expands it over the input's shape. */
function spread(g: any, a: any, { dims, keepdim }: ReduceAttrs): any {
  let k = g;
  if (!keepdim) for (const d of dims) k = k.unsqueeze(d);
  return k.expand(a.shape);
}

export const sum = defineOp<ReduceAttrs>({
  name: 'sum',
  arity: 1,
  shape: reduceShape('sum', (d) => (isFloat(d) ? d : 'int32')),
  forward: (out, [x], { dims }) => launchReduce('sum', 'sum', out, x, dims),
  grad: (g, [a], _, attrs) => [spread(g, a, attrs)],
  saves: 'none',
});

/** The gradient is split evenly among tied extremes. */
function extremeGrad(g: any, [a]: any[], out: any, attrs: ReduceAttrs): any[] {
  const mask = a.eq(spread(out, a, attrs)).to(a.dtype);
  return [spread(g, a, attrs).mul(mask).div(mask.sum(attrs.dims, true))];
}

export const max = defineOp<ReduceAttrs>({
  name: 'max',
  arity: 1,
  shape: (inputs, attrs) => (nonEmpty('max', inputs, attrs), reduceShape('max', (d) => d)(inputs, attrs)),
  forward: (out, [x], { dims }) => launchReduce('max', 'max', out, x, dims),
  grad: extremeGrad,
  saves: 'inputsAndOutput',
});

export const min = defineOp<ReduceAttrs>({
  name: 'min',
  arity: 1,
  shape: (inputs, attrs) => (nonEmpty('min', inputs, attrs), reduceShape('min', (d) => d)(inputs, attrs)),
  forward: (out, [x], { dims }) => launchReduce('min', 'min', out, x, dims),
  grad: extremeGrad,
  saves: 'inputsAndOutput',
});

function argShape(op: string) {
  return (inputs: Meta[], attrs: ReduceAttrs): Meta => {
    if (attrs.dims.length !== 1 && attrs.dims.length !== inputs[0].shape.length) {
      throw new ShapeError(`${op}: got dims ${show(attrs.dims)}, expected one dim or none`);
    }
    if (inputs[0].dtype === 'bool') throw new DTypeError(`${op}: got dtype bool, expected a numeric dtype`);
    nonEmpty(op, inputs, attrs);
    return reduceShape(op, () => 'int32')(inputs, attrs);
  };
}

export const argmax = defineOp<ReduceAttrs>({ name: 'argmax', arity: 1, shape: argShape('argmax'), forward: (out, [x], { dims }) => launchReduce('argmax', 'argmax', out, x, dims), grad: null }); // integer indices: no gradient
export const argmin = defineOp<ReduceAttrs>({ name: 'argmin', arity: 1, shape: argShape('argmin'), forward: (out, [x], { dims }) => launchReduce('argmin', 'argmin', out, x, dims), grad: null }); // integer indices: no gradient
