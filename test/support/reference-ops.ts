// Plain-JS references for the everyday ops of issue 11, in the style of reference.ts: one line or
// one element at a time, by coordinates, obviously correct rather than fast.
import { at, build, coords, numel, type Nd } from './reference.js';

/** Applies f to every line of x along dim (each line a plain array), keeping the shape when f does. */
export function lines(x: Nd, dim: number, f: (line: number[], others: number[][]) => number[], ...others: Nd[]): Nd {
  const n = x.shape[dim];
  const outer = x.shape.filter((_, i) => i !== dim);
  const result = build(x.shape, () => 0);
  for (let j = 0; j < numel(outer); j++) {
    const c = coords(outer, j);
    const idxOf = (k: number) => [...c.slice(0, dim), k, ...c.slice(dim)];
    const line = Array.from({ length: n }, (_, k) => at(x, idxOf(k)));
    const rest = others.map((o) => Array.from({ length: n }, (_, k) => at(o, idxOf(k))));
    const out = f(line, rest);
    out.forEach((v, k) => (result.data[flatOf(x.shape, idxOf(k))] = v));
  }
  return result;
}

function flatOf(shape: readonly number[], idx: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

export const cumsumLine = (v: number[]): number[] => {
  let acc = 0;
  return v.map((x) => (acc += x));
};

export const cumprodLine = (v: number[]): number[] => {
  let acc = 1;
  return v.map((x) => (acc *= x));
};

/** y_i = a_i·y_(i−1) + b_i from y_0 = b_0 (reverse: from the end). */
export function linearLine(a: number[], b: number[], reverse: boolean): number[] {
  const n = a.length;
  const y = new Array<number>(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    acc = k === 0 ? b[i] : a[i] * acc + b[i]; // y_0 = b_0 (no a_0·0 term: ∞·0 would be NaN)
    y[i] = acc;
  }
  return y;
}

/** Positions in sorted order: NaN above every number, ties in position order. */
export function argsortLine(v: number[], descending: boolean): number[] {
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  const rank = (i: number) => (Number.isNaN(v[i]) ? 1 : 0);
  const idx = v.map((_, i) => i);
  return idx.sort((i, j) => {
    const byNan = rank(i) - rank(j);
    const byValue = byNan !== 0 ? byNan : key(v[i]) < key(v[j]) ? -1 : key(v[i]) > key(v[j]) ? 1 : 0;
    return (descending ? -byValue : byValue) || i - j;
  });
}

export function flip(x: Nd, dims: number[]): Nd {
  return build(x.shape, (idx) => at(x, idx.map((c, d) => (dims.includes(d) ? x.shape[d] - 1 - c : c))));
}

/** Elements start, start + step, … below end along dim (already resolved, non-negative). */
export function slice(x: Nd, dim: number, start: number, end: number, step: number): Nd {
  const length = Math.max(0, Math.ceil((end - start) / step));
  const shape = x.shape.map((s, i) => (i === dim ? length : s));
  return build(shape, (idx) => at(x, idx.map((c, d) => (d === dim ? start + c * step : c))));
}

/** Takes the first k of each line (for topk after argsort). */
export function firstK(x: Nd, dim: number, k: number): Nd {
  return slice(x, dim, 0, k, 1);
}
