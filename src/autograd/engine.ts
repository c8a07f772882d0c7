// The backward pass: a topological walk from the root, each node's gradients summed before its
// formula runs (accumulation lives here, never inside formulas).
import { AutogradError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkGradients, isAnomalyEnabled } from './anomaly.js';
import { noGrad, withGradMode } from './grad-mode.js';
import { runPostAccumulateGradHooks } from './hooks.js';
import { AccumulateGrad, OpNode, type Edge, type Node } from './node.js';
import { show } from '../validate.js';

export interface BackwardOptions {
  /** Keep saved values so backward can run through this graph again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the gradient computation itself, so gradients can be differentiated again. */
  createGraph?: boolean;
}

export function edgeOf(t: Tensor): Edge | null {
  if (!t.requiresGrad) return null;
  if (t.gradFn !== null) return { node: t.gradFn, index: t.outputIndex };
  return { node: t.accumulator(), index: 0 };
}

/** Parents before children. Iterative: a 100k-op graph must not blow the JS stack. */
function countDependencies(roots: readonly Node[]): Map<Node, number> {
  const deps = new Map<Node, number>();
  const stack: Node[] = [];
  for (const r of roots) {
    if (!deps.has(r)) {
      deps.set(r, 0);
      stack.push(r);
    }
  }
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (const e of node.edges) {
      if (e === null) continue;
      const seen = deps.has(e.node);
      deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
      if (!seen) stack.push(e.node);
    }
  }
  return deps;
}

/**
 * The nodes from which a captured node can be reached (autograd.grad runs only those). Kahn's
 * order from the roots, then children before parents, so no recursion.
 */
function nodesLeadingTo(roots: readonly Node[], deps: Map<Node, number>, targets: ReadonlySet<Node>): Set<Node> {
  const left = new Map(deps);
  const order: Node[] = [];
  const ready = roots.filter((r, i) => left.get(r) === 0 && roots.indexOf(r) === i);
  while (ready.length > 0) {
    const node = ready.pop() as Node;
    order.push(node);
    for (const e of node.edges) {
      if (e === null) continue;
      const n = (left.get(e.node) as number) - 1;
      left.set(e.node, n);
      if (n === 0) ready.push(e.node);
    }
  }
  const needed = new Set<Node>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (targets.has(node) || node.edges.some((e) => e !== null && needed.has(e.node))) needed.add(node);
  }
  return needed;
}

export function runBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions = {}): void {
  const start = edgeOf(root);
  if (start === null) {
    throw new AutogradError('backward: the tensor does not require grad and has no gradFn; expected the result of ops on a tensor with requiresGrad');
  }
  if (options === null || typeof options !== 'object') throw new ValueError(`backward: got options ${show(options)}, expected { retainGraph?, createGraph? }`);
  const seed = seedFor('backward', root, gradient);
  const createGraph = options.createGraph === true;
  walk([start], [seed], { retainGraph: options.retainGraph ?? createGraph, createGraph, capture: null });
}

/** The gradient a walk starts from: the one given (checked), or ones for a one-element output. */
export function seedFor(op: string, root: Tensor, gradient: Tensor | null | undefined): Tensor {
  if (gradient === undefined || gradient === null) {
    if (root.numel() !== 1) {
      throw new AutogradError(`${op}: got an output of shape ${fmtShape(root.shape)}; grad can be implicitly created only for scalar outputs, expected a gradient argument of that shape`);
    }
    return noGrad(() => root.onesLike());
  }
  if (typeof gradient !== 'object' || !('storage' in gradient)) {
    const got = Array.isArray(gradient) ? 'an array' : `a ${typeof gradient}`;
    throw new ValueError(`${op}: got ${got} as the gradient, expected a tensor of the output's shape ${fmtShape(root.shape)}`);
  }
  if (root.shape.length !== gradient.shape.length || root.shape.some((d, i) => d !== gradient.shape[i])) {
    throw new ShapeError(`${op}: got a gradient of shape ${fmtShape(gradient.shape)} for an output of shape ${fmtShape(root.shape)}; expected equal shapes`);
  }
  return gradient;
}

export interface WalkOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /**
   * autograd.grad: the gradients of these (node, output) pairs are handed to the callback instead
   * of accumulated into any .grad, and only nodes leading to them run. null: backward().
   */
  capture: Map<Node, (index: number, g: Tensor | null) => void> | null;
}

/**
 * Runs the formulas from the starts towards the leaves. With createGraph the formulas run with
 * recording on, so the gradients they return have a graph of their own (higher-order gradients).
 */
export function walk(starts: Edge[], seeds: Tensor[], options: WalkOptions): void {
  withGradMode(options.createGraph, () => walkInMode(starts, seeds, options));
}

function walkInMode(starts: Edge[], seeds: Tensor[], { retainGraph, createGraph, capture }: WalkOptions): void {
  const roots = starts.map((s) => s.node);
  const deps = countDependencies(roots);
  const needed = capture === null ? null : nodesLeadingTo(roots, deps, new Set(capture.keys()));
  const buffers = new Map<Node, (Tensor | null)[]>();
  // Gradients made during this walk and handed to one place only: a leaf may keep them as they are.
  // A Set, not a WeakSet: the walk is synchronous and drops it at the end, and a WeakSet cost
  // every gradient an ephemeron for the collector.
  const owned = new Set<Tensor>();
  const put = (edge: Edge, g: Tensor) => {
    let buf = buffers.get(edge.node);
    if (buf === undefined) {
      buf = new Array<Tensor | null>(edge.node.outputs).fill(null);
      buffers.set(edge.node, buf);
    }
    const prev = buf[edge.index];
    if (prev === null) buf[edge.index] = g;
    else {
      const sum = prev.add(g);
      owned.add(sum);
      buf[edge.index] = sum;
      dispose(prev);
      dispose(g);
    }
  };
  // A temporary only this walk holds goes back to the free list as soon as its last use is queued:
  // backward's gradients then cost no garbage collection. Not while recording a graph of the
  // backward itself (its nodes may save them), and never a gradient user code was handed (a
  // tensor hook's argument, autograd.grad's result): those leave `owned`.
  const recycle = !createGraph;
  const dispose = (g: Tensor) => {
    if (recycle && owned.has(g)) {
      owned.delete(g);
      g.storage.release();
    }
  };
  starts.forEach((s, i) => put(s, seeds[i]));
  const ready = roots.filter((r, i) => deps.get(r) === 0 && roots.indexOf(r) === i);
  while (ready.length > 0) {
    const node = ready.pop() as Node;
    const grads = buffers.get(node) ?? new Array<Tensor | null>(node.outputs).fill(null);
    buffers.delete(node);
    runTensorHooks(node, grads, owned);
    node.retained.forEach((t, i) => {
      const g = grads[i];
      if (t !== null && g !== null) t.grad = t.grad === null ? (createGraph ? g : g.clone()) : t.grad.add(g);
    });
    const take = capture?.get(node);
    if (take !== undefined) {
      grads.forEach((g, i) => {
        if (g !== null) owned.delete(g);
        take(i, g);
      });
    }
    if (node instanceof AccumulateGrad) {
      if (capture === null) {
        accumulate(node.leaf, grads[0], owned, createGraph);
        if (grads[0] !== null && node.leaf.grad !== grads[0]) dispose(grads[0]);
      }
      continue;
    }
    // A captured node that leads to no other captured node is where autograd.grad stops.
    if (needed !== null && !node.edges.some((e) => e !== null && needed.has(e.node))) continue;
    const inputGrads = grads.every((g) => g === null) ? node.edges.map(() => null) : node.apply(grads);
    if (isAnomalyEnabled()) checkGradients(node.name, inputGrads);
    if (!retainGraph) node.release();
    if (inputGrads.length !== node.edges.length) {
      throw new AutogradError(`${node.name}: backward returned ${inputGrads.length} gradients, expected ${node.edges.length} (one per input)`);
    }
    const sharesStorage = (g: Tensor, i: number) => inputGrads.some((x, j) => j !== i && x !== null && x !== undefined && x.storage === g.storage);
    // This node's gradients are spent once its formula has run, unless one was passed on as it is.
    for (const g of grads) if (g !== null && !inputGrads.some((x) => x !== null && x !== undefined && x.storage === g.storage)) dispose(g);
    node.edges.forEach((edge, i) => {
      if (edge === null || (needed !== null && !needed.has(edge.node))) return;
      const g = inputGrads[i];
      if (g !== null && g !== undefined) {
        const fresh = node instanceof OpNode && g !== grads[0] && !sharesStorage(g, i) && !grads.some((x) => x !== null && x.storage === g.storage);
        if (fresh) owned.add(g);
        // One tensor (or two views of one storage) handed to two places is owned by neither.
        else if (sharesStorage(g, i)) owned.delete(g);
        put(edge, g);
      }
      const left = (deps.get(edge.node) as number) - 1;
      deps.set(edge.node, left);
      if (left === 0) ready.push(edge.node);
    });
  }
}

/** Tensor.registerHook: each hook sees the output's summed gradient and may replace it. */
function runTensorHooks(node: Node, grads: (Tensor | null)[], owned: Set<Tensor>): void {
  if (node.hooks === null) return;
  node.hooks.forEach((list, i) => {
    for (const hook of [...list.values()]) {
      const g = grads[i];
      if (g === null) return;
      owned.delete(g);
      const r = hook(g);
      if (r === undefined) continue;
      if (!isTensorLike(r) || r.shape.length !== g.shape.length || r.shape.some((d, k) => d !== g.shape[k])) {
        throw new AutogradError(`registerHook: a hook returned ${isTensorLike(r) ? `a gradient of shape ${fmtShape(r.shape)}` : String(r)} for a gradient of shape ${fmtShape(g.shape)}; expected a tensor of that shape or nothing`);
      }
      grads[i] = r;
    }
  });
}

function isTensorLike(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'shape' in x;
}

/**
 * leaf.grad += g, in place, so a user's zero_() between steps works as in PyTorch. With
 * createGraph the sum is out of place (PyTorch too): the new .grad carries the graph of both.
 */
function accumulate(leaf: Tensor, g: Tensor | null, owned: Set<Tensor>, createGraph: boolean): void {
  if (g === null) return;
  if (g.dtype !== leaf.dtype) g = g.to(leaf.dtype);
  if (g.shape.length !== leaf.shape.length || g.shape.some((d, i) => d !== leaf.shape[i])) {
    throw new ShapeError(`backward: got a gradient of shape ${fmtShape(g.shape)} for a leaf of shape ${fmtShape(leaf.shape)}; expected equal shapes`);
  }
  const held = leaf.grad as unknown;
  if (held !== null && !isTensorLike(held)) {
    throw new ValueError(`backward: a leaf of shape ${fmtShape(leaf.shape)} has .grad ${typeof held === 'object' ? 'an object' : String(held)}, expected a tensor or null to accumulate into`);
  }
  if (held === undefined) leaf.grad = null;
  if (leaf.grad === null) leaf.grad = owned.has(g) && g.isContiguous() && g.storage !== leaf.storage ? g : g.clone();
  else if (createGraph || leaf.grad.requiresGrad) leaf.grad = leaf.grad.add(g);
  else leaf.grad.add_(g);
  runPostAccumulateGradHooks(leaf);
}
