// The eager tensor: storage + shape + strides + offset. Ops run as they are called (their
// kernels queue on the stream) and record the graph when an input requires grad.
import { inspect } from 'node:util';
import { runBackward, edgeOf, type BackwardOptions } from './autograd/engine.js';
import { isGradEnabled, noGrad } from './autograd/grad-mode.js';
import { registerPostAccumulateGradHook, type PostAccumulateGradHook, type RemovableHandle } from './autograd/hooks.js';
import { AccumulateGrad, OpNode, type Node } from './autograd/node.js';
import { ARRAY_OF, checkDType, isFloat, promote, type DType } from './dtype.js';
import { AutogradError, DTypeError, fmtShape, ShapeError, ValueError } from './errors.js';
import type { DataArray } from './kernels/types.js';
import type { Buf, OpDef } from './ops/define.js';
import { clampBounds, TensorOps, type ClampOptions } from './ops/methods.js';
import { OPS } from './ops/table.js';
import { viewStrides } from './ops/views.js';
import * as masked from './ops/masked.js';
import { stream } from './runtime/stream.js';
import { contiguousStrides, forEachOffset, isContiguous, numel, sameShape, type Dim } from './shape.js';
import { formatValues } from './print.js';
import { Storage, trackTensor } from './storage.js';
import { checkAllocation, currentOp, show, userOp } from './validate.js';

const SCALAR_CACHE_LIMIT = 4096;
let nextHookId = 0;
const scalars = new Map<string, Tensor>();

export class Tensor extends TensorOps<Tensor> implements Buf {
  readonly shape: number[];
  readonly strides: number[];
  grad: Tensor | null = null;
  /** The node that made this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** Which output of gradFn this tensor is. */
  outputIndex = 0;
  private needsGrad = false;
  private leafAccumulator: AccumulateGrad | null = null;

  constructor(
    readonly storage: Storage,
    shape: readonly number[],
    strides?: readonly number[],
    readonly offset = 0,
  ) {
    super();
    this.shape = shape.slice();
    this.strides = strides === undefined ? contiguousStrides(shape) : strides.slice();
    trackTensor(this);
  }

  /**
   * A fresh contiguous tensor, zeroed. Op outputs pass `zeroed = false`: their kernels write every
   * element, and a recycled buffer then skips the memset.
   */
  static empty(shape: readonly number[], dtype: DType, zeroed = true, op = 'empty'): Tensor {
    if (ARRAY_OF[dtype] === undefined) checkDType(dtype, currentOp(op));
    const n = numel(shape);
    checkAllocation(currentOp(op), shape, n, ARRAY_OF[dtype].BYTES_PER_ELEMENT);
    let storage: Storage;
    try {
      storage = new Storage(dtype, n, zeroed);
    } catch (err) {
      // The typed array could not be had (the machine is out of memory): say what and for whom.
      if (!(err instanceof RangeError)) throw err;
      throw new ValueError(`${currentOp(op)}: could not allocate ${n * ARRAY_OF[dtype].BYTES_PER_ELEMENT} bytes for a tensor of shape ${fmtShape(shape)} (${err.message})`, { cause: err });
    }
    return new Tensor(storage, shape);
  }

  get dtype(): DType {
    return this.storage.dtype;
  }

  get requiresGrad(): boolean {
    return this.needsGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloat(this.dtype)) throw new DTypeError(`requiresGrad: got a tensor of dtype ${this.dtype}; only float32 and float64 tensors can require gradients`);
    if (!value && this.gradFn !== null) throw new AutogradError('requiresGrad: can only change the flag of a leaf tensor; expected detach() for a non-leaf');
    this.needsGrad = value;
  }

  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  accumulator(): AccumulateGrad {
    this.leafAccumulator ??= new AccumulateGrad(this);
    return this.leafAccumulator;
  }

  /** Keeps .grad for a non-leaf after backward (leaves always keep theirs). */
  retainGrad(): void {
    if (this.gradFn === null) return;
    this.gradFn.retained[this.outputIndex] = this;
  }

  /** Calls hook(this) each time backward has accumulated into this leaf's .grad. */
  registerPostAccumulateGradHook(hook: PostAccumulateGradHook): RemovableHandle { return registerPostAccumulateGradHook(this, hook); }

  /**
   * hook(grad) runs each time backward computes this tensor's gradient; returning a tensor (of
   * the same shape) replaces the gradient. remove() unregisters it.
   * @example const h = w.registerHook((g) => g.clamp({ min: -1, max: 1 })); … h.remove()
   */
  registerHook(hook: (grad: Tensor) => Tensor | void): { remove(): void } {
    if (typeof hook !== 'function') throw new ValueError(`registerHook: got ${show(hook)}, expected a function of the gradient`);
    if (!this.requiresGrad) throw new AutogradError("registerHook: cannot register a hook on a tensor that doesn't require gradient; expected requiresGrad or the result of ops on one");
    const node: Node = this.gradFn ?? this.accumulator();
    node.hooks ??= new Map();
    let list = node.hooks.get(this.outputIndex);
    if (list === undefined) {
      list = new Map();
      node.hooks.set(this.outputIndex, list);
    }
    const id = nextHookId++;
    list.set(id, hook);
    const hooks = list;
    return { remove: () => void hooks.delete(id) };
  }

  /** The same storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /**
   * Fills .grad of every leaf this tensor depends on with d(this)/d(leaf), accumulating.
   * @example loss.backward(); w.grad
   */
  backward(gradient?: Tensor, options?: BackwardOptions): void {
    runBackward(this, gradient, options);
  }

  applyOp(op: OpDef<any>, inputs: Tensor[], attrs: object): Tensor {
    const meta = op.shape(inputs, attrs);
    // Shape rules accept null (a graph's unknown batch size); an eager tensor's sizes are all known.
    if (!allKnown(meta.shape)) throw new ShapeError(`${op.name}: got shape ${fmtShape(meta.shape)} with an unknown size, expected concrete sizes for an eager tensor`);
    let out: Tensor;
    if (op.view !== undefined) {
      const layout = op.view(inputs[0], attrs);
      out = new Tensor(inputs[0].storage, layout.shape, layout.strides, layout.offset);
    } else {
      out = Tensor.empty(meta.shape as number[], meta.dtype, false, op.name);
      op.forward?.(out, inputs, attrs, false);
    }
    if (isGradEnabled() && isFloat(out.dtype) && anyNeedsGrad(inputs)) record(op, inputs, attrs, out);
    return out;
  }

  protected scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = scalars.get(key);
    if (t === undefined) {
      if (scalars.size >= SCALAR_CACHE_LIMIT) scalars.clear();
      t = Tensor.empty([], dtype, false);
      t.storage.data[0] = value;
      scalars.set(key, t);
    }
    return t;
  }

  protected isSameKind(x: unknown): x is Tensor {
    return x instanceof Tensor;
  }

  protected canView(shape: readonly Dim[]): boolean {
    return viewStrides(this.shape, this.strides, shape as number[]) !== null;
  }

  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  int(): Tensor { return this.to('int32'); }
  bool(): Tensor { return this.to('bool'); }

  // In-place ops: the result is written into this tensor's memory and its version goes up.

  add_(other: Tensor | number): this { return this.writeInPlace(OPS.add, [this, other]); }
  sub_(other: Tensor | number): this { return this.writeInPlace(OPS.sub, [this, other]); }
  mul_(other: Tensor | number): this { return this.writeInPlace(OPS.mul, [this, other]); }
  div_(other: Tensor | number): this { return this.writeInPlace(OPS.div, [this, other]); }
  clamp_(min?: number | ClampOptions | null, max?: number | null): this {
    return this.writeInPlace(OPS.clamp, [this], clampBounds('clamp_', min, max), 'clamp_');
  }
  relu_(): this { return this.writeInPlace(OPS.relu, [this]); }
  /** value where mask is true: the tutorial's grad_input[input < 0] = 0. */
  maskedFill_(mask: Tensor, value: number): this { return this.writeInPlace(OPS.where, [mask, value, this], {}, 'maskedFill_'); }
  fill_(value: number): this {
    if (typeof value !== 'number') throw new ValueError(`fill_: got ${show(value)}, expected a number`);
    return this.writeInPlace(OPS.fullLike, [this], { value }, 'fill_');
  }
  zero_(): this { return this.fill_(0); }
  /** The elements where mask is true, 1-D; waits for the mask's values (its size depends on them). */
  maskedSelect(mask: Tensor): Promise<Tensor> { return masked.maskedSelect(this, mask); }
  /** x[mask] for a bool mask over the leading dims: [count, ...rest]; waits for the mask's values. */
  booleanMask(mask: Tensor): Promise<Tensor> { return masked.booleanMask(this, mask); }
  nonzero(): Promise<Tensor> { return masked.nonzero(this); }
  /** Copies src (broadcast, cast to this dtype) into this tensor; the old values get no gradient. */
  copy_(src: Tensor | number): this { return this.writeInPlace(OPS.cast, [src], { dtype: this.dtype }, 'copy_'); }

  /** name: the method the user called (copy_, not cast_), for errors. */
  private writeInPlace(op: OpDef<any>, args: (Tensor | number)[], attrs: object = {}, name = `${op.name}_`): this {
    return userOp(name, () => this.writeInPlaceAs(name, op, args, attrs));
  }

  private writeInPlaceAs(name: string, op: OpDef<any>, args: (Tensor | number)[], attrs: object): this {
    // An expanded dim (stride 0) maps many elements to one memory cell: the write would land
    // once per element, in turn (x = [1] expanded to 3, add_([1, 2, 3]) gave [7, 7, 7]).
    if (this.shape.some((d, i) => d > 1 && this.strides[i] === 0)) {
      throw new ValueError(`${name}: got a tensor of shape ${fmtShape(this.shape)} whose elements share memory (strides [${this.strides.join(', ')}], an expanded view); expected a tensor whose every element has its own memory: clone() it first`);
    }
    const inputs = args.map((x) => this.lift(name, x, this));
    for (const x of inputs) {
      const fits = x.ndim <= this.ndim && x.shape.every((d, i) => d === 1 || d === this.shape[this.ndim - x.ndim + i]);
      if (!fits) throw new ShapeError(`${name}: got an operand of shape ${fmtShape(x.shape)} for a tensor of shape ${fmtShape(this.shape)}; expected it to broadcast to the tensor's shape`);
    }
    const expanded = inputs.map((x) => (sameShape(x.shape, this.shape) ? x : noGrad(() => x.expand(this.shape))));
    for (const x of expanded) checkNoPartialOverlap(name, this, x);
    const meta = op.shape(expanded, attrs);
    if (promote(meta.dtype, this.dtype) !== this.dtype) {
      throw new DTypeError(`${name}: the result has dtype ${meta.dtype}, which cannot be stored in a tensor of dtype ${this.dtype}; expected a result of dtype ${this.dtype}`);
    }
    if (isGradEnabled() && this.isLeaf && this.requiresGrad) {
      throw new AutogradError(`${name}: a leaf tensor that requires grad is used in an in-place operation; expected the update inside noGrad(() => …)`);
    }
    // A view shares its base's memory, but the base's gradFn would not learn of the write (PyTorch
    // rebases it with CopySlices; Skein does not), so its gradient would be silently wrong.
    if (isGradEnabled() && this.gradFn instanceof OpNode && this.gradFn.op.view !== undefined) {
      throw new AutogradError(
        `${name}: got a view (made by ${this.gradFn.name}) of a tensor that requires grad; an in-place write through a view is not tracked for the tensor it views; ` +
          'expected clone() before the in-place op, or the update inside noGrad(() => …)',
      );
    }
    const recordIt = isGradEnabled() && isFloat(this.dtype) && expanded.some((x) => x.requiresGrad);
    const node = recordIt ? makeNode(op, expanded, attrs, this, valuesBeforeWrite(op, expanded, this)) : null;
    op.forward?.(this, expanded, attrs, true);
    this.storage.version += 1;
    if (node !== null) {
      this.gradFn = node;
      this.outputIndex = 0;
      this.needsGrad = true;
    }
    return this;
  }

  // Reads: the only awaits. They wait for the stream, then copy out.

  /**
   * A copy of the values as a plain typed array, row-major.
   * @example const values = await t.data()
   */
  async data(): Promise<DataArray> {
    const source = this.isContiguous() ? this : noGrad(() => this.contiguous());
    await stream.idle();
    const err = source.storage.error ?? this.storage.error;
    if (err !== null) throw stream.reported(err);
    return source.storage.data.slice(source.offset, source.offset + this.numel()) as DataArray;
  }

  /** Nested arrays of numbers (booleans for bool tensors); a number for a 0-d tensor. */
  async toArray(): Promise<unknown> {
    return nest(await this.data(), this.shape, this.dtype);
  }

  /**
   * The single value of a one-element tensor.
   * @example console.log(t, await loss.item())
   */
  async item(): Promise<number> {
    if (this.numel() !== 1) throw new ValueError(`item: got a tensor of shape ${fmtShape(this.shape)}, expected exactly one element`);
    return (await this.data())[0];
  }

  override toString(): string {
    const head = `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}${this.gradFn ? `, gradFn=${this.gradFn.name}` : ''}`;
    // The values are always shown: the stream is drained first (printing is for people, and must
    // not depend on whether a kernel happened to run inline or is still on the pool).
    stream.flushSync();
    if (this.storage.error !== null) return `${head}, failed: ${this.storage.error.message})`;
    const values = formatValues({ shape: this.shape, strides: this.strides, offset: this.offset, data: this.storage.data, bool: this.dtype === 'bool', float: isFloat(this.dtype) });
    return `${head}, values=${values})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * An in-place kernel reads and writes one element at a time: an input laid over the target's
 * memory in another layout (x.add_(x.t()), a shifted copy_) would read values already
 * overwritten. PyTorch raises for these; so does Skein. The same layout (x.add_(x)) is fine.
 */
function checkNoPartialOverlap(name: string, target: Tensor, x: Tensor): void {
  if (x.storage !== target.storage) return;
  if (x.offset === target.offset && x.strides.every((s, i) => s === target.strides[i] || target.shape[i] === 1)) return;
  const range = (t: Tensor) => {
    let lo = t.offset;
    let hi = t.offset;
    t.shape.forEach((d, i) => {
      if (d === 0) return;
      const span = (d - 1) * t.strides[i];
      if (span < 0) lo += span;
      else hi += span;
    });
    return [lo, hi];
  };
  if (target.numel() === 0 || x.numel() === 0) return;
  const [tlo, thi] = range(target);
  const [xlo, xhi] = range(x);
  if (xhi < tlo || xlo > thi) return;
  const written = new Uint8Array(thi - tlo + 1);
  forEachOffset(target.shape, target.strides, target.offset, (o) => (written[o - tlo] = 1));
  let hit = false;
  forEachOffset(x.shape, x.strides, x.offset, (o) => {
    if (o >= tlo && o <= thi && written[o - tlo] === 1) hit = true;
  });
  if (hit) {
    throw new ValueError(
      `${name}: some elements of an input (shape ${fmtShape(x.shape)}, strides [${x.strides.join(', ')}], offset ${x.offset}) and the written-to tensor ` +
        `(shape ${fmtShape(target.shape)}, strides [${target.strides.join(', ')}], offset ${target.offset}) refer to the same memory in another layout; expected clone() of the input first`,
    );
  }
}

/**
 * What an in-place op's formula reads: the target's values from before the write (mul_'s
 * d/d(other) is g·self) as a copy, as PyTorch saves original_self; the edges keep the old history.
 */
function valuesBeforeWrite(op: OpDef<any>, inputs: Tensor[], target: Tensor): Tensor[] {
  const saves = op.saves ?? 'inputs';
  if (saves !== 'inputs' && saves !== 'inputsAndOutput') return inputs;
  return inputs.map((x) => (x.storage === target.storage ? noGrad(() => x.detach().clone()) : x));
}

/** values: what the formula reads, when it differs from the inputs the edges follow. */
function makeNode(op: OpDef<any>, inputs: Tensor[], attrs: object, out: Tensor, values = inputs): OpNode {
  const node = new OpNode(op, values, out, attrs);
  node.edges = inputs.map(edgeOf);
  return node;
}

function record(op: OpDef<any>, inputs: Tensor[], attrs: object, out: Tensor): void {
  out.gradFn = makeNode(op, inputs, attrs, out);
  out.requiresGrad = true;
}



function allKnown(shape: readonly Dim[]): boolean {
  for (const d of shape) if (d === null) return false;
  return true;
}

function anyNeedsGrad(inputs: Tensor[]): boolean {
  for (const x of inputs) if (x.requiresGrad) return true;
  return false;
}

function nest(values: ArrayLike<number>, shape: readonly number[], dtype: DType): unknown {
  const cast = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return cast(values[0]);
  let at = 0;
  const build = (d: number): unknown[] => {
    const out = new Array<unknown>(shape[d]);
    for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? cast(values[at++]) : build(d + 1);
    return out;
  };
  return build(0);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
