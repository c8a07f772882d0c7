// The compiler behind Session.run, once per (fetches, feed shapes): prune to the nodes the
// fetches need, fill in unknown dims, merge common subexpressions, fold constants, then hand
// over to fusion, scheduling and buffer planning.
import { noGrad } from '../autograd/grad-mode.js';
import type { DType } from '../dtype.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import type { OpDef } from '../ops/define.js';
import { OPS } from '../ops/table.js';
import { stream } from '../runtime/stream.js';
import { contiguousStrides, isRunSize, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { MissingFeedError } from './errors.js';
import { planFusion } from './fusion.js';
import { planBuffers } from './memory.js';
import { constantValue, type SymbolicTensor, type Variable } from './node.js';
import type { CompileOptions, Plan, PlanValue, Slot } from './plan.js';
import type { CondSpec } from './cond.js';
import type { ScanSpec } from './scan.js';
import { liveValues, schedule } from './schedule.js';

export interface FeedSpec {
  shape: number[];
  dtype: DType;
}

/**
 * Compiles the fragment of the graph the fetches need. With `internal` (a scan body), fetched
 * values may stay in arena buffers: the caller copies them out before the next run.
 */
export async function compile(fetches: readonly SymbolicTensor[], feeds: ReadonlyMap<SymbolicTensor, FeedSpec>, options: CompileOptions, internal = false): Promise<Plan> {
  const order = collect(fetches, feeds);
  const b = new Builder(feeds, options);
  for (const node of order) await b.visit(node);
  // Folded constants and user constants are computed on the stream; fusion reads scalar ones.
  await stream.idle();
  const fetchValues = fetches.map((f) => b.valueOf(f));
  const live = liveValues(b.values, fetchValues);
  const fusion = planFusion(b.values, live, fetchValues, options.fuse);
  const { steps, fetches: fetched } = schedule(b.values, b.slots, fusion, live, fetchValues, internal);
  const memory = planBuffers(b.values, b.slots, steps, fetched, options.reuseBuffers, internal);
  const reads = new Set<Variable>();
  const writes = new Set<Variable>();
  for (const step of steps) {
    for (const i of step.inputs) {
      const root = rootOf(b.values, i);
      if (b.values[root].kind === 'variable') reads.add(b.values[root].variable as Variable);
    }
    const v = b.values[step.value];
    if (v.kind === 'assign') writes.add(v.variable as Variable);
  }
  return {
    values: b.values,
    slots: b.slots,
    steps,
    fetches: fetched,
    feeds: b.fed,
    reads: [...reads],
    writes: [...writes],
    buffers: memory.buffers,
    arena: null,
    stats: { needed: order.length, merged: b.merged, folded: b.folded, temps: memory.temps, tempBytes: memory.tempBytes, bufferBytes: memory.bufferBytes },
    lastRun: null,
  };
}

/** The value whose storage a value lives in (through views). */
export function rootOf(values: readonly PlanValue[], i: number): number {
  while (values[i].kind === 'view') i = values[i].inputs[0];
  return i;
}

/** Needed nodes, parents first, stopping at fed nodes. Iterative: deep graphs must not blow the stack. */
function collect(fetches: readonly SymbolicTensor[], feeds: ReadonlyMap<SymbolicTensor, FeedSpec>): SymbolicTensor[] {
  const done = new Set<SymbolicTensor>();
  const order: SymbolicTensor[] = [];
  const deps = (n: SymbolicTensor) => (feeds.has(n) ? [] : [...n.inputs, ...n.controls, ...n.sources]);
  for (const f of fetches) {
    const stack: [SymbolicTensor, number][] = [[f, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (done.has(node)) {
        stack.pop();
        continue;
      }
      const list = deps(node);
      if (next < list.length) {
        top[1] += 1;
        if (!done.has(list[next])) stack.push([list[next], 0]);
        continue;
      }
      stack.pop();
      done.add(node);
      order.push(node);
    }
  }
  return order;
}

/** Sizes known only at run time (RunSize attrs) become numbers, now that the shapes are concrete. */
function runSizes(attrs: any, shapeOf: (node: object) => readonly number[]): any {
  if (!Object.values(attrs).some(isRunSize)) return attrs;
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, isRunSize(v) ? v.size(shapeOf) : v]));
}

/**
 * Fills the unknown dims a reshape or expand target left open, now that inputs are concrete. An
 * expand takes each unknown dim from its input or, where that is 1, from the nodes it broadcasts
 * against.
 */
function concreteAttrs(op: OpDef<any>, attrs: any, inputs: readonly PlanValue[], sources: readonly PlanValue[]): any {
  if ((op === OPS.reshape || op === OPS.expand) && attrs.shape.includes(null)) {
    const from = inputs[0].shape;
    const target: (number | null)[] = attrs.shape;
    let shape: number[];
    if (op === OPS.expand) {
      const dimAt = (s: readonly number[], i: number) => s[s.length - target.length + i] ?? 1;
      shape = target.map((d, i) => d ?? Math.max(dimAt(from, i), ...sources.map((v) => dimAt(v.shape, i))));
    } else {
      const holes = target.filter((d) => d === null).length;
      const known = numel(target.filter((d) => d !== null));
      // reshape(a.shape): several unknown dims, each a's (at run time) in the same place.
      const like = sources.find((v) => v.shape.length === target.length);
      if (holes > 1 && like === undefined) throw new ShapeError(`reshape: got target ${fmtShape(target)} with ${holes} unknown dims for input ${fmtShape(from)}, expected at most one`);
      shape = holes > 1 ? target.map((d, i) => d ?? (like as PlanValue).shape[i]) : target.map((d) => d ?? (known === 0 ? 0 : numel(from) / known));
    }
    if (shape.some((d) => !Number.isInteger(d))) throw new ShapeError(`${op.name}: cannot fill the unknown dims of ${fmtShape(target)} from input ${fmtShape(from)}`);
    return { ...attrs, shape };
  }
  return attrs;
}

class Builder {
  readonly values: PlanValue[] = [];
  readonly slots: Slot[] = [];
  readonly fed: SymbolicTensor[] = [];
  merged = 0;
  folded = 0;
  private readonly index = new Map<SymbolicTensor, number>();
  private readonly cse = new Map<string, number>();
  private readonly variableSlots = new Map<Variable, number>();

  constructor(
    private readonly feeds: ReadonlyMap<SymbolicTensor, FeedSpec>,
    private readonly options: CompileOptions,
  ) {}

  valueOf(node: SymbolicTensor): number {
    return this.index.get(node) as number;
  }

  private slot(kind: Slot['kind'], dtype: DType, n: number, variable?: Variable): number {
    this.slots.push({ kind, dtype, numel: n, buffer: -1, variable });
    return this.slots.length - 1;
  }

  private push(node: SymbolicTensor, v: Omit<PlanValue, 'node' | 'strides' | 'layout' | 'controls'> & { layout?: PlanValue['layout']; controls?: number[] }): number {
    const strides = contiguousStrides(v.shape);
    this.values.push({ node, ...v, controls: v.controls ?? [], strides, layout: v.layout ?? { shape: v.shape, strides, offset: 0 } });
    const i = this.values.length - 1;
    this.index.set(node, i);
    return i;
  }

  async visit(node: SymbolicTensor): Promise<void> {
    if (this.index.has(node)) return; // a loop's result, pushed with its loop
    const feed = this.feeds.get(node);
    if (feed !== undefined) {
      this.push(node, { kind: 'feed', op: null, inputs: [], attrs: {}, shape: feed.shape, dtype: feed.dtype, slot: this.slot('feed', feed.dtype, numel(feed.shape)), feedIndex: this.fed.length });
      this.fed.push(node);
      return;
    }
    const inputs = node.inputs.map((x) => this.valueOf(x));
    const iv = inputs.map((i) => this.values[i]);
    switch (node.kind) {
      case 'placeholder':
        throw new MissingFeedError(`placeholder ${node.name} (shape ${fmtShape(node.shape)}, dtype ${node.dtype}): the fetches need it, but no value was fed; expected it among the feeds`);
      case 'scanArg':
        throw new ValueError(`${node.name}: a scan body argument used outside its scan; expected it only inside the body function`);
      case 'constant': {
        const t = constantValue(node);
        this.push(node, { kind: 'constant', op: null, inputs: [], attrs: {}, shape: t.shape, dtype: t.dtype, slot: this.slot('constant', t.dtype, t.storage.numel), constant: t, layout: { shape: t.shape, strides: t.strides, offset: t.offset } });
        return;
      }
      case 'variable': {
        const v = node as Variable;
        let slot = this.variableSlots.get(v);
        if (slot === undefined) {
          slot = this.slot('variable', v.dtype, numel(v.shape), v);
          this.variableSlots.set(v, slot);
        }
        this.push(node, { kind: 'variable', op: null, inputs: [], attrs: {}, shape: v.shape as number[], dtype: v.dtype, slot, variable: v });
        return;
      }
      case 'random':
        this.push(node, { kind: 'random', op: null, inputs: [], attrs: node.attrs, shape: node.shape as number[], dtype: node.dtype, slot: this.slot('random', node.dtype, numel(node.shape)) });
        return;
      case 'group':
        this.push(node, { kind: 'group', op: null, inputs: [], controls: node.controls.map((c) => this.valueOf(c)), attrs: {}, shape: [], dtype: node.dtype, slot: -1 });
        return;
      case 'stopGradient':
        if (this.reuse(node, `stop|${inputs[0]}`)) return;
        this.push(node, { kind: 'view', op: null, inputs, attrs: {}, shape: iv[0].shape, dtype: iv[0].dtype, slot: iv[0].slot, layout: iv[0].layout });
        return;
      case 'assign': {
        const [target, value] = iv;
        if (!sameDims(target.shape, value.shape)) {
          throw new ShapeError(`${node.name}: got a value of shape ${fmtShape(value.shape)} for variable ${target.node.name} of shape ${fmtShape(target.shape)}, expected equal shapes`);
        }
        this.push(node, { kind: 'assign', op: null, inputs, attrs: node.attrs, shape: target.shape, dtype: target.dtype, slot: target.slot, variable: target.variable, mode: node.attrs.mode });
        return;
      }
      case 'scan':
      case 'while':
        await this.visitLoop(node, inputs);
        return;
      case 'cond':
        await this.visitCond(node, inputs);
        return;
      case 'sumTo':
        this.visitSumTo(node, inputs[0]);
        return;
      case 'scanOut':
        throw new ValueError(`${node.name}: a loop result compiled before its loop`); // visitLoop pushes every result
      case 'op':
        this.visitOp(node, inputs);
        return;
    }
  }

  private reuse(node: SymbolicTensor, key: string): boolean {
    if (!this.options.cse) return false;
    const hit = this.cse.get(key);
    if (hit === undefined) {
      this.cse.set(key, this.values.length);
      return false;
    }
    this.index.set(node, hit);
    this.merged += 1;
    return true;
  }

  private visitOp(node: SymbolicTensor, inputs: number[]): void {
    const op = node.op as OpDef<any>;
    const iv = inputs.map((i) => this.values[i]);
    const shapeOf = (x: object) => this.values[this.valueOf(x as SymbolicTensor)].shape; // x: a node of a RunSize
    const attrs = concreteAttrs(op, runSizes(node.attrs, shapeOf), iv, node.sources.map((x) => this.values[this.valueOf(x)]));
    const meta = op.shape(iv, attrs);
    const shape = meta.shape as number[];
    if (shape.some((d) => d === null)) throw new ShapeError(`${op.name}: could not infer a concrete shape (${fmtShape(shape)}) from inputs ${iv.map((v) => fmtShape(v.shape)).join(', ')}`);
    if (op === OPS.expand && sameDims(shape, iv[0].shape)) {
      // An expand over unknown dims that turn out to match: its input itself.
      this.index.set(node, inputs[0]);
      return;
    }
    if (this.reuse(node, `${op.name}|${inputs.join(',')}|${JSON.stringify(attrs)}`)) return;
    const foldable = this.options.fold && (op === OPS.fullLike || iv.every((v) => v.kind === 'constant'));
    if (foldable) {
      const t = noGrad(() => evaluate(op, iv, attrs, shape, meta.dtype));
      this.folded += 1;
      this.push(node, { kind: 'constant', op: null, inputs: [], attrs: {}, shape, dtype: t.dtype, slot: this.slot('constant', t.dtype, t.storage.numel), constant: t, layout: { shape: t.shape, strides: t.strides, offset: t.offset } });
      return;
    }
    if (op.view !== undefined) {
      const layout = op.view(iv[0].layout, attrs);
      this.push(node, { kind: 'view', op, inputs, attrs, shape, dtype: meta.dtype, slot: iv[0].slot, layout });
      return;
    }
    this.push(node, { kind: 'op', op, inputs, attrs, shape, dtype: meta.dtype, slot: this.slot('temp', meta.dtype, numel(shape)) });
  }

  /** A cond: each branch compiled once as a plan fed the captures; one value per result. */
  private async visitCond(node: SymbolicTensor, inputs: number[]): Promise<void> {
    const spec = node.attrs as CondSpec;
    const feeds = new Map<SymbolicTensor, FeedSpec>();
    spec.captures.forEach((c, k) => feeds.set(c, { shape: this.values[inputs[1 + k]].shape, dtype: this.values[inputs[1 + k]].dtype }));
    const branches = [await compile(spec.branches[0], feeds, this.options, true), await compile(spec.branches[1], feeds, this.options, true)] as [Plan, Plan];
    const shapeOf = (p: Plan, k: number) => p.values[p.fetches[k] as number].shape;
    const cond = this.push(node, { kind: 'cond', op: null, inputs, attrs: { branches, spec, outs: [] as number[] }, shape: [], dtype: 'bool', slot: -1 });
    spec.outs.forEach((out, k) => {
      const [a, b] = [shapeOf(branches[0], k), shapeOf(branches[1], k)];
      if (!sameDims(a, b)) throw new ShapeError(`cond: result ${k} has shape ${fmtShape(a)} in trueFn and ${fmtShape(b)} in falseFn for these feeds, expected equal shapes`);
      const i = this.push(out, { kind: 'scanOut', op: null, inputs: [cond], attrs: { index: k }, shape: a, dtype: out.dtype, slot: this.slot('temp', out.dtype, numel(a)) });
      this.values[cond].attrs.outs.push(i);
    });
  }

  /** The sum of a broadcast away, now that both shapes are known: a sum, then a reshape (a view). */
  private visitSumTo(node: SymbolicTensor, input: number): void {
    const from = this.values[input].shape;
    const to = this.values[this.valueOf(node.sources[0])].shape;
    const lead = from.length - to.length;
    const dims = from.flatMap((d, i) => (i < lead || (to[i - lead] === 1 && d !== 1) ? [i] : []));
    if (dims.length === 0) {
      this.index.set(node, input);
      return;
    }
    const summed = OPS.sum.shape([this.values[input]], { dims, keepdim: false }).shape as number[];
    const sum = this.push(node, { kind: 'op', op: OPS.sum, inputs: [input], attrs: { dims, keepdim: false }, shape: summed, dtype: node.dtype, slot: this.slot('temp', node.dtype, numel(summed)) });
    if (sameDims(summed, to)) return;
    const layout = (OPS.reshape.view as NonNullable<OpDef['view']>)(this.values[sum].layout, { shape: to });
    this.push(node, { kind: 'view', op: OPS.reshape, inputs: [sum], attrs: { shape: to }, shape: [...to], dtype: node.dtype, slot: this.values[sum].slot, layout });
  }

  /**
   * A loop: its body (and a while loop's condition) compiled once as plans of their own, fed the
   * carry, one slice of each element and the captures; then one value per result of the loop,
   * each with storage the loop writes (a stacked result is sized once for all T steps).
   */
  private async visitLoop(node: SymbolicTensor, inputs: number[]): Promise<void> {
    const spec = node.attrs as ScanSpec;
    const nE = spec.elems.length;
    const nC = spec.inits.length;
    const iv = inputs.map((i) => this.values[i]);
    const elems = iv.slice(0, nE);
    const inits = iv.slice(nE, nE + nC);
    const captures = iv.slice(nE + nC);
    const T = nE === 0 ? 0 : elems[0].shape[0];
    if (elems.some((e) => e.shape[0] !== T)) throw new ShapeError(`scan: got elems of shapes ${elems.map((e) => fmtShape(e.shape)).join(', ')}, expected one length along dim 0`);
    const feeds = new Map<SymbolicTensor, FeedSpec>();
    spec.carryArgs.forEach((a, k) => feeds.set(a, { shape: inits[k].shape, dtype: inits[k].dtype }));
    spec.elemArgs.forEach((a, k) => feeds.set(a, { shape: elems[k].shape.slice(1), dtype: elems[k].dtype }));
    spec.captures.forEach((c, k) => feeds.set(c, { shape: captures[k].shape, dtype: captures[k].dtype }));
    const body = await compile([...spec.carryOuts, ...spec.extras], feeds, this.options, true);
    const condition = spec.condition === null ? null : await compile([spec.condition], feeds, this.options, true);
    const shapes = body.fetches.map((f) => body.values[f as number].shape);
    spec.carryOuts.forEach((_, k) => {
      if (!sameDims(shapes[k], inits[k].shape)) {
        throw new ShapeError(`${node.kind === 'while' ? 'whileLoop' : 'scan'}: the body gave shape ${fmtShape(shapes[k])} for an accumulator of shape ${fmtShape(inits[k].shape)}, expected equal shapes`);
      }
    });
    const loop = this.push(node, { kind: node.kind === 'while' ? 'while' : 'scan', op: null, inputs, attrs: { body, condition, spec, outs: [] as number[], T }, shape: [], dtype: 'bool', slot: -1 });
    spec.outs.forEach((out, k) => {
      const shape = k < nC && !spec.stackCarry[k] ? inits[k].shape : [T, ...shapes[k]];
      const i = this.push(out, { kind: 'scanOut', op: null, inputs: [loop], attrs: { index: k }, shape, dtype: out.dtype, slot: this.slot('temp', out.dtype, numel(shape)) });
      this.values[loop].attrs.outs.push(i);
    });
  }
}

/** Runs one op eagerly at compile time (constant folding), through the same forward. */
function evaluate(op: OpDef<any>, inputs: readonly PlanValue[], attrs: any, shape: number[], dtype: DType): Tensor {
  if (op === OPS.fullLike) {
    // Its input's values do not matter, so neither does whether the input is constant.
    const out = Tensor.empty(shape, dtype);
    op.forward?.(out, [], attrs, false);
    return out;
  }
  const ts = inputs.map((v) => v.constant as Tensor);
  return ts[0].applyOp(op, ts, attrs);
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
