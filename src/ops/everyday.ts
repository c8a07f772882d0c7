// The everyday tensor methods of issue 11 that are compositions: max/min with indices,
// statistics, prod/all/any, cumprod, sort/topk, and the layout helpers (roll, chunk, split,
// tril/triu, repeat, outer, slice with a step). Each is a function of a tensor of either kind
// (eager or graph node); src/ops/methods.ts holds one-line delegates to them.
import { show } from '../validate.js';
import { fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { normalizeDim, normalizeDims, type Dim } from '../shape.js';
import type { TensorOps } from './methods.js';
import { OPS } from './table.js';

/** What max(dim), min(dim), sort and topk return, as torch's named tuples. */
export interface ValuesIndices<T> {
  values: T;
  /** int32 positions along the dim (PyTorch: int64). */
  indices: T;
}

function known(op: string, x: { shape: readonly Dim[] }, d: number): number {
  const n = x.shape[d];
  if (n === null) throw new ShapeError(`${op}: got shape ${fmtShape(x.shape)}, expected dim ${d} to be known (a graph placeholder's ? cannot be scanned, split or sorted here)`);
  return n;
}

function checkBool(op: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${op}: got ${what} ${show(v)}, expected true or false`);
  return v;
}

/** A dim that must be passed (softmax has no implicit one); its range is checked where it is used. */
export function checkDimGiven(op: string, dim: unknown): number {
  if (typeof dim !== 'number') throw new ValueError(`${op}: got dim ${show(dim)}, expected an integer`);
  return dim;
}

export function checkInt(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValueError(`${op}: got ${what} ${show(v)}, expected an integer`);
  return v;
}

/**
 * max(dim)/min(dim): the first extreme's position (NaN counts as the extreme, as in PyTorch)
 * and the value there. The values are gathered at the indices, so the gradient goes to exactly
 * the index returned, never split over ties (amax/amin split it).
 */
export function extremeWithIndices<T extends TensorOps<T>>(x: T, op: 'max' | 'min', dim: number, keepdim: boolean): ValuesIndices<T> {
  if (typeof dim !== 'number') throw new ValueError(`${op}: got dim ${show(dim)}, expected one dim (use a${op}(dims) to reduce several)`);
  checkBool(op, 'keepdim', keepdim);
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return { values: x, indices: x.fullLike(0, 'int32') };
  if (x.shape[d] === 0) throw new ShapeError(`${op}: got an empty reduced dim in shape ${fmtShape(x.shape)}, expected non-zero sizes (the result has no identity)`);
  const keyed = x.dtype === 'bool' ? x.to('int32') : x; // argmax refuses bool; the positions are the same
  const indices = op === 'max' ? keyed.argmax(d, true) : keyed.argmin(d, true);
  const values = x.gather(d, indices);
  return keepdim ? { values, indices } : { values: values.squeeze(d), indices: indices.squeeze(d) };
}

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 is Bessel's correction (the default), 0 the population variance. */
  correction?: number;
  keepdim?: boolean;
}

/** Σ (x − mean)² / max(0, N − correction) over dims (all when undefined). */
export function variance<T extends TensorOps<T>>(x: T, op: string, dims: number | readonly number[] | undefined, options: VarOptions = {}): T {
  if (typeof options !== 'object' || options === null) throw new ValueError(`${op}: got options ${String(options)}, expected { correction, keepdim }`);
  const { correction = 1, keepdim = false } = options;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) throw new ValueError(`${op}: got correction ${String(correction)}, expected a non-negative number`);
  checkBool(op, 'keepdim', keepdim);
  const all = x.ndim === 0 ? [] : normalizeDims(op, dims, x.ndim);
  const n = all.reduce((p, d) => p * known(op, x, d), 1);
  const centred = x.sub(x.mean(all, true));
  return centred.mul(centred).sum(all, keepdim).div(Math.max(0, n - correction));
}

/**
 * The vector p-norm over dims: (Σ |x|ᵖ)^(1/p); p = ∞ / −∞ the largest / smallest |x|; p = 0
 * the count of non-zeros; 'fro' is p = 2. At x = 0 the 2-norm's gradient is 0 (a subgradient),
 * as PyTorch's, not the NaN of √ at 0.
 */
export function norm<T extends TensorOps<T>>(x: T, p: number | 'fro', dims: number | readonly number[] | undefined, keepdim: boolean): T {
  if (p !== 'fro' && (typeof p !== 'number' || Number.isNaN(p))) throw new ValueError(`norm: got p ${String(p)}, expected a number, Infinity, -Infinity or 'fro'`);
  checkBool('norm', 'keepdim', keepdim);
  const all = x.ndim === 0 ? [] : normalizeDims('norm', dims, x.ndim);
  const a = x.abs();
  if (p === 'fro' || p === 2) {
    const s = x.mul(x).sum(all, keepdim);
    const positive = s.gt(0);
    return s.where(positive, 1).sqrt().where(positive, 0);
  }
  if (p === Infinity) return a.amax(all, keepdim);
  if (p === -Infinity) return a.amin(all, keepdim);
  if (p === 0) return x.ne(0).to(x.dtype).sum(all, keepdim);
  if (p === 1) return a.sum(all, keepdim);
  return a.pow(p).sum(all, keepdim).pow(1 / p);
}

export function cumsum<T extends TensorOps<T>>(x: T, dim: number): T {
  const d = normalizeDim('cumsum', checkInt('cumsum', 'dim', dim), x.ndim);
  return x.ndim === 0 ? x.applyOp(OPS.cumsum, [x.unsqueeze(0)], { dim: 0, reverse: false }).squeeze(0) : x.applyOp(OPS.cumsum, [x], { dim: d, reverse: false });
}

/** y_i = x_i·y_(i−1), composed as the linear recurrence y_i = x_i·y_(i−1) + b_i with b = (x_0, 0, 0, …). */
export function cumprod<T extends TensorOps<T>>(x: T, dim: number): T {
  const d = normalizeDim('cumprod', checkInt('cumprod', 'dim', dim), x.ndim);
  if (x.ndim === 0) return cumprod(x.unsqueeze(0), 0).squeeze(0);
  const n = known('cumprod', x, d);
  const v = x.dtype === 'bool' ? x.to('int32') : x; // as PyTorch: a bool product counts as an integer
  if (n === 0) return v;
  const first = v.narrow(d, 0, 1).pad(d, 0, n - 1);
  return v.applyOp(OPS.linearScan, [v, first], { dim: d, reverse: false });
}

/** The product over one dim (or all): the last element of the running product, so zeros need no division in backward. */
export function prod<T extends TensorOps<T>>(x: T, dim: number | undefined, keepdim: boolean): T {
  checkBool('prod', 'keepdim', keepdim);
  if (dim === undefined) return prod(x.reshape([-1]), 0, false);
  const d = normalizeDim('prod', checkInt('prod', 'dim', dim), x.ndim);
  if (x.ndim === 0) return x;
  const n = known('prod', x, d);
  if (n === 0) {
    const out = x.narrow(d, 0, 0).sum(d, keepdim);
    return out.add(1);
  }
  const last = cumprod(x, d).narrow(d, n - 1, 1);
  return keepdim ? last : last.squeeze(d);
}

/** all/any: bool results; an empty reduction is true for all and false for any, as in PyTorch. */
export function allAny<T extends TensorOps<T>>(x: T, op: 'all' | 'any', dims: number | readonly number[] | undefined, keepdim: boolean): T {
  checkBool(op, 'keepdim', keepdim);
  const all = x.ndim === 0 ? [] : normalizeDims(op, dims, x.ndim);
  return op === 'all' ? x.eq(0).sum(all, keepdim).eq(0) : x.ne(0).sum(all, keepdim).gt(0);
}

export interface SortOptions {
  dim?: number;
  descending?: boolean;
  /** Ties keep their order. Skein's sort is always stable; the flag is accepted for PyTorch's signature. */
  stable?: boolean;
}

function sortArgs(op: string, x: { ndim: number }, options: SortOptions): { dim: number; descending: boolean } {
  if (typeof options !== 'object' || options === null) throw new ValueError(`${op}: got options ${String(options)}, expected { dim, descending, stable }`);
  const { dim = -1, descending = false, stable = false } = options;
  checkBool(op, 'descending', descending);
  checkBool(op, 'stable', stable);
  return { dim: normalizeDim(op, checkInt(op, 'dim', dim), x.ndim), descending };
}

export function argsort<T extends TensorOps<T>>(x: T, options: SortOptions = {}, op = 'argsort'): T {
  const { dim, descending } = sortArgs(op, x, options);
  if (x.ndim === 0) return x.fullLike(0, 'int32');
  known(op, x, dim);
  return x.applyOp(OPS.argsort, [x], { dim, descending });
}

/** Sorted values and their positions; the gradient goes to each value's position (through gather). */
export function sort<T extends TensorOps<T>>(x: T, options: SortOptions = {}): ValuesIndices<T> {
  const indices = argsort(x, options, 'sort');
  if (x.ndim === 0) return { values: x, indices };
  return { values: x.gather(sortArgs('sort', x, options).dim, indices), indices };
}

export interface TopkOptions {
  dim?: number;
  /** The k largest (default) or the k smallest. */
  largest?: boolean;
  /** Skein always returns them sorted (largest first when largest); PyTorch's order for false is unspecified. */
  sorted?: boolean;
}

export function topk<T extends TensorOps<T>>(x: T, k: number, options: TopkOptions = {}): ValuesIndices<T> {
  if (typeof options !== 'object' || options === null) throw new ValueError(`topk: got options ${String(options)}, expected { dim, largest, sorted }`);
  const { dim = -1, largest = true, sorted = true } = options;
  checkBool('topk', 'largest', largest);
  checkBool('topk', 'sorted', sorted);
  const d = normalizeDim('topk', checkInt('topk', 'dim', dim), x.ndim);
  const n = x.ndim === 0 ? 1 : known('topk', x, d);
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > n) throw new IndexError(`topk: got k ${String(k)}, expected an integer in [0, ${n}] (the size of dim ${dim})`);
  if (x.ndim === 0) return { values: x, indices: x.fullLike(0, 'int32') };
  const indices = x.applyOp(OPS.argsort, [x], { dim: d, descending: largest }).narrow(d, 0, k);
  return { values: x.gather(d, indices), indices };
}

/** Reverses the order of elements along each of dims. */
export function flip<T extends TensorOps<T>>(x: T, dims: number | readonly number[]): T {
  const list = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(list)) throw new ValueError(`flip: got dims ${String(dims)}, expected a dim or an array of dims`);
  const ds = normalizeDims('flip', list, x.ndim);
  if (x.ndim === 0 || ds.length === 0) return x.clone();
  return x.applyOp(OPS.flip, [x], { dims: ds });
}

/**
 * Python's slice start:end:step along dim: negative positions count from the end, positions past
 * either end are clamped, step ≥ 1. A view (narrow when step is 1).
 */
export function slice<T extends TensorOps<T>>(x: T, dim: number, start: number | null = null, end: number | null = null, step = 1): T {
  const d = normalizeDim('slice', dim, x.ndim);
  for (const [what, v] of [['start', start], ['end', end]] as const) {
    if (v !== null && v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) throw new ValueError(`slice: got ${what} ${show(v)}, expected an integer or null`);
  }
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) throw new ValueError(`slice: got step ${String(step)}, expected a positive integer (PyTorch has no negative steps; use flip)`);
  const n = known('slice', x, d);
  const clampPos = (v: number | null | undefined, dflt: number) => (v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
  const s = clampPos(start, 0);
  const e = clampPos(end, n);
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  if (step === 1 || length <= 1) return x.narrow(d, length === 0 ? 0 : s, length);
  return x.applyOp(OPS.slice, [x], { dim: d, start: s, length, step });
}

/** Rolls elements along dims (shifts[i] along dims[i]); with no dims, over the flattened tensor. */
export function roll<T extends TensorOps<T>>(x: T, shifts: number | readonly number[], dims?: number | readonly number[]): T {
  const ss = typeof shifts === 'number' ? [shifts] : shifts;
  if (!Array.isArray(ss) || ss.some((s) => !Number.isInteger(s))) throw new ValueError(`roll: got shifts ${String(shifts)}, expected an integer or an array of integers`);
  if (dims === undefined) {
    if (ss.length !== 1) throw new ValueError(`roll: got ${ss.length} shifts and no dims, expected one shift for the flattened tensor`);
    return roll(x.flatten(), ss[0], 0).reshape(x.shape);
  }
  const ds = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(ds) || ds.length !== ss.length) throw new ValueError(`roll: got shifts ${show(shifts)} and dims ${show(dims)}, expected one shift per dim`);
  let out = x;
  ds.forEach((dim, i) => {
    const d = normalizeDim('roll', dim, x.ndim);
    const n = known('roll', x, d);
    const s = n === 0 ? 0 : ((ss[i] % n) + n) % n;
    if (s !== 0) out = out.applyOp(OPS.cat, [out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], { dim: d });
  });
  return out;
}

/** Pieces of the given sizes along dim (a number: pieces of that size, the last smaller). */
export function split<T extends TensorOps<T>>(x: T, sizes: number | readonly number[], dim = 0): T[] {
  const d = normalizeDim('split', dim, x.ndim);
  const n = known('split', x, d);
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new ValueError(`split: got size ${sizes}, expected a positive integer`);
    list = Array.from({ length: Math.max(1, Math.ceil(n / sizes)) }, (_, i) => Math.min(sizes, n - i * sizes));
  } else {
    if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new ValueError(`split: got sizes ${String(sizes)}, expected non-negative integers`);
    const total = sizes.reduce((p, q) => p + q, 0);
    if (total !== n) throw new ShapeError(`split: got sizes ${show(sizes)} (sum ${total}) for dim ${dim} of size ${n}, expected them to sum to ${n}`);
    list = [...sizes];
  }
  let at = 0;
  return list.map((len) => {
    const piece = x.narrow(d, at, len);
    at += len;
    return piece;
  });
}

/** n pieces of ⌈size/n⌉ along dim (fewer when the size runs out), as torch.chunk. */
export function chunk<T extends TensorOps<T>>(x: T, chunks: number, dim = 0): T[] {
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: got chunks ${String(chunks)}, expected a positive integer`);
  const d = normalizeDim('chunk', dim, x.ndim);
  const n = known('chunk', x, d);
  return split(x, Math.max(1, Math.ceil(n / chunks)), d);
}

/**
 * Keeps the elements on and below (tril) or above (triu) the k-th diagonal of the last two
 * dims. The row and column numbers are running sums of ones, so this composes for graph nodes too.
 */
export function triangle<T extends TensorOps<T>>(x: T, op: 'tril' | 'triu', k: number): T {
  if (typeof k !== 'number' || !Number.isInteger(k)) throw new ValueError(`${op}: got diagonal ${String(k)}, expected an integer`);
  if (x.ndim < 2) throw new ShapeError(`${op}: got shape ${fmtShape(x.shape)}, expected a tensor of rank ≥ 2`);
  let plane = x;
  while (plane.ndim > 2) plane = plane.narrow(0, 0, 1).squeeze(0);
  const ones = plane.fullLike(1, 'int32');
  const diagonal = cumsum(ones, 1).sub(cumsum(ones, 0)); // column − row
  const keep = op === 'tril' ? diagonal.le(k) : diagonal.ge(k);
  return x.where(keep, 0);
}

/** Tiles the tensor sizes[i] times along each dim (leading sizes add dims), as torch.repeat. */
export function repeat<T extends TensorOps<T>>(x: T, sizes: readonly number[]): T {
  if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new ValueError(`repeat: got sizes ${String(sizes)}, expected non-negative integers`);
  if (sizes.length < x.ndim) throw new ShapeError(`repeat: got ${sizes.length} sizes for a tensor of rank ${x.ndim}, expected at least ${x.ndim}`);
  const shape = [...Array<number>(sizes.length - x.ndim).fill(1), ...x.shape.map((_, d) => known('repeat', x, d))];
  const interleaved = shape.flatMap((s) => [1, s]);
  const expanded = shape.flatMap((s, i) => [sizes[i], s]);
  const out = x.reshape(interleaved).expand(expanded);
  return out.reshape(shape.map((s, i) => s * sizes[i]));
}

/** The outer product of two vectors: out[i, j] = a[i]·b[j]. */
export function outer<T extends TensorOps<T>>(a: T, b: T): T {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`outer: got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}, expected two 1-D tensors`);
  return a.unsqueeze(1).mul(b.unsqueeze(0));
}
