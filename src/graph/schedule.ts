// Scheduling: one step per kernel pass (an op, a fused group, an assign, a scan), ordered so
// every input is ready and every read of a variable that does not depend on a write to it runs
// before that write (writes happen in place, in the variable's own storage).
import { contiguousStrides } from '../shape.js';
import { ScheduleError } from './errors.js';
import { isMap, type FusionPlan } from './fusion.js';
import type { Variable } from './node.js';
import type { PlanValue, Slot, Step } from './plan.js';

const root = (values: readonly PlanValue[], i: number): number => {
  while (values[i].kind === 'view') i = values[i].inputs[0];
  return i;
};

/** Values the fetches need, through inputs and a group's controls. */
export function liveValues(values: readonly PlanValue[], fetches: readonly number[]): boolean[] {
  const live = values.map(() => false);
  const stack = [...fetches];
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if (live[i]) continue;
    live[i] = true;
    stack.push(...values[i].inputs, ...values[i].controls);
  }
  return live;
}

export function schedule(values: PlanValue[], slots: Slot[], fusion: FusionPlan, live: readonly boolean[], fetchValues: readonly number[], internal: boolean): { steps: Step[]; fetches: (number | null)[] } {
  const made: Step[] = [];
  const producer = new Map<number, number>();
  const fusedAssign = new Map<number, number>(); // group root → assign value
  for (const [assign, source] of fusion.assignInto) fusedAssign.set(source, assign);

  values.forEach((v, i) => {
    if (!live[i]) return;
    const add = (step: Step) => {
      producer.set(i, made.length);
      made.push(step);
    };
    switch (v.kind) {
      case 'random':
        add({ kind: 'random', value: i, inputs: [] });
        return;
      case 'cond':
        for (const o of v.attrs.outs as number[]) producer.set(o, made.length);
        add({ kind: 'cond', value: i, inputs: v.inputs, branches: v.attrs.branches, outputs: v.attrs.outs });
        return;
      case 'scan':
      case 'while':
        for (const o of v.attrs.outs as number[]) producer.set(o, made.length);
        add({ kind: v.kind, value: i, inputs: v.inputs, body: v.attrs.body, condition: v.attrs.condition, outputs: v.attrs.outs });
        return;
      case 'assign': {
        const into = fusion.assignInto.get(i);
        if (into !== undefined) producer.set(i, producer.get(into) as number);
        else add({ kind: 'assign', value: i, inputs: v.mode === 'set' ? [v.inputs[1]] : v.inputs });
        return;
      }
      case 'op': {
        if (isMap(v) && fusion.groupOf[i] !== i && fusion.groupOf[i] !== -1) return; // computed inside its group's pass
        const kernel = fusion.kernels.get(i);
        if (kernel === undefined) {
          add({ kind: 'op', value: i, inputs: v.inputs });
          return;
        }
        const assign = fusedAssign.get(i);
        const target = assign === undefined ? null : (values[assign].variable as Variable);
        if (assign !== undefined) {
          // The group's output is the variable's storage.
          v.slot = values[assign].slot;
          v.layout = { shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
        }
        add({ kind: 'fused', value: i, members: fusion.members.get(i) as number[], inputs: kernel.inputs, kernel, target });
        return;
      }
      default:
        return; // feeds, variables, constants, views and groups run nothing.
    }
  });

  const order = orderSteps(values, made, producer);
  const steps = order.map((k) => made[k]);

  // Fetched results leave the session: a kernel's output gets storage of its own each run, and
  // anything the session keeps (a variable, a feed, a constant) is copied out after the run.
  const fetches = fetchValues.map((f): number | null => {
    const v = values[f];
    if (v.kind === 'group') return null;
    if (internal) return f;
    const r = values[root(values, f)];
    if (r.kind === 'random') return f;
    if ((r.kind === 'op' || r.kind === 'scanOut') && slots[r.slot].kind === 'temp') {
      slots[r.slot].kind = 'fresh';
      return f;
    }
    if (r.kind === 'op' || r.kind === 'scanOut') return f; // already fresh
    slots.push({ kind: 'fresh', dtype: v.dtype, numel: v.shape.reduce((a, b) => a * b, 1), buffer: -1 });
    const strides = contiguousStrides(v.shape);
    values.push({ node: v.node, kind: 'copy', op: null, inputs: [f], controls: [], attrs: {}, shape: v.shape, strides, dtype: v.dtype, slot: slots.length - 1, layout: { shape: v.shape, strides, offset: 0 } });
    steps.push({ kind: 'copy', value: values.length - 1, inputs: [f] });
    return values.length - 1;
  });
  return { steps, fetches };
}

/**
 * Kahn's algorithm, earliest-built step first: data edges, then for each write to a variable,
 * edges from every read of its old value that does not itself depend on the write.
 */
function orderSteps(values: readonly PlanValue[], steps: readonly Step[], producer: ReadonlyMap<number, number>): number[] {
  const n = steps.length;
  const next: Set<number>[] = steps.map(() => new Set());
  steps.forEach((step, s) => {
    for (const x of step.inputs) {
      const p = producer.get(root(values, x));
      if (p !== undefined && p !== s) next[p].add(s);
    }
  });
  const writes = new Map<Variable, number[]>();
  steps.forEach((step, s) => {
    const v = values[step.value];
    const variable = v.kind === 'assign' ? v.variable : step.kind === 'fused' ? step.target : null;
    if (variable) writes.set(variable, [...(writes.get(variable) ?? []), s]);
  });
  for (const [variable, writers] of writes) {
    for (const w of writers) {
      const after = descendants(next, w);
      steps.forEach((step, s) => {
        if (s === w || after.has(s)) return;
        const readsOld = step.inputs.some((x) => {
          const r = values[root(values, x)];
          return r.kind === 'variable' && r.variable === variable;
        });
        const earlierWriter = writers.includes(s) && s < w;
        if (readsOld || earlierWriter) next[s].add(w);
      });
    }
  }
  const indegree = new Array<number>(n).fill(0);
  for (const set of next) for (const t of set) indegree[t] += 1;
  const ready = new MinHeap();
  for (let s = 0; s < n; s++) if (indegree[s] === 0) ready.push(s);
  const out: number[] = [];
  while (ready.size > 0) {
    const s = ready.pop();
    out.push(s);
    for (const t of next[s]) if (--indegree[t] === 0) ready.push(t);
  }
  if (out.length !== n) {
    const stuck = steps.filter((_, s) => indegree[s] > 0).map((st) => values[st.value].node.name);
    throw new ScheduleError(`Session.run: steps ${stuck.join(', ')} both read a variable's old value and depend on a write to it; expected each read of a variable to come before or after its assign, not both`);
  }
  return out;
}

function descendants(next: readonly Set<number>[], from: number): Set<number> {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    for (const t of next[stack.pop() as number]) {
      if (!seen.has(t)) {
        seen.add(t);
        stack.push(t);
      }
    }
  }
  return seen;
}

/** The smallest ready step first, so the order stays close to the order the graph was built in. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
