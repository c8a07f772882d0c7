// Control flow in a graph, as TF1 spells it: scan, whileLoop and cond, over tensors or nested
// arrays of tensors. All three are built on the loop of scan.ts.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Graph } from './graph.js';
import { SymbolicTensor } from './node.js';
import { buildCond } from './cond.js';
import { buildLoop, flattenNest, sameStructure, scanArg, unflattenNest, type Nest } from './scan.js';

export interface ScanOptions {
  /** Run from the last element to the first; result[t] still belongs to elems[t] (TF1's reverse). */
  reverse?: boolean;
}

export interface WhileOptions {
  /**
   * At most this many iterations. Given, the loop is a scan of that many steps that stop changing
   * the variables once cond is false, and gradients() runs back through it (TF1 needs it for
   * gradients too). Left out, the loop runs until cond is false, forward only.
   */
  maximumIterations?: number;
}

const isNode = (x: unknown): x is SymbolicTensor => x instanceof SymbolicTensor;

function nodes(graph: Graph, op: string, nest: unknown, what: string): SymbolicTensor[] {
  const flat = flattenNest(op, nest as Nest<SymbolicTensor>, isNode);
  if (flat.length === 0) throw new ValueError(`${op}: got no tensors in ${what}, expected at least one`);
  for (const x of flat) graph.check(op, x);
  return flat;
}

export function scan<S extends Nest<SymbolicTensor>, E extends Nest<SymbolicTensor>>(graph: Graph, fn: (acc: S, element: E) => S, elems: E, initializer: S | number, { reverse = false }: ScanOptions = {}): S {
  const elemList = nodes(graph, 'scan', elems, 'elems');
  for (const e of elemList) if (e.ndim === 0) throw new ShapeError(`scan: got elems of shape ${fmtShape(e.shape)}, expected rank ≥ 1 (the loop runs along dim 0)`);
  const initNest = (typeof initializer === 'number' ? graph.scalar(initializer, elemList[0].dtype) : initializer) as S;
  const inits = nodes(graph, 'scan', initNest, 'the initializer');
  const elemArgs = elemList.map((e) => scanArg(graph, e.shape.slice(1), e.dtype, 'scan_element'));
  const carryArgs = inits.map((x) => scanArg(graph, x.shape, x.dtype, 'scan_acc'));
  const result = fn(unflattenNest(initNest, carryArgs, isNode) as S, unflattenNest(elems, elemArgs, isNode) as E);
  if (!sameStructure(result, initNest, isNode)) {
    throw new ValueError(`scan: the body returned ${describeNest(result)} for an accumulator of ${describeNest(initNest)}, expected the same nesting`);
  }
  const carryOuts = flattenNest('scan', result, isNode);
  const spec = buildLoop(graph, 'scan', { elems: elemList, elemArgs, inits, carryArgs, carryOuts, stackCarry: inits.map(() => true), extras: [], reverse, condition: null });
  return unflattenNest(initNest, spec.outs, isNode) as S;
}

export function whileLoop<S extends Nest<SymbolicTensor>>(graph: Graph, cond: (vars: S) => SymbolicTensor, body: (vars: S) => S, loopVars: S, { maximumIterations }: WhileOptions = {}): S {
  if (maximumIterations !== undefined && !(Number.isInteger(maximumIterations) && maximumIterations >= 0)) {
    throw new ValueError(`whileLoop: got maximumIterations ${String(maximumIterations)}, expected a non-negative integer`);
  }
  const inits = nodes(graph, 'whileLoop', loopVars, 'loopVars');
  const carryArgs = inits.map((x) => scanArg(graph, x.shape, x.dtype, 'loop_var'));
  const vars = unflattenNest(loopVars, carryArgs, isNode) as S;
  const keepGoing = cond(vars);
  graph.check('whileLoop', keepGoing);
  if (keepGoing.dtype !== 'bool' || keepGoing.ndim !== 0) {
    throw new ValueError(`whileLoop: cond gave ${keepGoing.dtype} of shape ${fmtShape(keepGoing.shape)}, expected a 0-d bool`);
  }
  const result = body(vars);
  if (!sameStructure(result, loopVars, isNode)) throw new ValueError(`whileLoop: body returned ${describeNest(result)} for loopVars of ${describeNest(loopVars)}, expected the same nesting`);
  const next = flattenNest('whileLoop', result, isNode);
  if (maximumIterations === undefined) {
    const spec = buildLoop(graph, 'whileLoop', { elems: [], elemArgs: [], inits, carryArgs, carryOuts: next, stackCarry: inits.map(() => false), extras: [], reverse: false, condition: keepGoing });
    return unflattenNest(loopVars, spec.outs, isNode) as S;
  }
  // A scan of maximumIterations steps; `running` turns false with cond and stays false, and a
  // step that is not running keeps every variable: v ← where(running ∧ cond, body(v), v).
  const running = scanArg(graph, [], 'bool', 'loop_running');
  const go = running.where(keepGoing, keepGoing); // running ∧ cond
  const carryOuts = [go, ...next.map((x, k) => x.where(go, carryArgs[k]))];
  const steps = graph.zeros([maximumIterations]);
  const spec = buildLoop(graph, 'whileLoop', {
    elems: [steps],
    elemArgs: [scanArg(graph, [], 'float32', 'loop_step')],
    inits: [graph.constant(true), ...inits],
    carryArgs: [running, ...carryArgs],
    carryOuts,
    stackCarry: carryOuts.map(() => false),
    extras: [],
    reverse: false,
    condition: null,
  });
  return unflattenNest(loopVars, spec.outs.slice(1), isNode) as S;
}

/**
 * tf.cond: each branch is built once and compiled as a plan of its own; a run reads pred (a 0-d
 * bool, so the run waits for it there) and runs only the chosen branch. Differentiable: the
 * gradient is a cond of each branch's own gradient. Branches must be pure (no assigns).
 */
export function cond<S extends Nest<SymbolicTensor>>(graph: Graph, pred: SymbolicTensor, trueFn: () => S, falseFn: () => S): S {
  graph.check('cond', pred);
  if (pred.dtype !== 'bool') throw new DTypeError(`cond: got pred of dtype ${pred.dtype}, expected bool`);
  if (pred.ndim !== 0) throw new ShapeError(`cond: got pred of shape ${fmtShape(pred.shape)}, expected a 0-d bool`);
  let nest: S | null = null;
  let other: S | null = null;
  const spec = buildCond(graph, 'cond', pred, [
    () => {
      nest = trueFn();
      return nodes(graph, 'cond', nest, "trueFn's result");
    },
    () => {
      other = falseFn();
      if (!sameStructure(nest, other, isNode)) throw new ValueError(`cond: trueFn returned ${describeNest(nest)} and falseFn ${describeNest(other)}, expected the same nesting`);
      return nodes(graph, 'cond', other, "falseFn's result");
    },
  ]);
  return unflattenNest(nest as unknown as S, spec.outs, isNode) as S;
}

function describeNest(x: unknown): string {
  if (isNode(x)) return 'a tensor';
  if (Array.isArray(x)) return `[${x.map(describeNest).join(', ')}]`;
  return x === null ? 'null' : typeof x;
}
