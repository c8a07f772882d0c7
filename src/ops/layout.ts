// Layout ops of issue 11 that need an entry of their own: flip (a copy read through negated
// strides) and slice with a step (a view with the dim's stride multiplied by the step).
import { show } from '../validate.js';
import { fmtShape, ShapeError } from '../errors.js';
import { coalesce } from '../kernels/layout.js';
import type { MapArgs } from '../kernels/elementwise.js';
import { UNARY } from '../kernels/elementwise.js';
import { defineOp, launch, type OpDef } from './define.js';

export interface FlipAttrs {
  /** Sorted, non-negative, unique; filled in by the method. */
  dims: number[];
}

/** Reverses the order along each of dims. Its gradient is the same flip. */
export const flip: OpDef<FlipAttrs> = defineOp<FlipAttrs>({
  name: 'flip',
  arity: 1,
  shape: ([a], { dims }) => {
    if (dims.some((d) => !Number.isInteger(d) || d < 0 || d >= Math.max(a.shape.length, 1))) throw new ShapeError(`flip: got dims ${show(dims)} for shape ${fmtShape(a.shape)}, expected dims of the tensor`);
    return a;
  },
  forward: (out, [x], { dims }) => {
    // x read backwards along dims: offset at the last element, stride negated. The JavaScript
    // loop walks any strides; the WASM passes are kept out (heap: false), as they assume ≥ 0.
    let offset = x.offset;
    const strides = x.strides.map((s, d) => {
      if (!dims.includes(d) || x.shape[d] === 0) return s;
      offset += (x.shape[d] - 1) * s;
      return -s;
    });
    const c = coalesce(out.shape, [out.strides, strides]);
    const args: MapArgs = { expr: UNARY.copy, out: out.storage.data, outOffset: out.offset, outStrides: c.strides[0], inputs: [x.storage.data], offsets: [offset], strides: [c.strides[1]], shape: c.shape, params: [], heap: false };
    launch('flip', { kernel: 'map', args }, [x], [out]);
  },
  grad: (g, _, __, attrs) => [g.applyOp(flip, [g], attrs)],
  saves: 'none',
});

export interface SliceAttrs {
  /** Non-negative; the method resolves Python's negative and clamped indices first. */
  dim: number;
  start: number;
  /** Elements taken: start, start + step, … (length of them). */
  length: number;
  step: number;
}

/**
 * A strided view. Backward puts g back at every step-th position: each element of g gains
 * step − 1 zeros after it (unsqueeze, pad, merge), and the run is padded to the dim's size.
 */
export const slice: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  arity: 1,
  shape: ([a], { dim, start, length, step }) => {
    const n = a.shape[dim];
    const ok = Number.isInteger(step) && step >= 1 && length >= 0 && start >= 0 && (n === null || length === 0 || start + (length - 1) * step < n);
    if (!ok) throw new ShapeError(`slice: got start ${start}, length ${length} and step ${step} on dim ${dim} of shape ${fmtShape(a.shape)}, expected positions inside the dim`);
    return { shape: a.shape.map((s, i) => (i === dim ? length : s)), dtype: a.dtype };
  },
  view: (x, { dim, start, length, step }) => ({
    shape: x.shape.map((s, i) => (i === dim ? length : s)),
    strides: x.strides.map((s, i) => (i === dim ? s * step : s)),
    offset: x.offset + (length === 0 ? 0 : start * x.strides[dim]),
  }),
  grad: (g, [a], _, { dim, start, length, step }) => {
    const n = a.shape[dim] as number;
    if (length === 0) return [a.fullLike(0, g.dtype)];
    const span = (length - 1) * step + 1;
    const spread = g.unsqueeze(dim + 1).pad(dim + 1, 0, step - 1);
    const merged = spread.reshape([...g.shape.slice(0, dim), length * step, ...g.shape.slice(dim + 1)]).narrow(dim, 0, span);
    return [merged.pad(dim, start, n - start - span)];
  },
  saves: 'none',
});
