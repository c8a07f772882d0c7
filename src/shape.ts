// Shape arithmetic shared by eager tensors and graph nodes. A dim is null only in graph mode
// (an unknown batch size); eager shapes are all numbers.
import { fmtShape, IndexError, ShapeError } from './errors.js';
import { checkShape, show } from './validate.js';

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
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
    throw new IndexError(`${op}: got dim ${show(dim)}, expected an integer in [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}] for a tensor of rank ${rank}`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Sorted unique dims; undefined means all of them. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) throw new IndexError(`${op}: got dims ${show(dims)}, expected a dim, an array of dims, or nothing`);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = [...new Set(list.map((d) => normalizeDim(op, d, rank)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new IndexError(`${op}: dims ${JSON.stringify(list)} repeat a dim; expected each dim once`);
  return out;
}

export function checkSize(op: string, shape: readonly unknown[]): number[] {
  return checkShape(op, shape);
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

/**
 * A size known only at run time. Graph mode builds with null for an unknown dim, so a formula that
 * needs a size (mean's count, the padding in narrow's gradient) records how to compute it from the
 * run-time shapes of the tensors in `of`; the graph compiler evaluates it once the feed shapes are
 * known (a plan is compiled per feed shape). Eager shapes are always known: eager code only ever
 * sees numbers.
 */
export interface RunSize {
  readonly of: readonly Shaped[];
  readonly size: (shapeOf: (t: Shaped) => readonly number[]) => number;
}

/** A size attr of an op: a number, or in graph mode perhaps a RunSize. */
export type Size = number | RunSize;

interface Shaped {
  readonly shape: readonly Dim[];
}

export function isRunSize(x: unknown): x is RunSize {
  return typeof x === 'object' && x !== null && Array.isArray((x as RunSize).of) && typeof (x as RunSize).size === 'function';
}

/** The size of dim d of t: a number when known, else a RunSize. */
export function sizeAt(t: Shaped, d: number): Size {
  const n = t.shape[d];
  return n ?? { of: [t], size: (shapeOf) => shapeOf(t)[d] };
}

/** f of some sizes: a number when all are known, else a RunSize computing f at run time. */
export function combineSizes(sizes: readonly Size[], f: (ns: number[]) => number): Size {
  const unknown = sizes.filter(isRunSize);
  if (unknown.length === 0) return f(sizes as number[]);
  return { of: unknown.flatMap((s) => s.of), size: (shapeOf) => f(sizes.map((s) => (typeof s === 'number' ? s : s.size(shapeOf)))) };
}
