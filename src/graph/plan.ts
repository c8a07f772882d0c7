// What the compiler produces and the executor runs: values (one per node after CSE), storage
// slots, and steps in run order.
import type { DType } from '../dtype.js';
import type { Layout, OpDef } from '../ops/define.js';
import type { Storage } from '../storage.js';
import type { Tensor } from '../tensor.js';
import type { AssignMode } from './graph.js';
import type { SymbolicTensor, Variable } from './node.js';

/**
 * How a value comes to be. 'view': a layout over its input's storage (views and stopGradient).
 * 'op': a kernel writes it. 'assign': it is the variable's storage after the write.
 */
export type ValueKind = 'feed' | 'variable' | 'constant' | 'view' | 'op' | 'random' | 'assign' | 'scan' | 'while' | 'cond' | 'scanOut' | 'group' | 'copy';

export interface PlanValue {
  node: SymbolicTensor;
  kind: ValueKind;
  op: OpDef<any> | null;
  /** Value indices (a value's inputs always come before it). */
  inputs: number[];
  /** Values that must run without feeding this one (a group's members). */
  controls: number[];
  /** The attrs with every unknown dim filled in for this plan's feed shapes. */
  attrs: any;
  shape: number[];
  strides: number[];
  dtype: DType;
  /** Storage slot; -1 for a group. Views share their input's slot. */
  slot: number;
  /** The layout assuming contiguous feeds; used by planning decisions only. */
  layout: Layout;
  feedIndex?: number;
  variable?: Variable;
  constant?: Tensor;
  mode?: AssignMode;
}

/**
 * Where a value's memory comes from in a run. 'temp': an arena buffer the plan keeps across runs
 * (buffer ≥ 0), or a fresh storage per run when buffer reuse is off. 'fresh': a new storage per
 * run (fetched results leave the session, so they must not be reused).
 */
export type SlotKind = 'feed' | 'variable' | 'constant' | 'temp' | 'fresh' | 'random';

export interface Slot {
  kind: SlotKind;
  dtype: DType;
  numel: number;
  buffer: number;
  variable?: Variable;
}

export interface FusedKernel {
  /** e.g. "fused(sub+powScalar)", for errors and explain. */
  name: string;
  expr: string;
  body: string;
  params: number[];
}

export type Step =
  | { kind: 'op'; value: number; inputs: number[] }
  | { kind: 'fused'; value: number; members: number[]; inputs: number[]; kernel: FusedKernel; target: Variable | null }
  | { kind: 'random'; value: number; inputs: number[] }
  | { kind: 'assign'; value: number; inputs: number[] }
  /** A loop: body (and condition) plans of their own; writes every one of its outputs. */
  | { kind: 'scan' | 'while'; value: number; inputs: number[]; body: Plan; condition: Plan | null; outputs: number[] }
  | { kind: 'copy'; value: number; inputs: number[] }
  /** A cond: reads pred (inputs[0]), runs one branch plan; writes every one of its outputs. */
  | { kind: 'cond'; value: number; inputs: number[]; branches: [Plan, Plan]; outputs: number[] };

export interface PlanStats {
  /** Nodes the fetches need (stopping at fed nodes). */
  needed: number;
  /** Nodes merged into an earlier identical one. */
  merged: number;
  /** Nodes computed once at compile time. */
  folded: number;
  /** Temporaries and their bytes if each had its own buffer. */
  temps: number;
  tempBytes: number;
  /** Arena buffers after liveness-based reuse, and their bytes. */
  bufferBytes: number;
}

export interface Plan {
  values: PlanValue[];
  slots: Slot[];
  steps: Step[];
  /** The value each fetch yields; null for a group. */
  fetches: (number | null)[];
  /** Fed nodes, in feed-slot order. */
  feeds: SymbolicTensor[];
  /** Variables the plan reads before writing (they must be initialized) and writes. */
  reads: Variable[];
  writes: Variable[];
  /** Arena buffers: allocated at the first run, reused by every later one. */
  buffers: { dtype: DType; numel: number }[];
  arena: Storage[] | null;
  stats: PlanStats;
  /** Launches the last run made (for explain). */
  lastRun: LaunchCounts | null;
}

export interface LaunchCounts {
  inlineLaunches: number;
  poolLaunches: number;
  poolTasks: number;
}

export interface CompileOptions {
  fold: boolean;
  cse: boolean;
  fuse: boolean;
  reuseBuffers: boolean;
}
