// scan: a loop inside the graph. The body is built once on argument nodes (the carried state and
// one slice of each element tensor); nodes it uses that depend on no argument are captured and
// computed once outside. One 'scan' node runs the loop; a 'scanOut' node per result reads it.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Dim } from '../shape.js';
import type { Graph } from './graph.js';
import { SymbolicTensor } from './node.js';

/**
 * What a scan node runs. For t = 0 … T−1 (T−1 … 0 when reverse), with the carry args fed the
 * carry and the element args fed elems[k][t]: carry ← carryOuts; extras[t] are stacked too.
 * Outputs (outs, one scanOut node each): every carry, stacked [T, …] or final only, then every
 * extra stacked [T, …].
 */
export interface ScanSpec {
  elems: SymbolicTensor[];
  /** Nodes fed elems[k][t] in the body: scanArg nodes, or (in a backward scan) forward nodes. */
  elemArgs: SymbolicTensor[];
  inits: SymbolicTensor[];
  carryArgs: SymbolicTensor[];
  carryOuts: SymbolicTensor[];
  stackCarry: boolean[];
  extras: SymbolicTensor[];
  captures: SymbolicTensor[];
  reverse: boolean;
  /** A while loop's: run the body while this (a 0-d bool of the carry) is true; elems are []. */
  condition: SymbolicTensor | null;
  outs: SymbolicTensor[];
  /** Nodes of the body that depend on an argument (the loop's own nodes). */
  inLoop: Set<SymbolicTensor>;
  /** Forward body node → the scanOut stacking it, for backward scans that read it per step. */
  saved: Map<SymbolicTensor, SymbolicTensor>;
}

export interface LoopParts {
  elems: SymbolicTensor[];
  elemArgs: SymbolicTensor[];
  inits: SymbolicTensor[];
  carryArgs: SymbolicTensor[];
  carryOuts: SymbolicTensor[];
  stackCarry: boolean[];
  extras: SymbolicTensor[];
  reverse: boolean;
  condition: SymbolicTensor | null;
}

/** A body argument: fed at each step, shaped like one slice. */
export function scanArg(graph: Graph, shape: readonly Dim[], dtype: SymbolicTensor['dtype'], name: string): SymbolicTensor {
  return graph.add(new SymbolicTensor(graph, { kind: 'scanArg', shape, dtype, name }));
}

/** Checks the parts, finds the loop's nodes and captures, and builds the scan and its outputs. */
export function buildLoop(graph: Graph, op: string, parts: LoopParts): ScanSpec {
  const { elems, inits, carryOuts, carryArgs } = parts;
  const T = elems.length === 0 ? null : elems[0].shape[0];
  for (const e of elems) {
    if (e.ndim === 0) throw new ShapeError(`${op}: got elems of shape ${fmtShape(e.shape)}, expected rank ≥ 1 (the loop runs along dim 0)`);
    if (e.shape[0] !== null && T !== null && e.shape[0] !== T) throw new ShapeError(`${op}: got elems of lengths ${elems.map((x) => fmtShape(x.shape)).join(', ')}, expected one length along dim 0`);
  }
  carryOuts.forEach((out, k) => {
    graph.check(op, out);
    const init = inits[k];
    if (out.shape.length !== init.shape.length || out.shape.some((d, i) => d !== null && init.shape[i] !== null && d !== init.shape[i])) {
      throw new ShapeError(`${op}: the body gave shape ${fmtShape(out.shape)} for an accumulator of shape ${fmtShape(init.shape)}, expected equal shapes`);
    }
    if (out.dtype !== init.dtype) throw new DTypeError(`${op}: the body gave dtype ${out.dtype} for an accumulator of dtype ${init.dtype}, expected equal dtypes`);
    if (carryArgs[k].dtype !== init.dtype) throw new DTypeError(`${op}: carry ${k} has dtype ${carryArgs[k].dtype}, expected ${init.dtype}`);
  });
  const results = parts.condition === null ? [...carryOuts, ...parts.extras] : [...carryOuts, parts.condition];
  const { inLoop, captures } = loopNodes(op, [...parts.carryArgs, ...parts.elemArgs], results);
  const spec: ScanSpec = { ...parts, captures, outs: [], inLoop, saved: new Map() };
  const kind = parts.condition === null ? 'scan' : 'while';
  const node = graph.add(new SymbolicTensor(graph, { kind, inputs: [...elems, ...inits, ...captures], attrs: spec, shape: [], dtype: 'bool' }));
  inits.forEach((init, k) => addOut(node, parts.stackCarry[k] ? [T, ...init.shape] : init.shape, init.dtype));
  parts.extras.forEach((x) => addOut(node, [T, ...x.shape], x.dtype));
  return spec;
}

/** A result of the loop: a carry (stacked or final) or an extra (stacked). */
function addOut(node: SymbolicTensor, shape: readonly Dim[], dtype: SymbolicTensor['dtype']): SymbolicTensor {
  const spec = node.attrs as ScanSpec;
  const out = node.graph.add(new SymbolicTensor(node.graph, { kind: 'scanOut', inputs: [node], attrs: { index: spec.outs.length }, shape, dtype }));
  spec.outs.push(out);
  return out;
}

/** The scan node a scanOut reads. */
export function scanOf(out: SymbolicTensor): SymbolicTensor {
  return out.inputs[0];
}

/**
 * Stacks a body node per step as one more output of the scan (for a backward scan that needs it),
 * once per node.
 */
export function saveStep(scan: SymbolicTensor, x: SymbolicTensor): SymbolicTensor {
  const spec = scan.attrs as ScanSpec;
  const k = spec.carryOuts.indexOf(x);
  if (k >= 0 && spec.stackCarry[k]) return spec.outs[k]; // already stacked: the carry itself
  let out = spec.saved.get(x);
  if (out === undefined) {
    spec.extras.push(x);
    out = addOut(scan, [spec.elems[0].shape[0], ...x.shape], x.dtype);
    spec.saved.set(x, out);
  }
  return out;
}

/**
 * Which nodes depend on an argument (iterative post-order from the results), and the nodes outside
 * the loop those use (computed once per run, before the loop).
 */
export function loopNodes(op: string, args: readonly SymbolicTensor[], results: readonly SymbolicTensor[]): { inLoop: Set<SymbolicTensor>; captures: SymbolicTensor[] } {
  const dependent = new Map<SymbolicTensor, boolean>(args.map((a) => [a, true]));
  const captures: SymbolicTensor[] = [];
  const capture = (x: SymbolicTensor) => {
    if (!captures.includes(x)) captures.push(x);
  };
  for (const result of results) {
    const stack: [SymbolicTensor, number][] = [[result, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (dependent.has(node)) {
        stack.pop();
        continue;
      }
      const deps = [...node.inputs, ...node.controls, ...node.sources];
      if (next < deps.length) {
        top[1] += 1;
        if (!dependent.has(deps[next])) stack.push([deps[next], 0]);
        continue;
      }
      stack.pop();
      const inLoop = deps.some((x) => dependent.get(x) === true);
      if (inLoop && (node.kind === 'assign' || node.kind === 'random' || node.kind === 'scan' || node.kind === 'while' || node.kind === 'cond' || node.kind === 'scanOut' || node.kind === 'group')) {
        throw new ValueError(`${op}: the body builds ${node.name} (${node.kind}) on the loop's arguments; expected pure ops of the table inside a loop body`);
      }
      dependent.set(node, inLoop);
      if (inLoop) for (const x of deps) if (dependent.get(x) === false) capture(x);
    }
    if (dependent.get(result) === false) capture(result);
  }
  const inLoop = new Set<SymbolicTensor>();
  for (const [n, d] of dependent) if (d) inLoop.add(n);
  return { inLoop, captures };
}

/** A tensor or nested arrays of tensors, as scan's elems and accumulators may be (TF1 nests). */
export type Nest<T> = T | readonly Nest<T>[];

export function flattenNest<T>(op: string, nest: Nest<T>, isLeaf: (x: unknown) => x is T): T[] {
  const out: T[] = [];
  const stack: unknown[] = [nest];
  while (stack.length > 0) {
    const x = stack.pop();
    if (isLeaf(x)) out.push(x);
    else if (Array.isArray(x)) for (let i = x.length - 1; i >= 0; i--) stack.push(x[i]);
    else throw new ValueError(`${op}: got ${x === null ? 'null' : typeof x} in a nest, expected tensors or (nested) arrays of tensors`);
  }
  return out;
}

/** The leaves of `flat` put back into the structure of `like`. */
export function unflattenNest<T, U>(like: Nest<T>, flat: readonly U[], isLeaf: (x: unknown) => x is T): Nest<U> {
  let k = 0;
  const build = (x: Nest<T>): Nest<U> => (isLeaf(x) ? flat[k++] : (x as readonly Nest<T>[]).map(build));
  return build(like);
}

/** Whether two nests have the same structure (same array lengths, leaves in the same places). */
export function sameStructure<T>(a: unknown, b: unknown, isLeaf: (x: unknown) => x is T): boolean {
  if (isLeaf(a) || isLeaf(b)) return isLeaf(a) && isLeaf(b);
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((x, i) => sameStructure(x, b[i], isLeaf));
}
