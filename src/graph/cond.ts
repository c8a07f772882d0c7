// cond: one of two branches, chosen at run time. Each branch is compiled once as a plan of its
// own (over the nodes its function built); a run reads pred, then runs only the chosen plan.
// The gradient is a cond too: each branch of it differentiates its own forward branch.
import { isFloat } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Dim } from '../shape.js';
import { gradientsOf } from './gradients.js';
import type { Graph } from './graph.js';
import { SymbolicTensor } from './node.js';

export interface CondSpec {
  pred: SymbolicTensor;
  /** Each branch's results: [true, false]. */
  branches: [SymbolicTensor[], SymbolicTensor[]];
  /** Each branch's own nodes (what its plan computes). */
  members: [Set<SymbolicTensor>, Set<SymbolicTensor>];
  /** Nodes outside both branches that either reads: fed to the branch plans. */
  captures: SymbolicTensor[];
  /** One scanOut node per result. */
  outs: SymbolicTensor[];
}

/** The nodes a branch built (ids from `lo` on, or inherited) that its results need, and what they read from outside. */
function branchNodes(op: string, results: readonly SymbolicTensor[], own: (n: SymbolicTensor) => boolean): { members: Set<SymbolicTensor>; captures: SymbolicTensor[] } {
  const members = new Set<SymbolicTensor>();
  const captures: SymbolicTensor[] = [];
  const stack = [...results];
  while (stack.length > 0) {
    const n = stack.pop() as SymbolicTensor;
    if (members.has(n) || captures.includes(n)) continue;
    if (!own(n)) {
      captures.push(n);
      continue;
    }
    if (n.kind === 'assign' || n.kind === 'group' || n.kind === 'variable' || n.kind === 'placeholder') {
      throw new ValueError(`${op}: a branch builds ${n.name} (${n.kind}); expected branches of pure values (assigns, variables and placeholders outside)`);
    }
    members.add(n);
    stack.push(...n.inputs, ...n.controls, ...n.sources);
  }
  return { members, captures };
}

/**
 * Builds both branches (recording which nodes each one made) and the cond node with its results.
 * `inherited` adds nodes a branch may recompute although built before (a gradient branch
 * recomputes its forward branch's nodes rather than computing both forward branches outside).
 */
export function buildCond(
  graph: Graph,
  op: string,
  pred: SymbolicTensor,
  fns: [() => SymbolicTensor[], () => SymbolicTensor[]],
  inherited: [ReadonlySet<SymbolicTensor>, ReadonlySet<SymbolicTensor>] = [new Set(), new Set()],
): CondSpec {
  const parts = fns.map((fn, side) => {
    const lo = graph.nextId();
    const results = fn();
    const hi = graph.nextId();
    for (const r of results) graph.check(op, r);
    return { results, ...branchNodes(op, results, (n) => (n.id > lo && n.id < hi) || inherited[side].has(n)) };
  });
  const [a, b] = parts;
  if (a.results.length !== b.results.length) throw new ValueError(`${op}: trueFn gave ${a.results.length} results and falseFn ${b.results.length}, expected the same number`);
  const shapes: Dim[][] = a.results.map((x, i) => {
    const y = b.results[i];
    if (x.dtype !== y.dtype) throw new DTypeError(`${op}: result ${i} has dtype ${x.dtype} in trueFn and ${y.dtype} in falseFn, expected equal dtypes`);
    const same = x.ndim === y.ndim && x.shape.every((d, k) => d === null || y.shape[k] === null || d === y.shape[k]);
    if (!same) throw new ShapeError(`${op}: result ${i} has shape ${fmtShape(x.shape)} in trueFn and ${fmtShape(y.shape)} in falseFn, expected equal shapes`);
    return x.shape.map((d, k) => d ?? y.shape[k]);
  });
  const captures = [...a.captures, ...b.captures.filter((c) => !a.captures.includes(c))];
  const spec: CondSpec = { pred, branches: [a.results, b.results], members: [a.members, b.members], captures, outs: [] };
  const node = graph.add(new SymbolicTensor(graph, { kind: 'cond', inputs: [pred, ...captures], attrs: spec, shape: [], dtype: 'bool' }));
  shapes.forEach((shape, i) => {
    const out = graph.add(new SymbolicTensor(graph, { kind: 'scanOut', inputs: [node], attrs: { index: i }, shape, dtype: a.results[i].dtype }));
    spec.outs.push(out);
  });
  return spec;
}

/** Gradients for the captures of a cond from its results' cotangents: a cond of the branches' vjps. */
export function condBackward(node: SymbolicTensor, outGrads: readonly (SymbolicTensor | null)[], wanted: (x: SymbolicTensor) => boolean): [SymbolicTensor, SymbolicTensor][] {
  const spec = node.attrs as CondSpec;
  const caps = spec.captures.filter((c) => wanted(c) && isFloat(c.dtype));
  if (caps.length === 0) return [];
  const vjp = (side: 0 | 1) => (): SymbolicTensor[] => {
    const ys: SymbolicTensor[] = [];
    const seeds: SymbolicTensor[] = [];
    spec.branches[side].forEach((y, i) => {
      const g = outGrads[i];
      if (g !== null && isFloat(y.dtype)) {
        ys.push(y);
        seeds.push(g);
      }
    });
    const grads = ys.length === 0 ? caps.map(() => null) : gradientsOf(ys, caps, seeds, new Set(caps));
    return grads.map((g, i) => g ?? caps[i].zerosLike());
  };
  const back = buildCond(node.graph, 'gradients (cond)', spec.pred, [vjp(0), vjp(1)], spec.members);
  return caps.map((c, i) => [c, back.outs[i]]);
}
