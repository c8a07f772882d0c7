// The executor: binds storage to every slot, then issues each step's kernels on the runtime
// stream through the op table's own forwards and views (a fused group through the map kernel).
// It only submits work; the stream runs it in order, inline or on the pool.
import { rand, randn } from '../creation.js';
import { UNARY } from '../kernels/elementwise.js';
import { launchMap, mapExpr, type Buf, type Layout } from '../ops/define.js';
import { OPS } from '../ops/table.js';
import { contiguousStrides, numel } from '../shape.js';
import { Storage } from '../storage.js';
import { synchronize } from '../runtime/stream.js';
import type { SymbolicTensor, Variable } from './node.js';
import type { CondSpec } from './cond.js';
import type { ScanSpec } from './scan.js';
import type { FusedKernel, Plan, Step } from './plan.js';


export interface RunContext {
  /** A value for each of plan.feeds, in order. */
  feeds: readonly Buf[];
  /** The storage of a variable (the session's). */
  variable(v: Variable): Storage;
  /**
   * Where fetch k may be written directly (a loop's output row), instead of the plan's own
   * buffer; a fetch that is not a kernel's own output ignores it.
   */
  into?: readonly (Buf | null)[];
}

/**
 * Issues one run of the plan; returns a buffer for each fetch (null for a group). It only waits
 * where a while loop must read its condition.
 */
export async function execute(plan: Plan, ctx: RunContext): Promise<(Buf | null)[]> {
  if (plan.arena === null) plan.arena = plan.buffers.map((b) => new Storage(b.dtype, b.numel));
  // A failed run marks what it wrote; the next run starts clean (the stream runs runs in order).
  for (const s of plan.arena) s.error = null;
  const arena = plan.arena;
  const storages: (Storage | null)[] = new Array(plan.slots.length).fill(null);
  const storageOf = (slot: number): Storage => {
    let s = storages[slot];
    if (s === null) {
      const info = plan.slots[slot];
      s = info.kind === 'variable' ? ctx.variable(info.variable as Variable) : info.kind === 'temp' && info.buffer >= 0 ? arena[info.buffer] : new Storage(info.dtype, info.numel);
      storages[slot] = s;
    }
    return s;
  };
  const bufs: (Buf | null)[] = new Array(plan.values.length).fill(null);
  const bufOf = (i: number): Buf => {
    const known = bufs[i];
    if (known !== null) return known;
    const v = plan.values[i];
    let buf: Buf;
    if (v.kind === 'feed') buf = ctx.feeds[v.feedIndex as number];
    else if (v.kind === 'constant') buf = v.constant as Buf;
    else if (v.kind === 'view') {
      const src = bufOf(v.inputs[0]);
      const layout = v.op === null ? src : (v.op.view as NonNullable<typeof v.op.view>)(src as unknown as Layout, v.attrs);
      buf = { storage: src.storage, shape: layout.shape, strides: layout.strides, offset: layout.offset, dtype: v.dtype };
    } else buf = { storage: storageOf(v.slot), shape: v.shape, strides: v.strides, offset: 0, dtype: v.dtype };
    bufs[i] = buf;
    return buf;
  };
  ctx.into?.forEach((b, k) => {
    const f = plan.fetches[k];
    if (b === null || f === null || bufs[f] !== null) return;
    const v = plan.values[f];
    if (v.kind === 'op' && plan.slots[v.slot].kind === 'temp') bufs[f] = b;
  });
  for (const step of plan.steps) {
    if (step.kind === 'scan' || step.kind === 'while') await runLoop(plan, step, bufOf, ctx);
    else if (step.kind === 'cond') await runCond(plan, step, bufOf, ctx);
    else runStep(plan, step, bufOf, storages);
  }
  return plan.fetches.map((f) => (f === null ? null : bufOf(f)));
}

function runStep(plan: Plan, step: Step, bufOf: (i: number) => Buf, storages: (Storage | null)[]): void {
  const v = plan.values[step.value];
  switch (step.kind) {
    case 'op':
      v.op?.forward?.(bufOf(step.value), step.inputs.map(bufOf), v.attrs, false);
      return;
    case 'fused':
      launchFused(step.kernel, bufOf(step.value), step.inputs.map(bufOf), step.target !== null);
      return;
    case 'random': {
      const draw = v.attrs.distribution === 'normal' ? randn : rand;
      storages[v.slot] = draw(v.shape, { dtype: v.dtype }).storage;
      return;
    }
    case 'assign': {
      const dst = bufOf(step.value);
      let src = bufOf(step.inputs[step.inputs.length - 1]);
      if (src.storage === dst.storage && (src.offset !== 0 || src.strides.some((s, i) => s !== dst.strides[i]))) {
        // v.assign(v.t()): read the old values out before overwriting them.
        const copy: Buf = { storage: new Storage(src.dtype, numel(src.shape)), shape: src.shape, strides: contiguousStrides(src.shape), offset: 0, dtype: src.dtype };
        launchMap('assign', UNARY.copy, copy, [src]);
        src = copy;
      }
      const name = `${v.node.name}`;
      if (v.mode === 'set') launchMap(name, UNARY.copy, dst, [src], [], true);
      else launchMap(name, mapExpr(v.mode === 'add' ? OPS.add : OPS.sub, {}), dst, [dst, src], [], true);
      return;
    }
    case 'copy':
      OPS.contiguous.forward?.(bufOf(step.value), [bufOf(step.inputs[0])], {}, false);
      return;
    default:
      return; // loops run in runLoop
  }
}

/** One map-kernel pass computing a whole fused group. */
function launchFused(kernel: FusedKernel, out: Buf, inputs: Buf[], inPlace: boolean): void {
  launchMap(kernel.name, kernel.expr, out, inputs, kernel.params, inPlace, kernel.body);
}

type LoopStep = Extract<Step, { kind: 'scan' | 'while' }>;

/** Waits for pred, runs the chosen branch's plan fed the captures, its results written into the outputs. */
async function runCond(plan: Plan, step: Extract<Step, { kind: 'cond' }>, bufOf: (i: number) => Buf, ctx: RunContext): Promise<void> {
  const spec = plan.values[step.value].attrs.spec as CondSpec;
  const [pred, ...captures] = step.inputs.map(bufOf);
  await synchronize();
  if (pred.storage.error !== null) throw pred.storage.error;
  const branch = step.branches[pred.storage.data[pred.offset] !== 0 ? 0 : 1];
  const into = step.outputs.map(bufOf);
  const feeds = branch.feeds.map((f) => captures[spec.captures.indexOf(f)]);
  const results = (await execute(branch, { feeds, variable: ctx.variable, into })) as Buf[];
  results.forEach((r, k) => r !== into[k] && launchMap('cond', UNARY.copy, into[k], [r]));
}

/**
 * A scan: for t = 0 … T−1 (backwards when reverse), the body plan runs fed the carry, elems[k][t]
 * and the captures, and its results are copied into the loop's outputs (a stacked output's row
 * t, or a final-only carry's one buffer, which the next step reads). The body's arena is the
 * same every step. A while loop runs its condition plan first each time and reads it.
 */
async function runLoop(plan: Plan, step: LoopStep, bufOf: (i: number) => Buf, ctx: RunContext): Promise<void> {
  const spec = plan.values[step.value].attrs.spec as ScanSpec;
  const nE = spec.elems.length;
  const nC = spec.inits.length;
  const ins = step.inputs.map(bufOf);
  const elems = ins.slice(0, nE);
  const inits = ins.slice(nE, nE + nC);
  const captures = ins.slice(nE + nC);
  const outs = step.outputs.map(bufOf);
  const row = (x: Buf, t: number): Buf => ({ storage: x.storage, shape: x.shape.slice(1), strides: x.strides.slice(1), offset: x.offset + t * x.strides[0], dtype: x.dtype });
  const carryAt = (k: number, t: number): Buf => (spec.stackCarry[k] ? row(outs[k], t) : outs[k]);
  // Where each body feed comes from, worked out once.
  const source = (f: SymbolicTensor): ((carry: readonly Buf[], t: number) => Buf) => {
    const c = spec.carryArgs.indexOf(f);
    if (c >= 0) return (carry) => carry[c];
    const e = spec.elemArgs.indexOf(f);
    if (e >= 0) return (_, t) => row(elems[e], t);
    const k = spec.captures.indexOf(f);
    return () => captures[k];
  };
  const bodyFeeds = step.body.feeds.map(source);
  const condFeeds = step.condition?.feeds.map(source) ?? [];
  const T = nE === 0 ? Infinity : elems[0].shape[0];
  let carry = inits;
  let last = -1;
  for (let s = 0; s < T; s++) {
    const t = spec.reverse ? T - 1 - s : s;
    if (step.condition !== null) {
      const [pred] = await execute(step.condition, { feeds: condFeeds.map((f) => f(carry, t)), variable: ctx.variable });
      await synchronize();
      const p = pred as Buf;
      if (p.storage.error !== null) throw p.storage.error;
      if (p.storage.data[p.offset] === 0) break;
    }
    // A stacked result's kernel writes its row directly; a final-only carry (read by this very step) is copied.
    const into = outs.map((o, k) => (k < nC && !spec.stackCarry[k] ? null : row(o, t)));
    const results = (await execute(step.body, { feeds: bodyFeeds.map((f) => f(carry, t)), variable: ctx.variable, into })) as Buf[];
    // A result that is a final-only carry's buffer itself (a swap of two carries) is read out first.
    results.forEach((r, k) => {
      if (outs.some((o, j) => j < nC && !spec.stackCarry[j] && o.storage === r.storage)) {
        const copy: Buf = { storage: new Storage(r.dtype, numel(r.shape)), shape: r.shape, strides: contiguousStrides(r.shape), offset: 0, dtype: r.dtype };
        launchMap('scan', UNARY.copy, copy, [r]);
        results[k] = copy;
      }
    });
    results.forEach((r, k) => r !== into[k] && launchMap('scan', UNARY.copy, into[k] ?? outs[k], [r]));
    carry = spec.carryOuts.map((_, k) => carryAt(k, t));
    last = t;
  }
  // No step ran: a final-only carry is its initial value.
  if (last < 0) spec.inits.forEach((_, k) => !spec.stackCarry[k] && launchMap('scan', UNARY.copy, outs[k], [inits[k]]));
}
