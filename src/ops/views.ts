// Layout ops. Views share storage and run nothing; the rest copy. Each gradient is the
// inverse layout change (expand's is a sum: this is where broadcasting is undone).
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { UNARY } from '../kernels/elementwise.js';
import { promote, type DType } from '../dtype.js';
import { combineSizes, contiguousStrides, isContiguous, isRunSize, normalizeDim, numel, sizeAt, type Dim, type Size } from '../shape.js';
import { defineOp, launch, launchMap, type Buf, type Layout, type Meta } from './define.js';
import { show } from '../validate.js';

/**
 * Strides that let `newShape` view the same memory, or null (PyTorch's rule: each run of
 * dims that is contiguous in memory can be re-split freely).
 */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numel(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  const strides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldShape.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        strides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? strides : null;
}

export interface ShapeAttrs {
  shape: Dim[];
}

export const reshape = defineOp<ShapeAttrs>({
  name: 'reshape',
  arity: 1,
  shape: ([a], { shape }) => {
    const known = a.shape.every((d) => d !== null) && shape.every((d) => d !== null);
    if (known && numel(a.shape) !== numel(shape)) {
      throw new ShapeError(`reshape: cannot view shape ${fmtShape(a.shape)} (${numel(a.shape)} elements) as ${fmtShape(shape)} (${numel(shape)} elements); expected equal element counts`);
    }
    return { shape, dtype: a.dtype };
  },
  view: (x, { shape }) => {
    const strides = viewStrides(x.shape, x.strides, shape as number[]);
    if (strides === null) {
      throw new ShapeError(`view: shape ${fmtShape(shape)} is not compatible with the input's layout (shape ${fmtShape(x.shape)}, strides ${fmtShape(x.strides)}); expected a contiguous input, or call reshape()`);
    }
    return { shape: shape as number[], strides, offset: x.offset };
  },
  grad: (g, [a]) => [g.reshape(a.shape)],
  saves: 'none',
});

export interface TransposeAttrs {
  dim0: number;
  dim1: number;
}

/** A 0-d tensor accepts dims 0 and -1 (as PyTorch does) and has nothing to swap. */
function swap<T>(xs: readonly T[], i: number, j: number): T[] {
  const out = [...xs];
  if (out.length === 0) return out;
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

export const transpose = defineOp<TransposeAttrs>({
  name: 'transpose',
  arity: 1,
  shape: ([a], { dim0, dim1 }) => ({ shape: swap(a.shape, normalizeDim('transpose', dim0, a.shape.length), normalizeDim('transpose', dim1, a.shape.length)), dtype: a.dtype }),
  view: (x, { dim0, dim1 }) => {
    const i = normalizeDim('transpose', dim0, x.shape.length);
    const j = normalizeDim('transpose', dim1, x.shape.length);
    return { shape: swap(x.shape, i, j), strides: swap(x.strides, i, j), offset: x.offset };
  },
  grad: (g, _, __, { dim0, dim1 }) => [g.transpose(dim0, dim1)],
  saves: 'none',
});

export interface PermuteAttrs {
  dims: number[];
}

function checkPermutation(a: Meta, dims: readonly number[]): number[] {
  const rank = a.shape.length;
  const norm = dims.map((d) => normalizeDim('permute', d, rank));
  if (norm.length !== rank || new Set(norm).size !== rank) {
    throw new ShapeError(`permute: got dims ${show(dims)} for shape ${fmtShape(a.shape)}, expected a permutation of ${rank} dims`);
  }
  return norm;
}

export const permute = defineOp<PermuteAttrs>({
  name: 'permute',
  arity: 1,
  shape: ([a], { dims }) => ({ shape: checkPermutation(a, dims).map((d) => a.shape[d]), dtype: a.dtype }),
  view: (x, { dims }) => ({ shape: dims.map((d) => x.shape[d]), strides: dims.map((d) => x.strides[d]), offset: x.offset }),
  grad: (g, _, __, { dims }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [g.permute(inverse)];
  },
  saves: 'none',
});

export const expand = defineOp<ShapeAttrs>({
  name: 'expand',
  arity: 1,
  shape: ([a], { shape }) => {
    const lead = shape.length - a.shape.length;
    const sizes = shape.every((d) => d === null || (Number.isInteger(d) && d >= 0));
    const ok = sizes && lead >= 0 && a.shape.every((d, i) => d === 1 || d === shape[lead + i] || d === null || shape[lead + i] === null);
    if (!ok) throw new ShapeError(`expand: cannot expand shape ${fmtShape(a.shape)} to ${fmtShape(shape)}; expected each dim to match or be 1`);
    return { shape, dtype: a.dtype };
  },
  view: (x, { shape }) => {
    const lead = shape.length - x.shape.length;
    const strides = shape.map((d, i) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? 0 : x.strides[i - lead]));
    return { shape: shape as number[], strides, offset: x.offset };
  },
  grad: (g, [a]) => [g.sumTo(a.shape)],
  saves: 'none',
});

export interface DimAttrs {
  dim: number;
}

export const unsqueeze = defineOp<DimAttrs>({
  name: 'unsqueeze',
  arity: 1,
  shape: ([a], { dim }) => {
    const d = normalizeDim('unsqueeze', dim, a.shape.length + 1);
    return { shape: [...a.shape.slice(0, d), 1, ...a.shape.slice(d)], dtype: a.dtype };
  },
  view: (x, { dim }) => {
    const d = normalizeDim('unsqueeze', dim, x.shape.length + 1);
    const stride = d < x.shape.length ? x.strides[d] * x.shape[d] : 1;
    return { shape: [...x.shape.slice(0, d), 1, ...x.shape.slice(d)], strides: [...x.strides.slice(0, d), stride, ...x.strides.slice(d)], offset: x.offset };
  },
  grad: (g, [a], _, { dim }) => [g.squeeze(normalizeDim('unsqueeze', dim, a.shape.length + 1))],
  saves: 'none',
});

export const squeeze = defineOp<DimAttrs>({
  name: 'squeeze',
  arity: 1,
  shape: ([a], { dim }) => {
    const d = normalizeDim('squeeze', dim, a.shape.length);
    if (a.shape.length === 0) return a; // dims 0 and -1 of a 0-d tensor: nothing to drop, as in PyTorch
    if (a.shape[d] !== 1 && a.shape[d] !== null) throw new ShapeError(`squeeze: dim ${dim} of shape ${fmtShape(a.shape)} has size ${a.shape[d]}, expected 1`);
    return { shape: a.shape.filter((_, i) => i !== d), dtype: a.dtype };
  },
  view: (x, { dim }) => {
    const d = normalizeDim('squeeze', dim, x.shape.length);
    if (x.shape.length === 0) return { shape: [], strides: [], offset: x.offset };
    return { shape: x.shape.filter((_, i) => i !== d), strides: x.strides.filter((_, i) => i !== d), offset: x.offset };
  },
  grad: (g, [a], __, { dim }) => [a.shape.length === 0 ? g : g.unsqueeze(dim)],
  saves: 'none',
});

/** Not a valid size: a RunSize is checked by the compiler once it is a number. */
function badSize(n: Size): boolean {
  return !isRunSize(n) && (!Number.isInteger(n) || n < 0);
}

/** A size in a message: '?' when known only at run time, as fmtShape shows an unknown dim. */
const showSize = (n: Size) => (isRunSize(n) ? '?' : String(n));

/** start and length (and pad's before and after) are RunSizes in graph mode when they depend on an unknown dim. */
export interface NarrowAttrs {
  dim: number;
  start: Size;
  length: Size;
}

export const narrow = defineOp<NarrowAttrs>({
  name: 'narrow',
  arity: 1,
  shape: ([a], { dim, start, length }) => {
    const d = normalizeDim('narrow', dim, a.shape.length);
    const size = a.shape[d];
    const over = typeof start === 'number' && typeof length === 'number' && size !== null && start + length > size;
    if (badSize(start) || badSize(length) || over) {
      throw new ShapeError(`narrow: got start ${showSize(start)} and length ${showSize(length)} on dim ${dim} of shape ${fmtShape(a.shape)}, expected 0 ≤ start ≤ start + length ≤ ${size}`);
    }
    return { shape: a.shape.map((s, i) => (i === d ? (typeof length === 'number' ? length : null) : s)), dtype: a.dtype };
  },
  view: (x, { dim, start, length }) => {
    const d = normalizeDim('narrow', dim, x.shape.length);
    return { shape: x.shape.map((s, i) => (i === d ? (length as number) : s)), strides: [...x.strides], offset: x.offset + (start as number) * x.strides[d] };
  },
  grad: (g, [a], _, { dim, start, length }) => {
    const d = normalizeDim('narrow', dim, a.shape.length);
    return [g.pad(d, start, combineSizes([sizeAt(a, d), start, length], ([n, s, l]) => n - s - l))];
  },
  saves: 'none',
});

/** Writes x into the part of out that `narrowed` selects (a view of out). */
/**
 * cat of contiguous inputs of out's dtype along a dim with only 1s before it (stack at 0, say):
 * each input is one contiguous range of out, so one launch copies them all (src/kernels/pieces.ts).
 */
function catAsPieces(out: Buf, inputs: Buf[], dim: number): boolean {
  if (out.shape.slice(0, dim).some((n) => n !== 1)) return false;
  if (!inputs.every((x) => x.dtype === out.dtype && isContiguous(x.shape, x.strides))) return false;
  const starts: number[] = [];
  let at = 0;
  for (const x of inputs) {
    starts.push(at);
    at += numel(x.shape);
  }
  const args = { out: out.storage.data, outOffset: out.offset, pieces: inputs.map((x) => x.storage.data), offsets: inputs.map((x) => x.offset), sizes: inputs.map((x) => numel(x.shape)), starts };
  launch('cat', { kernel: 'pieces', args }, inputs, [out]);
  return true;
}

function copyInto(op: string, out: Buf, x: Buf, layout: Layout): void {
  launchMap(op, UNARY.copy, { ...out, ...layout }, [x]);
}

export interface PadAttrs {
  dim: number;
  before: Size;
  after: Size;
}

/** Zeros around x along one dim: the gradient of narrow. */
export const pad = defineOp<PadAttrs>({
  name: 'pad',
  arity: 1,
  shape: ([a], { dim, before, after }) => {
    const d = normalizeDim('pad', dim, a.shape.length);
    if (badSize(before) || badSize(after)) {
      throw new ShapeError(`pad: got before ${showSize(before)} and after ${showSize(after)}, expected non-negative integers`);
    }
    const grow = (s: Dim) => (s !== null && typeof before === 'number' && typeof after === 'number' ? s + before + after : null);
    return { shape: a.shape.map((s, i) => (i === d ? grow(s) : s)), dtype: a.dtype };
  },
  forward: (out, [x], { dim, before }) => {
    launchMap('pad', '0', out, []);
    copyInto('pad', out, x, { shape: [...x.shape], strides: [...out.strides], offset: out.offset + (before as number) * out.strides[dim] });
  },
  grad: (g, [a], _, { dim, before }) => [g.narrow(dim, before, sizeAt(a, dim))],
  saves: 'none',
});

export interface CatAttrs {
  dim: number;
}

export const cat = defineOp<CatAttrs>({
  name: 'cat',
  arity: -1,
  shape: (inputs, { dim }) => {
    if (inputs.length === 0) throw new ShapeError('cat: got no tensors, expected at least one');
    const first = inputs[0].shape;
    const d = normalizeDim('cat', dim, first.length);
    let size: Dim = 0;
    for (const m of inputs) {
      if (m.shape.length !== first.length || m.shape.some((s, i) => i !== d && s !== first[i] && s !== null && first[i] !== null)) {
        throw new ShapeError(`cat: got shapes ${inputs.map((x) => fmtShape(x.shape)).join(', ')}, expected equal sizes except in dim ${dim}`);
      }
      size = size === null || m.shape[d] === null ? null : size + (m.shape[d] as number);
    }
    return { shape: first.map((s, i) => (i === d ? size : s)), dtype: inputs.map((m) => m.dtype).reduce(promote) };
  },
  forward: (out, inputs, { dim }) => {
    if (inputs.length > 1 && catAsPieces(out, inputs, dim)) return;
    let at = 0;
    for (const x of inputs) {
      copyInto('cat', out, x, { shape: [...x.shape], strides: [...out.strides], offset: out.offset + at * out.strides[dim] });
      at += x.shape[dim];
    }
  },
  grad: (g, inputs, _, { dim }) => {
    let at: Size = 0;
    return inputs.map((x) => {
      const part = g.narrow(dim, at, sizeAt(x, dim));
      at = combineSizes([at, sizeAt(x, dim)], ([p, n]) => p + n);
      return part;
    });
  },
  saves: 'none',
});

export const contiguous = defineOp({
  name: 'contiguous',
  arity: 1,
  shape: ([a]) => a,
  forward: (out, [x]) => launchMap('contiguous', UNARY.copy, out, [x]),
  grad: (g) => [g],
  saves: 'none',
});

export interface CastAttrs {
  dtype: DType;
}

export const cast = defineOp<CastAttrs>({
  name: 'to',
  arity: 1,
  shape: ([a], { dtype }) => ({ shape: a.shape, dtype }),
  forward: (out, [x], { dtype }) => launchMap('to', dtype === 'bool' ? UNARY.toBool : UNARY.copy, out, [x]),
  grad: (g, [a]) => [g.to(a.dtype)],
  saves: 'none',
});

export interface FillAttrs {
  /** A RunSize in graph mode for a count known only at run time (mean over an unknown dim). */
  value: Size;
  dtype?: DType;
}

/** A tensor of one value, shaped like the input; the input's values do not matter, so no gradient flows. */
export const fullLike = defineOp<FillAttrs>({
  name: 'fullLike',
  arity: 1,
  shape: ([a], { value, dtype }) => {
    if (typeof value !== 'number' && !isRunSize(value)) throw new DTypeError(`fullLike: got fill value ${show(value)}, expected a number`);
    const out = dtype ?? a.dtype;
    if (out === 'int32' && typeof value === 'number' && !Number.isFinite(value)) throw new ValueError(`fullLike: got fill value ${value} for an int32 tensor, expected a finite number`);
    return { shape: a.shape, dtype: out };
  },
  forward: (out, _, { value }) => launchMap('fullLike', 'p0', out, [], [value as number]),
  grad: () => [null],
  saves: 'none',
});
