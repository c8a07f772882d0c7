// The backward pass: a topological walk from the root, each node's gradients summed before its
// formula runs (accumulation lives here, never inside formulas).
import { AutogradError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkGradients, isAnomalyEnabled } from './anomaly.js';
import { runPostAccumulateGradHooks } from './hooks.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { AccumulateGrad, OpNode, type Edge, type Node } from './node.js';

export interface BackwardOptions {
  /** Keep saved values so backward can run through this graph again. */
  retainGraph?: boolean;
}

export function edgeOf(t: Tensor): Edge | null {
  if (!t.requiresGrad) return null;
  if (t.gradFn !== null) return { node: t.gradFn, index: t.outputIndex };
  return { node: t.accumulator(), index: 0 };
}

/** Parents before children. Iterative: a 100k-op graph must not blow the JS stack. */
function countDependencies(root: Node): Map<Node, number> {
  const deps = new Map<Node, number>([[root, 0]]);
  const stack = [root];
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

export function runBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions = {}): void {
  const start = edgeOf(root);
  if (start === null) {
    throw new AutogradError('backward: the tensor does not require grad and has no gradFn; expected the result of ops on a tensor with requiresGrad');
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.numel() !== 1) {
      throw new AutogradError(`backward: got an output of shape ${fmtShape(root.shape)}; grad can be implicitly created only for scalar outputs, expected a gradient argument of that shape`);
    }
    seed = noGrad(() => root.onesLike());
  } else {
    if (typeof gradient !== 'object' || gradient === null || !('storage' in gradient)) {
      const got = Array.isArray(gradient) ? 'an array' : gradient === null ? 'null' : `a ${typeof gradient}`;
      throw new ValueError(`backward: got ${got} as the gradient, expected a tensor of the output's shape ${fmtShape(root.shape)}`);
    }
    if (root.shape.length !== gradient.shape.length || root.shape.some((d, i) => d !== gradient.shape[i])) {
      throw new ShapeError(`backward: got a gradient of shape ${fmtShape(gradient.shape)} for an output of shape ${fmtShape(root.shape)}; expected equal shapes`);
    }
    seed = gradient;
  }
  noGrad(() => walk(start, seed, options.retainGraph ?? false));
}

function walk(start: Edge, seed: Tensor, retainGraph: boolean): void {
  const deps = countDependencies(start.node);
  const buffers = new Map<Node, (Tensor | null)[]>();
  // Gradients made during this walk and handed to one place only: a leaf may keep them as they are.
  const owned = new WeakSet<Tensor>();
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
  // backward itself (its nodes may save them).
  const recycle = !isGradEnabled();
  const dispose = (g: Tensor) => {
    if (recycle && owned.has(g)) {
      owned.delete(g);
      g.storage.release();
    }
  };
  put(start, seed);
  const ready = [start.node];
  while (ready.length > 0) {
    const node = ready.pop() as Node;
    const grads = buffers.get(node) ?? new Array<Tensor | null>(node.outputs).fill(null);
    buffers.delete(node);
    node.retained.forEach((t, i) => {
      const g = grads[i];
      if (t !== null && g !== null) t.grad = t.grad === null ? g.clone() : t.grad.add(g);
    });
    if (node instanceof AccumulateGrad) {
      accumulate(node.leaf, grads[0], owned);
      if (grads[0] !== null && node.leaf.grad !== grads[0]) dispose(grads[0]);
      continue;
    }
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
      if (edge === null) return;
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

/** leaf.grad += g, in place, so a user's zero_() between steps works as in PyTorch. */
function accumulate(leaf: Tensor, g: Tensor | null, owned: WeakSet<Tensor>): void {
  if (g === null) return;
  if (g.dtype !== leaf.dtype) g = g.to(leaf.dtype);
  if (g.shape.length !== leaf.shape.length || g.shape.some((d, i) => d !== leaf.shape[i])) {
    throw new ShapeError(`backward: got a gradient of shape ${fmtShape(g.shape)} for a leaf of shape ${fmtShape(leaf.shape)}; expected equal shapes`);
  }
  if (leaf.grad === null) leaf.grad = owned.has(g) && g.isContiguous() && g.storage !== leaf.storage ? g : g.clone();
  else leaf.grad.add_(g);
  runPostAccumulateGradHooks(leaf);
}
