// The executor: binds storage to every slot, then issues each step's kernels on the runtime
// stream through the op table's own forwards and views (a fused group through the map kernel).
// It only submits work; the stream runs it in order, inline or on the pool.
import { rand, randn } from '../creation.js';
import { UNARY } from '../kernels/elementwise.js';
import { launchMap, mapExpr, type Buf, type Layout } from '../ops/define.js';
import { OPS } from '../ops/table.js';
import { contiguousStrides, numel } from '../shape.js';
import { Storage } from '../storage.js';
import type { SymbolicTensor, Variable } from './node.js';
import type { FusedKernel, Plan, Step } from './plan.js';

type ViewFn = (input: Layout, attrs: any) => Layout;

export interface RunContext {
  /** A value for each of plan.feeds, in order. */
  feeds: readonly Buf[];
  /** The storage of a variable (the session's). */
  variable(v: Variable): Storage;
}

/** Issues one run of the plan; returns a buffer for each fetch (null for a group). */
export function execute(plan: Plan, ctx: RunContext): (Buf | null)[] {
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
  for (const step of plan.steps) runStep(plan, step, bufOf, storages, ctx);
  return plan.fetches.map((f) => (f === null ? null : bufOf(f)));
}

function runStep(plan: Plan, step: Step, bufOf: (i: number) => Buf, storages: (Storage | null)[], ctx: RunContext): void {
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
    case 'scan':
      runScan(step.body, v.node, bufOf(step.value), step.inputs.map(bufOf), ctx);
      return;
  }
}

/** One map-kernel pass computing a whole fused group. */
function launchFused(kernel: FusedKernel, out: Buf, inputs: Buf[], inPlace: boolean): void {
  launchMap(kernel.name, kernel.expr, out, inputs, kernel.params, inPlace, kernel.body);
}

/** acc ← body(acc, elems[t]) for each t; out[t] = acc. The body is a plan of its own. */
function runScan(body: Plan, node: SymbolicTensor, out: Buf, [elems, init, ...captures]: Buf[], ctx: RunContext): void {
  const { accArg, elemArg, captures: captured } = node.attrs as { accArg: SymbolicTensor; elemArg: SymbolicTensor; captures: SymbolicTensor[] };
  const size = numel(init.shape);
  const strides = contiguousStrides(init.shape);
  const slice = (t: number): Buf => ({ storage: out.storage, shape: init.shape, strides, offset: out.offset + t * size, dtype: out.dtype });
  for (let t = 0; t < elems.shape[0]; t++) {
    const narrowed = (OPS.narrow.view as ViewFn)(elems as unknown as Layout, { dim: 0, start: t, length: 1 });
    const row = (OPS.squeeze.view as ViewFn)(narrowed, { dim: 0 });
    const element: Buf = { ...row, storage: elems.storage, dtype: elems.dtype };
    const acc = t === 0 ? init : slice(t - 1);
    const feeds = body.feeds.map((f) => (f === accArg ? acc : f === elemArg ? element : captures[captured.indexOf(f)]));
    const [result] = execute(body, { feeds, variable: ctx.variable });
    launchMap('scan', UNARY.copy, slice(t), [result as Buf]);
  }
}
