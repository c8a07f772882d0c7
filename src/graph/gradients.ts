// Symbolic differentiation: backward nodes built from the same `grad` formulas eager autograd
// runs, called with symbolic tensors. Accumulation happens here, never inside formulas.
import { isFloat } from '../dtype.js';
import { AutogradError, fmtShape } from '../errors.js';
import { GraphMismatchError } from './errors.js';
import type { SymbolicTensor } from './node.js';
import { condBackward, type CondSpec } from './cond.js';
import { scanBackward } from './scan-grad.js';
import type { ScanSpec } from './scan.js';

/**
 * d(sum of ys)/d(x) for each x, as nodes of the graph (tf.gradients). gradYs weights each y
 * (default: ones). An x no y depends on gets null (TF1's None), not zeros.
 * @example const [gW1, gW2] = gradients(loss, [w1, w2])
 */
export function gradients(ys: SymbolicTensor | readonly SymbolicTensor[], xs: SymbolicTensor | readonly SymbolicTensor[], gradYs?: SymbolicTensor | readonly (SymbolicTensor | null)[]): (SymbolicTensor | null)[] {
  const outs = Array.isArray(ys) ? [...ys] : [ys as SymbolicTensor];
  const wrt = Array.isArray(xs) ? [...xs] : [xs as SymbolicTensor];
  const seeds = gradYs === undefined ? [] : Array.isArray(gradYs) ? [...gradYs] : [gradYs as SymbolicTensor];
  if (outs.length === 0) throw new AutogradError('gradients: got no ys, expected at least one');
  const graph = outs[0].graph;
  for (const n of [...outs, ...wrt, ...seeds]) {
    if (n !== null) graph.check('gradients', n);
  }
  if (seeds.length > 0 && seeds.length !== outs.length) throw new AutogradError(`gradients: got ${seeds.length} gradYs for ${outs.length} ys, expected one each`);
  return gradientsOf(outs, wrt, seeds, new Set());
}

/**
 * gradients() without the argument checks. Paths stop at `stops` (a loop body's arguments and
 * captures: a capture's own inputs get their share outside the loop, from the capture's gradient).
 */
export function gradientsOf(outs: readonly SymbolicTensor[], wrt: readonly SymbolicTensor[], seeds: readonly (SymbolicTensor | null)[], stops: ReadonlySet<SymbolicTensor>): (SymbolicTensor | null)[] {
  const targets = new Set(wrt);
  const order = relevantNodes(outs, targets, stops);
  const grads = new Map<SymbolicTensor, SymbolicTensor>();
  const put = (node: SymbolicTensor, g: SymbolicTensor) => {
    const prev = grads.get(node);
    grads.set(node, prev === undefined ? g : prev.add(g));
  };
  outs.forEach((y, i) => {
    const seed = seeds[i] ?? y.onesLike();
    if (seed.shape.length !== y.shape.length || seed.shape.some((d: number | null, k: number) => d !== null && y.shape[k] !== null && d !== y.shape[k])) {
      throw new AutogradError(`gradients: got gradYs[${i}] of shape ${fmtShape(seed.shape)} for y of shape ${fmtShape(y.shape)}, expected equal shapes`);
    }
    if (order.has(y)) put(y, seed);
  });

  // Children before parents: the reverse of a topological order.
  for (const node of [...order.keys()].reverse()) {
    if (stops.has(node)) continue;
    if (node.kind === 'while' && (node.attrs as ScanSpec).outs.some((o) => grads.has(o))) {
      throw new AutogradError(`whileLoop (${node.name}): has no gradient without maximumIterations; expected whileLoop(cond, body, loopVars, { maximumIterations }) on a gradient path, or stopGradient around it`);
    }
    if (node.kind === 'cond') {
      const outGrads = (node.attrs as CondSpec).outs.map((o) => grads.get(o) ?? null);
      if (outGrads.every((g) => g === null)) continue;
      for (const [input, dx] of condBackward(node, outGrads, (x) => order.has(x) && isFloat(x.dtype))) put(input, dx);
      continue;
    }
    if (node.kind === 'scan') {
      const spec = node.attrs as ScanSpec;
      const outGrads = spec.outs.map((o) => grads.get(o) ?? null);
      if (outGrads.every((g) => g === null)) continue;
      for (const [input, dx] of scanBackward(node, outGrads, (x) => order.has(x) && isFloat(x.dtype))) put(input, dx);
      continue;
    }
    const g = grads.get(node);
    if (g === undefined) continue;
    for (const [input, dx] of backwardOf(node, g, order)) {
      put(input, dx.dtype === input.dtype ? dx : dx.to(input.dtype));
    }
  }
  return wrt.map((x) => grads.get(x) ?? null);
}

/** Gradients for the inputs of node that lead to an x. */
function backwardOf(node: SymbolicTensor, g: SymbolicTensor, relevant: Map<SymbolicTensor, true>): [SymbolicTensor, SymbolicTensor][] {
  const wanted = node.inputs.map((x) => relevant.has(x) && isFloat(x.dtype));
  if (!wanted.some(Boolean)) return [];
  if (node.kind === 'sumTo') return wanted[0] ? [[node.inputs[0], g.expand(node.inputs[0].shape)]] : [];
  if (node.kind !== 'op' || node.op === null) return []; // assign, stopGradient, scanOut (see scan) …
  const op = node.op;
  if (op.grad === null) {
    throw new AutogradError(`${op.name}: has no gradient (it is declared non-differentiable), but a gradient path reaches it; expected stopGradient() around it`);
  }
  const dxs = op.grad(g, [...node.inputs], node, node.attrs);
  const out: [SymbolicTensor, SymbolicTensor][] = [];
  node.inputs.forEach((x, i) => {
    const dx = dxs[i];
    if (!wanted[i] || dx === null || dx === undefined) return;
    const fits = dx.shape.length === x.shape.length && dx.shape.every((d: number | null, k: number) => d === null || x.shape[k] === null || d === x.shape[k]);
    if (!fits) throw new AutogradError(`${op.name}: its backward formula gave a gradient of shape ${fmtShape(dx.shape)} for an input of shape ${fmtShape(x.shape)}`);
    out.push([x, dx]);
  });
  return out;
}

/**
 * Nodes on a path from some x to some y, in topological order (parents first). Iterative
 * post-order: a deep graph must not blow the JS stack.
 */
function relevantNodes(ys: readonly SymbolicTensor[], xs: Set<SymbolicTensor>, stops: ReadonlySet<SymbolicTensor>): Map<SymbolicTensor, true> {
  const reaches = new Map<SymbolicTensor, boolean>();
  const order: SymbolicTensor[] = [];
  for (const y of ys) {
    const stack: [SymbolicTensor, number][] = [[y, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next === 0 && reaches.has(node)) {
        stack.pop();
        continue;
      }
      if (next < node.inputs.length && !stops.has(node)) {
        top[1] += 1;
        const input = node.inputs[next];
        if (input.graph !== node.graph) throw new GraphMismatchError(`gradients: node ${input.name} belongs to another graph`);
        if (!reaches.has(input)) stack.push([input, 0]);
        continue;
      }
      stack.pop();
      if (reaches.has(node)) continue;
      reaches.set(node, xs.has(node) || node.inputs.some((x) => reaches.get(x) === true));
      order.push(node);
    }
  }
  const out = new Map<SymbolicTensor, true>();
  for (const node of order) if (reaches.get(node)) out.set(node, true);
  return out;
}
