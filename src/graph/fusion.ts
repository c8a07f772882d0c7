// Fusion: chains of elementwise ops become one map-kernel pass over memory. Each op's own
// `map.expr` is composed: inner results become temporaries rounded to their dtype exactly as a
// store would round them, so a fused chain gives the same bits as the unfused one.
import type { DType } from '../dtype.js';
import { hasWasmLoop } from '../kernels/elementwise-wasm.js';
import { isContiguous } from '../shape.js';
import { mapExpr } from '../ops/define.js';
import type { Variable } from './node.js';
import type { FusedKernel, PlanValue } from './plan.js';

/** The map kernel names inputs a, b, c … z. */
const MAX_INPUTS = 26;

export interface FusionPlan {
  /** The root (output) value of the group each elementwise value belongs to; -1 elsewhere. */
  groupOf: Int32Array;
  /** Members of each group, parents first, root last. */
  members: Map<number, number[]>;
  /** Fused kernels, by root; a lone op without scalar constants keeps its own forward. */
  kernels: Map<number, FusedKernel & { inputs: number[] }>;
  /** Assign value → the root of the group that writes straight into the variable. */
  assignInto: Map<number, number>;
}

export const isMap = (v: PlanValue): boolean => v.kind === 'op' && v.op?.map !== undefined;

/**
 * Elements from which a float32 op with a WASM loop stays out of any group: its SIMD pass runs
 * ≈ 7× faster per element than a fused JavaScript pass, which pays for the extra trip to memory
 * once a pass is longer than its launch (measured: W2's bias+ReLU and SGD updates).
 */
const WASM_ALONE_ELEMENTS = 16384;

/** A float32 op that runs as its own WASM pass rather than inside a fused JavaScript one. */
function runsAlone(v: PlanValue, values: readonly PlanValue[]): boolean {
  if (v.dtype !== 'float32' || v.inputs.some((x) => values[x].dtype !== 'float32')) return false;
  if (v.shape.reduce((a, b) => a * b, 1) < WASM_ALONE_ELEMENTS) return false;
  return hasWasmLoop(mapExpr(v.op as NonNullable<PlanValue['op']>, v.attrs), v.inputs.length);
}

/** A constant whose every element is the same memory cell: it becomes a kernel parameter. */
function isScalarConstant(v: PlanValue): boolean {
  return v.kind === 'constant' && v.layout.shape.every((d, i) => d === 1 || v.layout.strides[i] === 0);
}

export function planFusion(values: readonly PlanValue[], live: readonly boolean[], fetches: readonly number[], enabled: boolean): FusionPlan {
  const n = values.length;
  const plan: FusionPlan = { groupOf: new Int32Array(n).fill(-1), members: new Map(), kernels: new Map(), assignInto: new Map() };
  if (!enabled) return plan;
  const consumers: number[][] = values.map(() => []);
  values.forEach((v, i) => {
    if (live[i]) for (const x of v.inputs) consumers[x].push(i);
  });
  const fetched = new Set(fetches);
  const hazards = variableHazards(values);
  const wasmAlone = new Set<number>();

  const externals = (members: readonly number[]): number[] => {
    const inside = new Set(members);
    const out = new Set<number>();
    for (const m of members) for (const x of values[m].inputs) if (!inside.has(x) && !isScalarConstant(values[x])) out.add(x);
    return [...out];
  };
  // A group may not both read a variable and depend on a write to it: one pass cannot be both.
  const safe = (members: readonly number[]): boolean => {
    const reads = new Set<Variable>();
    for (const m of members) for (const v of hazards.reads[m]) reads.add(v);
    return members.every((m) => [...hazards.after[m]].every((v) => !reads.has(v)));
  };

  for (let i = n - 1; i >= 0; i--) {
    if (!live[i] || !isMap(values[i])) continue;
    const users = consumers[i];
    const groups = new Set(users.map((c) => (isMap(values[c]) ? plan.groupOf[c] : -2)));
    const root = groups.size === 1 ? [...groups][0] : -2;
    const alone = runsAlone(values[i], values);
    if (alone) wasmAlone.add(i);
    if (!alone && !fetched.has(i) && root >= 0 && !wasmAlone.has(root) && sameShape(values[i].shape, values[root].shape)) {
      const members = plan.members.get(root) as number[];
      const grown = [i, ...members];
      if (externals(grown).length <= MAX_INPUTS && safe(grown)) {
        plan.groupOf[i] = root;
        plan.members.set(root, grown);
        continue;
      }
    }
    plan.groupOf[i] = i;
    plan.members.set(i, [i]);
  }

  // w.assign(w − lr·g): the group writes w in place, element i from element i.
  values.forEach((v, i) => {
    if (!live[i] || v.kind !== 'assign' || v.mode !== 'set') return;
    const source = v.inputs[1];
    if (!isMap(values[source]) || plan.groupOf[source] !== source || fetched.has(source) || consumers[source].length !== 1) return;
    const inputs = externals(plan.members.get(source) as number[]);
    const aliasesBadly = inputs.some((x) => {
      const l = values[x].layout;
      return values[x].slot === v.slot && !(l.offset === 0 && isContiguous(l.shape, l.strides));
    });
    if (!aliasesBadly) plan.assignInto.set(i, source);
  });
  const targets = new Set(plan.assignInto.values());

  for (const [root, members] of plan.members) {
    if (wasmAlone.has(root)) {
      // Its own forward takes a scalar constant as a stride-0 input, which the WASM loop reads;
      // writing a variable in place, it keeps that input too, rather than a JavaScript parameter.
      if (targets.has(root)) plan.kernels.set(root, buildKernel(values, members, [...values[root].inputs]));
      continue;
    }
    const hasScalar = members.some((m) => values[m].inputs.some((x) => isScalarConstant(values[x])));
    if (members.length === 1 && !hasScalar && !targets.has(root)) continue;
    plan.kernels.set(root, buildKernel(values, members, externals(members)));
  }
  return plan;
}

/** Composes the members' expressions: inputs become a, b …; inner results t<i>; params renumbered. */
function buildKernel(values: readonly PlanValue[], members: readonly number[], inputs: number[]): FusedKernel & { inputs: number[] } {
  const names = new Map<number, string>();
  inputs.forEach((x, k) => names.set(x, String.fromCharCode(97 + k)));
  const params: number[] = [];
  const nameOf = (x: number): string => {
    let name = names.get(x);
    if (name === undefined) {
      const c = values[x];
      params.push(Number((c.constant as { storage: { data: ArrayLike<number> } }).storage.data[c.layout.offset]));
      name = `p${params.length - 1}`;
      names.set(x, name);
    }
    return name;
  };
  let body = '';
  let expr = '';
  const root = members[members.length - 1];
  for (const m of members) {
    const v = values[m];
    const map = v.op?.map as NonNullable<NonNullable<PlanValue['op']>['map']>;
    const own = map.params?.(v.attrs) ?? [];
    const base = params.length;
    params.push(...own);
    const renamed = mapExpr(v.op as NonNullable<PlanValue['op']>, v.attrs).replace(/\b([a-z])\b|\bp(\d+)\b/g, (_, letter: string | undefined, p: string | undefined) =>
      letter !== undefined ? nameOf(v.inputs[letter.charCodeAt(0) - 97]) : `p${base + Number(p)}`,
    );
    if (m === root) expr = renamed;
    else {
      body += `const t${m} = ${rounded(renamed, v.dtype)}; `;
      names.set(m, `t${m}`);
    }
  }
  const name = `fused(${members.map((m) => values[m].op?.name).join('+')})`;
  return { name, expr, body, params, inputs };
}

/** The value a store into an array of this dtype would keep. */
function rounded(expr: string, dtype: DType): string {
  switch (dtype) {
    case 'float32':
      return `Math.fround(${expr})`;
    case 'float64':
      return `(+(${expr}))`;
    case 'int32':
      return `((${expr}) | 0)`;
    case 'bool':
      return `((${expr}) & 255)`;
  }
}

/**
 * For each value: the variables it reads as they were before any write in this run (through
 * views of the variable node), and the variables written upstream of it.
 */
function variableHazards(values: readonly PlanValue[]): { reads: Set<Variable>[]; after: Set<Variable>[] } {
  const none = new Set<Variable>();
  const origin: (Variable | null)[] = values.map(() => null);
  const reads: Set<Variable>[] = [];
  const after: Set<Variable>[] = [];
  values.forEach((v, i) => {
    if (v.kind === 'variable') origin[i] = v.variable as Variable;
    else if (v.kind === 'view') origin[i] = origin[v.inputs[0]];
    const r = v.inputs.map((x) => origin[x]).filter((x): x is Variable => x !== null);
    reads.push(r.length === 0 ? none : new Set(r));
    let a: Set<Variable> = none;
    for (const x of v.inputs) {
      const up = values[x].kind === 'assign' ? new Set([...after[x], values[x].variable as Variable]) : after[x];
      if (up.size > 0) a = new Set([...a, ...up]);
    }
    after.push(a);
  });
  return { reads, after };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
