// Shape arithmetic shared by eager tensors and graph nodes. A dim is null only in graph mode
// (an unknown batch size); eager shapes are all numbers.
import { fmtShape, IndexError, ShapeError } from './errors.js';

export type Dim = number | null;
export type Shape = readonly number[];

export function numel(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) n *= d ?? NaN;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting: align right; each pair of dims is equal or one of them is 1. */
export function broadcastShapes(op: string, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = new Array(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      const o = out[i];
      if (o === 1) out[i] = d;
      else if (d === null || o === null) out[i] = o ?? d;
      else if (o !== d) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast ` +
            `(dim ${i - rank} is ${o} vs ${d}; expected equal sizes or 1)`,
        );
      }
    }
  }
  return out;
}

/** A dim index in [-rank, rank) made non-negative. */
export function normalizeDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim) || dim < -Math.max(rank, 1) || dim >= Math.max(rank, 1)) {
    throw new IndexError(`${op}: got dim ${dim}, expected an integer in [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}] for a tensor of rank ${rank}`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Sorted unique dims; undefined means all of them. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) throw new IndexError(`${op}: got dims ${String(dims)}, expected a dim, an array of dims, or nothing`);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = [...new Set(list.map((d) => normalizeDim(op, d, rank)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new IndexError(`${op}: dims ${JSON.stringify(list)} repeat a dim; expected each dim once`);
  return out;
}

export function checkSize(op: string, shape: readonly unknown[]): number[] {
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: got size ${fmtShape(shape as Dim[])}, expected non-negative integers`);
    }
  }
  return shape as number[];
}

/** Visits the storage offset of every element of a strided view, in row-major order. */
export function forEachOffset(shape: readonly number[], strides: readonly number[], offset: number, visit: (o: number) => void): void {
  const n = numel(shape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let o = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      const q = rem % shape[d];
      rem = (rem - q) / shape[d];
      o += q * strides[d];
    }
    visit(o);
  }
}
