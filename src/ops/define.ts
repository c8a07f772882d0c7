// What an op is: a shape rule, a forward that launches kernels, and a backward formula written
// with ops. Eager tensors and graph nodes both build from these entries, so an op is defined once.
import type { DType } from '../dtype.js';
import { isFloat, promote } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { coalesce } from '../kernels/layout.js';
import type { KernelTask } from '../kernels/index.js';
import type { MapArgs } from '../kernels/elementwise.js';
import type { DataArray } from '../kernels/types.js';
import { submit } from '../runtime/stream.js';
import { contiguousStrides, isContiguous, numel, type Dim } from '../shape.js';
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
  const arrays: DataArray[] = [];
  const offsets: number[] = [];
  const reads: Storage[] = [];
  let heap = out.storage.onHeap;
  let contiguous = isContiguous(out.shape, out.strides);
  for (const x of inputs) {
    arrays.push(x.storage.data);
    offsets.push(x.offset);
    reads.push(x.storage);
    heap = heap && x.storage.onHeap;
    contiguous = contiguous && isContiguous(out.shape, x.strides);
  }
  let shape: number[];
  let outStrides: number[];
  let strides: number[][];
  if (contiguous) {
    // What coalesce gives for operands all walked contiguously, without working through the dims.
    shape = [numel(out.shape)];
    outStrides = [1];
    strides = inputs.map(() => [1]);
  } else {
    const merged = coalesce(out.shape, [out.strides, ...inputs.map((x) => x.strides)]);
    shape = merged.shape;
    outStrides = merged.strides[0];
    strides = merged.strides.slice(1);
  }
  const args: MapArgs = { expr, body, out: out.storage.data, outOffset: out.offset, outStrides, inputs: arrays, offsets, strides, shape, params, heap };
  submit({ op: currentOp(op), task: { kernel: 'map', args }, reads, writes: [out.storage], inPlace });
}

/** op names the launch in a device error; inside a public op or module, that is the user's name. */
export function launch(op: string, task: KernelTask, reads: Buf[], writes: Buf[], inPlace = false): void {
  submit({ op: currentOp(op), task, reads: reads.map((x) => x.storage), writes: writes.map((x) => x.storage), inPlace });
}

// Shape and dtype rules shared by many entries.

export function checkSameShapes(op: string, inputs: Meta[]): readonly Dim[] {
  const first = inputs[0].shape;
  for (let k = 1; k < inputs.length; k++) {
    const shape = inputs[k].shape;
    let equal = shape.length === first.length;
    for (let i = 0; i < shape.length && equal; i++) equal = shape[i] === first[i] || shape[i] === null || first[i] === null;
    if (!equal) throw new ShapeError(`${op}: got shapes ${inputs.map((x) => fmtShape(x.shape)).join(' and ')}, expected equal shapes`);
  }
  return first;
}

/** The widest dtype among the inputs. */
function widest(inputs: Meta[]): DType {
  let dtype = inputs[0].dtype;
  for (let k = 1; k < inputs.length; k++) dtype = promote(dtype, inputs[k].dtype);
  return dtype;
}

/** Arithmetic keeps the widest dtype. */
export const promoted = (op: string) => (inputs: Meta[]): Meta => ({
  shape: checkSameShapes(op, inputs),
  dtype: widest(inputs),
});

/** exp, log, division …: integers become float32. */
export const floating = (op: string) => (inputs: Meta[]): Meta => {
  const dtype = widest(inputs);
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
