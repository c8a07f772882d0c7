// What an op is: a shape rule, a forward that launches kernels, and a backward formula written
// with ops. Eager tensors and graph nodes both build from these entries, so an op is defined once.
import type { DType } from '../dtype.js';
import { isFloat, promote } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { coalesce } from '../kernels/layout.js';
import type { KernelTask } from '../kernels/index.js';
import { submit } from '../runtime/stream.js';
import { contiguousStrides, isContiguous, type Dim } from '../shape.js';
import { Storage as StorageCtor, type Storage } from '../storage.js';
import { currentOp } from '../validate.js';

/** What shape inference knows of a value: its dims (null = unknown until run time) and dtype. */
export interface Meta {
  shape: readonly Dim[];
  dtype: DType;
}

/** A concrete strided buffer: what a forward reads and writes. Eager tensors are Bufs. */
export interface Buf {
  storage: Storage;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
  dtype: DType;
}

/** A view's layout, computed from its input's without touching data. */
export interface Layout {
  shape: number[];
  strides: number[];
  offset: number;
}

/**
 * A backward formula, written with tensor methods that eager tensors and graph nodes both have,
 * which is what lets one formula serve both modes. `needs[i]` says whether input i wants a
 * gradient (undefined: all do); a formula may skip work for the others and return null there.
 */
export type GradFn<A> = (g: any, inputs: any[], out: any, attrs: A, needs?: readonly boolean[]) => (any | null)[];

/** Whether a formula should compute the gradient of input i. */
export function wants(needs: readonly boolean[] | undefined, i: number): boolean {
  return needs === undefined || needs[i];
}

export interface OpDef<A = any> {
  name: string;
  /** Input count; -1 for a list (cat). */
  arity: number;
  /** Elementwise: inputs arrive broadcast to one shape (the engine adds the expands). */
  broadcast?: boolean;
  /** For fusion: the scalar expression and its parameters, when the op is one map pass. */
  map?: { expr: string | ((attrs: A) => string); params?: (attrs: A) => number[] };
  shape(inputs: Meta[], attrs: A): Meta;
  /** Views share the input's storage: the layout comes from the input's; nothing runs. */
  view?(input: Layout, attrs: A): Layout;
  /** Launches the kernels computing out (fresh, contiguous unless inPlace) from the inputs. */
  forward?(out: Buf, inputs: Buf[], attrs: A, inPlace: boolean): void;
  /** d(loss)/d(inputs) from g = d(loss)/d(out); null: not differentiable (reaching it throws). */
  grad: GradFn<A> | null;
  /** Which values the formula reads, so an in-place change to them is caught at backward time. */
  saves?: 'inputs' | 'output' | 'inputsAndOutput' | 'none';
}

export function defineOp<A = Record<string, never>>(def: OpDef<A>): OpDef<A> {
  return def;
}

/** The scalar expression of a one-pass op for these attrs (some ops pick a faster one). */
export function mapExpr<A>(op: OpDef<A>, attrs: A): string {
  const expr = op.map?.expr;
  if (expr === undefined) throw new Error(`${op.name}: not a one-pass elementwise op`);
  return typeof expr === 'function' ? expr(attrs) : expr;
}

/** Launches one elementwise pass: out[i] = expr(inputs[i]) over out's shape (`body`: fused temporaries). */
export function launchMap(op: string, expr: string, out: Buf, inputs: Buf[], params: number[] = [], inPlace = false, body?: string): void {
  const { shape, strides } = coalesce(out.shape, [out.strides, ...inputs.map((x) => x.strides)]);
  const task: KernelTask = {
    kernel: 'map',
    args: {
      expr,
      body,
      out: out.storage.data,
      outOffset: out.offset,
      outStrides: strides[0],
      inputs: inputs.map((x) => x.storage.data),
      offsets: inputs.map((x) => x.offset),
      strides: strides.slice(1),
      shape,
      params,
      heap: out.storage.onHeap && inputs.every((x) => x.storage.onHeap),
    },
  };
  submit({ op: currentOp(op), task, reads: inputs.map((x) => x.storage), writes: [out.storage], inPlace });
}

/** op names the launch in a device error; inside a public op or module, that is the user's name. */
export function launch(op: string, task: KernelTask, reads: Buf[], writes: Buf[], inPlace = false): void {
  submit({ op: currentOp(op), task, reads: reads.map((x) => x.storage), writes: writes.map((x) => x.storage), inPlace });
}

// Shape and dtype rules shared by many entries.

export function checkSameShapes(op: string, inputs: Meta[]): readonly Dim[] {
  const first = inputs[0].shape;
  for (const m of inputs) {
    if (m.shape.length !== first.length || m.shape.some((d, i) => d !== null && first[i] !== null && d !== first[i])) {
      throw new ShapeError(`${op}: got shapes ${inputs.map((x) => fmtShape(x.shape)).join(' and ')}, expected equal shapes`);
    }
  }
  return first;
}

/** Arithmetic keeps the widest dtype. */
export const promoted = (op: string) => (inputs: Meta[]): Meta => ({
  shape: checkSameShapes(op, inputs),
  dtype: inputs.map((m) => m.dtype).reduce(promote),
});

/** exp, log, division …: integers become float32. */
export const floating = (op: string) => (inputs: Meta[]): Meta => {
  const dtype = inputs.map((m) => m.dtype).reduce(promote);
  return { shape: checkSameShapes(op, inputs), dtype: isFloat(dtype) ? dtype : 'float32' };
};

export const predicate = (op: string) => (inputs: Meta[]): Meta => ({ shape: checkSameShapes(op, inputs), dtype: 'bool' });

export function requireFloat(op: string, m: Meta, what = 'input'): void {
  if (!isFloat(m.dtype)) throw new DTypeError(`${op}: got ${what} of dtype ${m.dtype}, expected float32 or float64`);
}

/** x itself when contiguous, else a fresh contiguous copy (a kernel that needs plain layout). */
export function contiguousBuf(op: string, x: Buf): Buf {
  if (isContiguous(x.shape, x.strides)) return x;
  const copy: Buf = { storage: new StorageCtor(x.dtype, x.shape.reduce((a, b) => a * b, 1)), shape: x.shape, strides: contiguousStrides(x.shape), offset: 0, dtype: x.dtype };
  launchMap(op, 'a', copy, [x]);
  return copy;
}
