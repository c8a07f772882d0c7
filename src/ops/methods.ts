// Tensor methods, shared by eager tensors and graph nodes: each applies an op of the table
// (after broadcasting and argument checks) or composes several. A subclass supplies only how an
// op is applied (run now, or recorded) and how a number becomes a constant.
import { checkDType, promoteScalar, type DType } from '../dtype.js';
import { fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { checkOptions, currentOp, show, userOp } from '../validate.js';
import { broadcastShapes, combineSizes, normalizeDim, normalizeDims, numel, sameShape, sizeAt, type Dim, type Size } from '../shape.js';
import type { OpDef } from './define.js';
import { OPS } from './table.js';
import * as E from './everyday.js';

export interface ClampOptions {
  min?: number;
  max?: number;
}

export abstract class TensorOps<T extends TensorOps<T>> {
  abstract readonly shape: readonly Dim[];
  abstract readonly dtype: DType;

  /** Runs (eager) or records (graph) one op of the table on inputs of the same kind. */
  abstract applyOp(op: OpDef<any>, inputs: T[], attrs: object): T;
  /** A constant holding one number, of this tensor's kind. */
  protected abstract scalar(value: number, dtype: DType): T;
  /** Whether x is a tensor of this tensor's kind (eager with eager, graph node with graph node). */
  protected abstract isSameKind(x: unknown): x is T;
  /** Whether reshape(shape) can be a view of this tensor's memory. */
  protected abstract canView(shape: readonly Dim[]): boolean;
  abstract isContiguous(): boolean;

  get ndim(): number {
    return this.shape.length;
  }

  dim(): number {
    return this.shape.length;
  }

  numel(): number {
    return numel(this.shape);
  }

  size(): Dim[];
  size(dim: number): Dim;
  size(dim?: number): Dim[] | Dim {
    return dim === undefined ? [...this.shape] : this.shape[normalizeDim('size', dim, this.ndim)];
  }

  protected self(): T {
    return this as unknown as T;
  }

  protected lift(op: string, x: T | number, like: T = this.self()): T {
    if (typeof x === 'number') return this.scalar(x, promoteScalar(like.dtype, x));
    if (this.isSameKind(x)) return x;
    const got = x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'an object' : typeof x;
    throw new ValueError(`${op}: got ${got}, expected a tensor of the same kind or a number`);
  }

  /** Broadcasts the inputs to one shape with explicit expands, then applies the op. */
  protected elementwise(op: OpDef<any>, inputs: T[], attrs: object = {}): T {
    // Inputs of one shape (most calls) need no broadcasting: skip working out the shape.
    let same = true;
    for (let k = 1; k < inputs.length && same; k++) same = sameShape(inputs[k].shape, inputs[0].shape);
    if (same) return this.applyOp(op, inputs, attrs);
    const shape = broadcastShapes(op.name, inputs.map((x) => x.shape));
    return this.applyOp(op, inputs.map((x) => (sameShape(x.shape, shape) ? x : x.expand(shape))), attrs);
  }

  private binary(op: OpDef<any>, other: T | number): T {
    return this.elementwise(op, [this.self(), this.lift(op.name, other)]);
  }

  add(other: T | number): T { return this.binary(OPS.add, other); }
  sub(other: T | number): T { return this.binary(OPS.sub, other); }
  mul(other: T | number): T { return this.binary(OPS.mul, other); }
  div(other: T | number): T { return this.binary(OPS.div, other); }
  maximum(other: T | number): T { return this.binary(OPS.maximum, other); }
  minimum(other: T | number): T { return this.binary(OPS.minimum, other); }
  lt(other: T | number): T { return this.binary(OPS.lt, other); }
  le(other: T | number): T { return this.binary(OPS.le, other); }
  gt(other: T | number): T { return this.binary(OPS.gt, other); }
  ge(other: T | number): T { return this.binary(OPS.ge, other); }
  eq(other: T | number): T { return this.binary(OPS.eq, other); }
  ne(other: T | number): T { return this.binary(OPS.ne, other); }

  /** A number exponent stays a kernel parameter; a tensor exponent is differentiated too. */
  pow(exponent: T | number): T {
    if (typeof exponent === 'number') return this.applyOp(OPS.powScalar, [this.self()], { exponent });
    return this.binary(OPS.pow, exponent);
  }

  neg(): T { return this.applyOp(OPS.neg, [this.self()], {}); }
  exp(): T { return this.applyOp(OPS.exp, [this.self()], {}); }
  log(): T { return this.applyOp(OPS.log, [this.self()], {}); }
  sqrt(): T { return this.applyOp(OPS.sqrt, [this.self()], {}); }
  abs(): T { return this.applyOp(OPS.abs, [this.self()], {}); }
  sign(): T { return this.applyOp(OPS.sign, [this.self()], {}); }
  tanh(): T { return this.applyOp(OPS.tanh, [this.self()], {}); }
  sigmoid(): T { return this.applyOp(OPS.sigmoid, [this.self()], {}); }
  relu(): T { return this.applyOp(OPS.relu, [this.self()], {}); }
  logicalNot(): T { return this.applyOp(OPS.logicalNot, [this.self()], {}); }
  sin(): T { return this.applyOp(OPS.sin, [this.self()], {}); }
  cos(): T { return this.applyOp(OPS.cos, [this.self()], {}); }
  erf(): T { return this.applyOp(OPS.erf, [this.self()], {}); }
  floor(): T { return this.applyOp(OPS.floor, [this.self()], {}); }
  ceil(): T { return this.applyOp(OPS.ceil, [this.self()], {}); }
  round(): T { return this.applyOp(OPS.round, [this.self()], {}); }
  trunc(): T { return this.applyOp(OPS.trunc, [this.self()], {}); }
  log1p(): T { return this.applyOp(OPS.log1p, [this.self()], {}); }
  expm1(): T { return this.applyOp(OPS.expm1, [this.self()], {}); }
  rsqrt(): T { return this.applyOp(OPS.rsqrt, [this.self()], {}); }
  reciprocal(): T { return this.applyOp(OPS.reciprocal, [this.self()], {}); }
  square(): T { return this.applyOp(OPS.square, [this.self()], {}); }
  isnan(): T { return this.applyOp(OPS.isnan, [this.self()], {}); }
  isinf(): T { return this.applyOp(OPS.isinf, [this.self()], {}); }
  isfinite(): T { return this.applyOp(OPS.isfinite, [this.self()], {}); }

  /**
   * clamp(0, 5) as PyTorch's positional bounds, or clamp({ min: 0 }) (the tutorial's ReLU);
   * either bound may be left out (undefined or null).
   */
  clamp(min?: number | ClampOptions | null, max?: number | null): T {
    return this.applyOp(OPS.clamp, [this.self()], clampBounds('clamp', min, max));
  }

  /** this where cond is true, other elsewhere. */
  where(cond: T, other: T | number): T {
    return this.elementwise(OPS.where, [this.lift('where', cond), this.self(), this.lift('where', other)]);
  }

  /** value where mask is true, this elsewhere. */
  maskedFill(mask: T, value: number): T {
    return userOp('maskedFill', () => this.elementwise(OPS.where, [this.lift('maskedFill', mask), this.lift('maskedFill', value), this.self()]));
  }

  /** Dims to reduce; a 0-d tensor accepts dim 0 or -1, as in PyTorch, but has none to reduce. */
  private reducedDims(op: string, dims: number | readonly number[] | undefined): number[] {
    const all = normalizeDims(op, dims, this.ndim);
    return this.ndim === 0 ? [] : all;
  }

  private reduction(op: OpDef<any>, dims: number | readonly number[] | undefined, keepdim: boolean, name = op.name): T {
    return this.applyOp(op, [this.self()], { dims: this.reducedDims(name, dims), keepdim });
  }

  sum(dims?: number | readonly number[], keepdim = false): T { return this.reduction(OPS.sum, dims, keepdim); }
  /** max() is the largest element; max(dim) gives { values, indices }, the gradient going to the index (amax splits ties). */
  max(): T;
  max(dim: number, keepdim?: boolean): E.ValuesIndices<T>;
  max(dim?: number, keepdim = false): T | E.ValuesIndices<T> { return dim === undefined ? this.reduction(OPS.max, undefined, false) : E.extremeWithIndices(this.self(), 'max', dim, keepdim); }
  min(): T;
  min(dim: number, keepdim?: boolean): E.ValuesIndices<T>;
  min(dim?: number, keepdim = false): T | E.ValuesIndices<T> { return dim === undefined ? this.reduction(OPS.min, undefined, false) : E.extremeWithIndices(this.self(), 'min', dim, keepdim); }
  amax(dims?: number | readonly number[], keepdim = false): T { return this.reduction(OPS.max, dims, keepdim, 'amax'); }
  amin(dims?: number | readonly number[], keepdim = false): T { return this.reduction(OPS.min, dims, keepdim, 'amin'); }
  var(dims?: number | readonly number[], options?: E.VarOptions): T { return E.variance(this.self(), 'var', dims, options); }
  std(dims?: number | readonly number[], options?: E.VarOptions): T { return E.variance(this.self(), 'std', dims, options).sqrt(); }
  norm(p: number | 'fro' = 2, dims?: number | readonly number[], keepdim = false): T { return E.norm(this.self(), p, dims, keepdim); }
  prod(dim?: number, keepdim = false): T { return E.prod(this.self(), dim, keepdim); }
  all(dims?: number | readonly number[], keepdim = false): T { return E.allAny(this.self(), 'all', dims, keepdim); }
  any(dims?: number | readonly number[], keepdim = false): T { return E.allAny(this.self(), 'any', dims, keepdim); }
  cumsum(dim: number): T { return E.cumsum(this.self(), dim); }
  cumprod(dim: number): T { return E.cumprod(this.self(), dim); }
  argsort(options?: E.SortOptions): T { return E.argsort(this.self(), options); }
  sort(options?: E.SortOptions): E.ValuesIndices<T> { return E.sort(this.self(), options); }
  topk(k: number, options?: E.TopkOptions): E.ValuesIndices<T> { return E.topk(this.self(), k, options); }
  flip(dims: number | readonly number[]): T { return E.flip(this.self(), dims); }
  slice(dim: number, start?: number | null, end?: number | null, step?: number): T { return E.slice(this.self(), dim, start, end, step); }
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): T { return E.roll(this.self(), shifts, dims); }
  chunk(chunks: number, dim = 0): T[] { return E.chunk(this.self(), chunks, dim); }
  split(sizes: number | readonly number[], dim = 0): T[] { return E.split(this.self(), sizes, dim); }
  tril(diagonal = 0): T { return E.triangle(this.self(), 'tril', diagonal); }
  triu(diagonal = 0): T { return E.triangle(this.self(), 'triu', diagonal); }
  repeat(...sizes: (number | readonly number[])[]): T { return E.repeat(this.self(), (Array.isArray(sizes[0]) ? sizes[0] : sizes) as number[]); }
  outer(other: T): T { return E.outer(this.self(), this.lift('outer', other)); }
  argmax(dim?: number, keepdim = false): T { return this.reduction(OPS.argmax, dim, keepdim); }
  argmin(dim?: number, keepdim = false): T { return this.reduction(OPS.argmin, dim, keepdim); }

  /** sum / count; with unknown dims (graph mode) the count is a 0-d fill the compiler sizes. */
  mean(dims?: number | readonly number[], keepdim = false): T {
    return userOp('mean', () => this.meanIn(dims, keepdim));
  }

  private meanIn(dims: number | readonly number[] | undefined, keepdim: boolean): T {
    const all = this.reducedDims('mean', dims);
    const count = combineSizes(all.map((d) => sizeAt(this, d)), (ns) => ns.reduce((a, b) => a * b, 1));
    const total = this.sum(all, keepdim);
    // An integer stands for any count in the dtype promotion, so both branches divide alike.
    return total.div(typeof count === 'number' ? count : this.scalar(0, promoteScalar(total.dtype, 1)).fullLike(count));
  }

  /**
   * log Σ exp(x), stable: m + log Σ exp(x − m) with m the max. An infinite max is replaced by 0,
   * so an all −∞ slice gives −∞ and a +∞ gives +∞ (x − m would be NaN there).
   */
  logsumexp(dims?: number | readonly number[], keepdim = false): T {
    return userOp('logsumexp', () => this.logsumexpIn(dims, keepdim));
  }

  private logsumexpIn(dims: number | readonly number[] | undefined, keepdim: boolean): T {
    const all = this.reducedDims('logsumexp', dims);
    const max = this.amax(all, true);
    const m = max.where(max.abs().lt(Infinity), 0);
    const out = this.sub(m).exp().sum(all, true).log().add(m);
    return keepdim ? out : out.squeezeDims(all);
  }

  softmax(dim: number): T {
    return userOp('softmax', () => {
      E.checkDimGiven('softmax', dim);
      const e = this.sub(this.amax(dim, true)).exp();
      return e.div(e.sum(dim, true));
    });
  }

  logSoftmax(dim: number): T {
    return userOp('logSoftmax', () => this.sub(this.logsumexp(E.checkDimGiven('logSoftmax', dim), true)));
  }

  /** Matrix product with NumPy's rules: 1-D operands gain and lose a dim, batch dims broadcast. */
  matmul(other: T): T {
    return userOp('matmul', () => this.matmulIn(other));
  }

  private matmulIn(other: T): T {
    let a = this.self();
    let b = this.lift('matmul', other);
    if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}, expected operands of rank ≥ 1`);
    const vecA = a.ndim === 1;
    const vecB = b.ndim === 1;
    if (vecA) a = a.unsqueeze(0);
    if (vecB) b = b.unsqueeze(-1);
    if (a.shape.length > 2 || b.shape.length > 2) {
      const batch = broadcastShapes('matmul', [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
      const to = (x: T) => {
        const shape = [...batch, ...x.shape.slice(-2)];
        return sameShape(x.shape, shape) ? x : x.expand(shape);
      };
      a = to(a);
      b = to(b);
    }
    let out = a.applyOp(OPS.matmul, [a, b], {});
    if (vecA) out = out.squeeze(-2);
    if (vecB) out = out.squeeze(-1);
    return out;
  }

  mm(other: T): T {
    const b = this.lift('mm', other);
    if (this.ndim !== 2 || b.ndim !== 2) throw new ShapeError(`mm: got shapes ${fmtShape(this.shape)} and ${fmtShape(b.shape)}, expected two 2-D tensors`);
    return userOp('mm', () => this.matmul(b));
  }

  bmm(other: T): T {
    const b = this.lift('bmm', other);
    if (this.ndim !== 3 || b.ndim !== 3 || this.shape[0] !== b.shape[0]) {
      throw new ShapeError(`bmm: got shapes ${fmtShape(this.shape)} and ${fmtShape(b.shape)}, expected two 3-D tensors with equal batch sizes`);
    }
    return userOp('bmm', () => this.matmul(b));
  }

  /** One dim may be -1 (inferred). A view when the layout allows, else a copy. */
  reshape(shape: readonly Dim[]): T {
    const target = this.inferShape('reshape', shape);
    if (sameShape(target, this.shape)) return this.self();
    const source = this.canView(target) ? this.self() : this.contiguous();
    return source.applyOp(OPS.reshape, [source], { shape: target });
  }

  /** Like reshape, but never copies: throws if the layout does not allow a view. */
  view(shape: readonly Dim[]): T {
    return this.applyOp(OPS.reshape, [this.self()], { shape: this.inferShape('view', shape) });
  }

  flatten(startDim = 0, endDim = -1): T {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeDim('flatten', startDim, this.ndim);
    const e = normalizeDim('flatten', endDim, this.ndim);
    if (s > e) throw new IndexError(`flatten: got startDim ${show(startDim)} and endDim ${show(endDim)}; expected startDim not after endDim (for a tensor of rank ${this.ndim})`);
    const middle = this.shape.slice(s, e + 1);
    const size = middle.includes(null) ? null : numel(middle);
    return this.reshape([...this.shape.slice(0, s), size, ...this.shape.slice(e + 1)]);
  }

  private inferShape(op: string, shape: readonly Dim[]): Dim[] {
    if (!Array.isArray(shape)) throw new ShapeError(`${op}: got ${show(shape)}, expected an array of sizes`);
    const holes = shape.filter((d) => d === -1).length;
    for (const d of shape) {
      if (d !== null && (!Number.isInteger(d) || d < -1)) throw new ShapeError(`${op}: got shape ${fmtShape(shape)}, expected non-negative integers and at most one -1`);
    }
    if (holes > 1) throw new ShapeError(`${op}: got shape ${fmtShape(shape)}, expected at most one -1`);
    if (holes === 0) return [...shape];
    const known = numel(shape.filter((d) => d !== -1));
    const total = numel(this.shape);
    if (known === 0) throw new ShapeError(`${op}: cannot infer the -1 in ${fmtShape(shape)} for ${total} elements; expected no zero size beside a -1 (any size would fit)`);
    const inferred = Number.isNaN(total) || Number.isNaN(known) ? null : total / known;
    if (inferred !== null && !Number.isInteger(inferred)) {
      throw new ShapeError(`${op}: cannot view shape ${fmtShape(this.shape)} (${total} elements) as ${fmtShape(shape)}; expected the sizes to divide ${total}`);
    }
    return shape.map((d) => (d === -1 ? inferred : d));
  }

  transpose(dim0: number, dim1: number): T {
    return this.applyOp(OPS.transpose, [this.self()], { dim0: normalizeDim('transpose', dim0, this.ndim), dim1: normalizeDim('transpose', dim1, this.ndim) });
  }

  /** Transpose of a matrix (a vector or scalar is returned as is), as torch.t. */
  t(): T {
    if (this.ndim > 2) throw new ShapeError(`t: got shape ${fmtShape(this.shape)}, expected a tensor of rank ≤ 2 (use transpose)`);
    return this.ndim < 2 ? this.self() : this.transpose(0, 1);
  }

  permute(...dims: number[]): T {
    const list = dims.length === 1 && Array.isArray(dims[0]) ? (dims[0] as unknown as number[]) : dims;
    return this.applyOp(OPS.permute, [this.self()], { dims: list.map((d) => normalizeDim('permute', d, this.ndim)) });
  }

  /** Size-1 dims become any size, with stride 0 (no copy); -1 keeps a dim. */
  expand(shape: readonly Dim[]): T {
    const lead = Array.isArray(shape) ? shape.length - this.ndim : -1;
    if (!Array.isArray(shape) || lead < 0 || shape.slice(0, lead).includes(-1)) {
      throw new ShapeError(`expand: got shape ${show(shape)} for a tensor of shape ${fmtShape(this.shape)}; expected at least its rank, with -1 only over an existing dim`);
    }
    const target = shape.map((d, i) => (d === -1 ? this.shape[i - lead] : d));
    if (sameShape(target, this.shape)) return this.self();
    return this.applyOp(OPS.expand, [this.self()], { shape: target });
  }

  expandAs(other: T): T {
    return userOp('expandAs', () => this.expand(this.lift('expandAs', other).shape));
  }

  /** Sums broadcast dims away: the adjoint of expand. */
  sumTo(shape: readonly Dim[]): T {
    if (!Array.isArray(shape)) throw new ShapeError(`sumTo: got shape ${show(shape)}, expected an array of sizes`);
    const lead = this.ndim - shape.length;
    if (lead < 0) throw new ShapeError(`sumTo: cannot sum shape ${fmtShape(this.shape)} to the larger rank of ${fmtShape(shape)}`);
    const dims: number[] = [];
    this.shape.forEach((d, i) => {
      if (i < lead || (shape[i - lead] === 1 && d !== 1)) dims.push(i);
    });
    if (dims.length === 0) return this.self();
    let out = this.sum(dims, true);
    for (let i = 0; i < lead; i++) out = out.squeeze(0);
    return out;
  }

  unsqueeze(dim: number): T {
    return this.applyOp(OPS.unsqueeze, [this.self()], { dim: normalizeDim('unsqueeze', dim, this.ndim + 1) });
  }

  /** Without a dim, drops every size-1 dim. */
  squeeze(dim?: number): T {
    if (dim === undefined) return this.squeezeDims(this.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    return this.applyOp(OPS.squeeze, [this.self()], { dim: normalizeDim('squeeze', dim, this.ndim) });
  }

  protected squeezeDims(dims: readonly number[]): T {
    let out = this.self();
    for (const d of [...dims].sort((x, y) => y - x)) out = out.squeeze(d);
    return out;
  }

  /** start < 0 counts from the end; start and length may be sizes known only at run time (graph mode). */
  narrow(dim: number, start: Size, length: Size): T {
    const d = normalizeDim('narrow', dim, this.ndim);
    const from = typeof start === 'number' && start < 0 ? combineSizes([sizeAt(this, d)], ([n]) => n + start) : start;
    return this.applyOp(OPS.narrow, [this.self()], { dim: d, start: from, length });
  }

  pad(dim: number, before: Size, after: Size): T {
    return this.applyOp(OPS.pad, [this.self()], { dim: normalizeDim('pad', dim, this.ndim), before, after });
  }

  contiguous(): T {
    return this.isContiguous() ? this.self() : this.applyOp(OPS.contiguous, [this.self()], {});
  }

  clone(): T {
    return this.applyOp(OPS.contiguous, [this.self()], {});
  }

  to(dtype: DType): T {
    checkDType(dtype, 'to');
    return dtype === this.dtype ? this.self() : this.applyOp(OPS.cast, [this.self()], { dtype });
  }

  /** value may be a size known only at run time (graph mode: mean's count). */
  fullLike(value: Size, dtype?: DType): T {
    return this.applyOp(OPS.fullLike, [this.self()], { value, dtype: dtype === undefined ? undefined : checkDType(dtype, 'fullLike') });
  }

  zerosLike(): T {
    return this.fullLike(0);
  }

  onesLike(): T {
    return this.fullLike(1);
  }

  indexSelect(dim: number, index: T): T {
    return this.applyOp(OPS.indexSelect, [this.self(), this.lift('indexSelect', index)], { dim: normalizeDim('indexSelect', dim, this.ndim) });
  }

  indexAdd(dim: number, index: T, source: T): T {
    return this.applyOp(OPS.indexAdd, [this.self(), this.lift('indexAdd', index), this.lift('indexAdd', source)], { dim: normalizeDim('indexAdd', dim, this.ndim) });
  }

  gather(dim: number, index: T): T {
    return this.applyOp(OPS.gather, [this.self(), this.lift('gather', index)], { dim: normalizeDim('gather', dim, this.ndim) });
  }

  scatterAdd(dim: number, index: T, source: T): T {
    return this.applyOp(OPS.scatterAdd, [this.self(), this.lift('scatterAdd', index), this.lift('scatterAdd', source)], { dim: normalizeDim('scatterAdd', dim, this.ndim) });
  }
}

/** Joins tensors along an existing dim. */
/** A list argument holds tensors only: a number or string in it would reach the shape rules. */
function checkTensorList<T extends TensorOps<T>>(op: string, tensors: readonly T[]): void {
  const bad = tensors.findIndex((t) => !(t instanceof TensorOps) || t.constructor !== tensors[0].constructor);
  if (bad >= 0) throw new ValueError(`${op}: got ${describe(tensors[bad])} at position ${bad}, expected tensors of one kind`);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : `a ${typeof x}`;
}

/** clamp's bounds, positional (clamp(0, 5)) or as options (clamp({ min: 0 })), checked. */
export function clampBounds(op: string, min: unknown, max: unknown): { min: number; max: number } {
  if (min !== null && typeof min === 'object') {
    if (max !== undefined) throw new ValueError(`${op}: got options ${show(min)} and a second bound ${show(max)}, expected clamp(min, max) or clamp({ min, max })`);
    const o = checkOptions(op, min, ['min', 'max']);
    [min, max] = [o.min, o.max];
  }
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ValueError(`${op}: got neither min nor max, expected at least one bound, as clamp(min, max) or clamp({ min })`);
  }
  const lo = min === undefined || min === null ? -Infinity : min;
  const hi = max === undefined || max === null ? Infinity : max;
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw new ValueError(`${op}: got min ${show(lo)} and max ${show(hi)}, expected numbers (not NaN)`);
  }
  return { min: lo, max: hi };
}

export function cat<T extends TensorOps<T>>(tensors: readonly T[], dim = 0): T {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ShapeError(`${currentOp('cat')}: got ${Array.isArray(tensors) ? 'no tensors' : show(tensors)}, expected a non-empty array of tensors`);
  checkTensorList('cat', tensors);
  const zeroD = tensors.findIndex((t) => t.ndim === 0);
  if (zeroD >= 0) throw new ShapeError(`cat: got a zero-dimensional tensor at position ${zeroD}, which cannot be concatenated; expected tensors of rank ≥ 1 (stack joins 0-d tensors)`);
  const d = normalizeDim('cat', dim, tensors[0].ndim);
  return tensors[0].applyOp(OPS.cat, [...tensors], { dim: d });
}

/** Joins tensors along a new dim. */
export function stack<T extends TensorOps<T>>(tensors: readonly T[], dim = 0): T {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ShapeError(`stack: got ${Array.isArray(tensors) ? 'no tensors' : show(tensors)}, expected a non-empty array of tensors`);
  checkTensorList('stack', tensors);
  const d = normalizeDim('stack', dim, tensors[0].ndim + 1);
  const first = tensors[0].shape;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.length || t.shape.some((s: Dim, k: number) => s !== null && first[k] !== null && s !== first[k])) {
      throw new ShapeError(`stack: got shapes ${fmtShape(first)} at position 0 and ${fmtShape(t.shape)} at position ${i}, expected each tensor to be equal size`);
    }
  });
  return userOp('stack', () => cat(tensors.map((t) => t.unsqueeze(d)), d));
}

/** a where cond is true, b elsewhere. */
export function where<T extends TensorOps<T>>(cond: T, a: T | number, b: T | number): T {
  if (a instanceof TensorOps) return a.where(cond, b);
  if (typeof a === 'number' && b instanceof TensorOps) return b.maskedFill(cond, a);
  if (typeof a === 'number' && typeof b === 'number') throw new ValueError('where: got two numbers, expected at least one tensor among a and b');
  throw new ValueError(`where: got ${describe(a)} and ${describe(b)}, expected tensors or numbers, at least one a tensor`);
}
