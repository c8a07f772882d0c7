// User-defined autograd functions, as torch.autograd.Function: static forward and backward,
// called through apply. Named AutogradFunction here (exported as autograd.Function) so it never
// shadows JavaScript's global Function.
import { AutogradError, fmtShape, ShapeError } from '../errors.js';
import { isFloat } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { edgeOf } from './engine.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { Node, SavedTensor } from './node.js';

/** Duck-typed: this module may not import the Tensor class (tensor.ts imports autograd). */
function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'gradFn' in x;
}

/** What forward leaves for backward. Other attributes may be set on it freely. */
export class FunctionCtx {
  [attribute: string]: unknown;
  /** For each input of apply: does it need a gradient? */
  needsInputGrad: boolean[] = [];
  private saved: SavedTensor[] | null = [];
  private dirty = new Set<Tensor>();
  private nonDifferentiable = new Set<Tensor>();
  private fnName = 'Function';

  /** @internal */
  static create(name: string, needs: boolean[]): FunctionCtx {
    const ctx = new FunctionCtx();
    ctx.fnName = name;
    ctx.needsInputGrad = needs;
    return ctx;
  }

  saveForBackward(...tensors: Tensor[]): void {
    this.saved = tensors.map((t) => new SavedTensor(t));
  }

  get savedTensors(): Tensor[] {
    if (this.saved === null) {
      throw new AutogradError(`${this.fnName}: savedTensors were freed by a previous backward; expected backward({ retainGraph: true }) to use them again`);
    }
    return this.saved.map((s) => s.unpack(this.fnName));
  }

  /** Declares inputs that forward changed in place (they are returned as outputs). */
  markDirty(...tensors: Tensor[]): void {
    for (const t of tensors) this.dirty.add(t);
  }

  /** Declares outputs that never get a gradient (indices, masks). */
  markNonDifferentiable(...tensors: Tensor[]): void {
    for (const t of tensors) this.nonDifferentiable.add(t);
  }

  /** @internal */
  isDirty(t: Tensor): boolean {
    return this.dirty.has(t);
  }

  /** @internal */
  isNonDifferentiable(t: Tensor): boolean {
    return this.nonDifferentiable.has(t);
  }

  /** @internal */
  free(): void {
    this.saved = null;
  }
}

type FunctionClass = {
  name: string;
  forward(ctx: FunctionCtx, ...args: any[]): any;
  backward(ctx: FunctionCtx, ...grads: any[]): any;
};

class FunctionNode extends Node {
  constructor(
    private readonly fn: FunctionClass,
    private readonly ctx: FunctionCtx,
    private readonly inputs: unknown[],
    private readonly outs: Tensor[],
  ) {
    super();
  }

  get name(): string {
    return this.fn.name;
  }

  get outputs(): number {
    return this.outs.length;
  }

  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    this.checkLive();
    // Missing output gradients are zeros, as with PyTorch's materialize_grads.
    const full = grads.map((g, i) => g ?? this.outs[i].zerosLike());
    const result = this.fn.backward(this.ctx, ...full);
    const list: unknown[] = Array.isArray(result) ? result : [result];
    if (list.length !== this.inputs.length) {
      throw new AutogradError(`${this.name}.backward: returned ${list.length} gradient(s), expected ${this.inputs.length} (one per forward input, null for inputs without one)`);
    }
    return list.map((g, i) => {
      if (g === null || g === undefined || this.edges[i] === null) return null;
      const x = this.inputs[i] as Tensor;
      if (!isTensorLike(g)) {
        const got = typeof g === 'object' ? (g.constructor?.name ?? 'an object') : `a ${typeof g}`;
        throw new AutogradError(`${this.name}.backward: gradient ${i} is ${got}, expected a tensor or null (one per forward input)`);
      }
      const t = g;
      if (t.shape.length !== x.shape.length || t.shape.some((d, k) => d !== x.shape[k])) {
        throw new ShapeError(`${this.name}.backward: gradient ${i} has shape ${fmtShape(t.shape)}, expected the input's shape ${fmtShape(x.shape)}`);
      }
      return t;
    });
  }

  override release(): void {
    super.release();
    this.ctx.free();
  }
}

export class AutogradFunction {
  static forward(_ctx: FunctionCtx, ..._args: any[]): any {
    throw new AutogradError(`${this.name}: forward is not implemented; expected a static forward(ctx, ...inputs)`);
  }

  static backward(_ctx: FunctionCtx, ..._grads: any[]): any {
    throw new AutogradError(`${this.name}: backward is not implemented; expected a static backward(ctx, ...gradOutputs)`);
  }

  /**
   * Runs forward without recording, then links its outputs to a node whose backward is this
   * class's backward.
   * @example const relu = MyReLU.apply(x)
   */
  static apply<R>(this: { name: string; forward(ctx: FunctionCtx, ...args: any[]): R; backward(ctx: FunctionCtx, ...grads: any[]): any }, ...args: unknown[]): R {
    const isT = isTensorLike;
    const needs = args.map((a) => isT(a) && a.requiresGrad);
    const ctx = FunctionCtx.create(this.name, needs);
    const result = noGrad(() => this.forward(ctx, ...args));
    const outs: unknown[] = Array.isArray(result) ? result : [result];
    if (!outs.every(isT)) throw new AutogradError(`${this.name}.forward: expected to return a tensor or an array of tensors`);
    const tensors = (outs as Tensor[]).map((t) => (args.includes(t) && !ctx.isDirty(t) ? t.detach() : t));
    // As in PyTorch: a dirty leaf that requires grad would lose its place as the gradient's destination.
    const dirtyLeaf = tensors.find((t) => ctx.isDirty(t) && t.isLeaf && t.requiresGrad);
    if (dirtyLeaf !== undefined && isGradEnabled()) {
      throw new AutogradError(`${this.name}: markDirty got a leaf tensor that requires grad (shape ${fmtShape(dirtyLeaf.shape)}), which cannot be changed by an in-place operation; expected a non-leaf (e.g. x.clone()) or the call inside noGrad(() => …)`);
    }
    if (isGradEnabled() && needs.some(Boolean)) {
      const node = new FunctionNode(this as unknown as FunctionClass, ctx, args, tensors);
      node.edges = args.map((a) => (isT(a) ? edgeOf(a) : null));
      tensors.forEach((t, i) => {
        if (ctx.isNonDifferentiable(t) || !isFloat(t.dtype)) return;
        t.gradFn = node;
        t.outputIndex = i;
        t.requiresGrad = true;
      });
    }
    return (Array.isArray(result) ? tensors : tensors[0]) as R;
  }
}
