// Plain-JS reference implementations of every op, in float64 on row-major arrays. Written to be
// obviously correct (one element at a time, by its coordinates), never to be fast: the op suite
// compares Skein's kernels against these.

/** A row-major n-d array of float64 numbers (booleans as 0/1). */
export interface Nd {
  shape: number[];
  data: number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Coordinates of flat index i in a row-major shape. */
export function coords(shape: readonly number[], i: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat row-major index of coordinates. */
export function flat(shape: readonly number[], idx: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

export function at(x: Nd, idx: readonly number[]): number {
  return x.data[flat(x.shape, idx)];
}

/** The array whose element at each coordinate is f(coordinate). */
export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  const data = new Array<number>(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(coords(shape, i));
  return { shape: [...shape], data };
}

export function nd(shape: readonly number[], data: readonly number[]): Nd {
  if (numel(shape) !== data.length) throw new Error(`reference: ${data.length} values for shape [${shape.join(', ')}]`);
  return { shape: [...shape], data: [...data] };
}

// Broadcasting: NumPy's rule, right-aligned; a size-1 dim repeats.

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** x's element that broadcasts to coordinate idx of a larger shape. */
export function atBroadcast(x: Nd, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  return at(x, x.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i])));
}

/** out[idx] = f(x₀[idx], x₁[idx], …) with broadcasting. */
export function map(f: (...v: number[]) => number, ...xs: Nd[]): Nd {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  return build(shape, (idx) => f(...xs.map((x) => atBroadcast(x, idx))));
}

export const expand = (x: Nd, shape: readonly number[]): Nd => build(shape, (idx) => atBroadcast(x, idx));

// Reductions: fold the values of the reduced dims, visited in row-major order.

export function reduce(x: Nd, dims: readonly number[] | undefined, keepdim: boolean, fold: (values: number[]) => number): Nd {
  const rank = x.shape.length;
  const red = (dims ?? x.shape.map((_, i) => i)).map((d) => (d < 0 ? d + rank : d));
  const keptShape = x.shape.map((s, i) => (red.includes(i) ? 1 : s));
  const redShape = red.map((d) => x.shape[d]);
  const kept = build(keptShape, (idx) => {
    const values: number[] = [];
    for (let j = 0; j < numel(redShape); j++) {
      const r = coords(redShape, j);
      const full = [...idx];
      red.forEach((d, k) => (full[d] = r[k]));
      values.push(at(x, full));
    }
    return fold(values);
  });
  return keepdim ? kept : { shape: x.shape.filter((_, i) => !red.includes(i)), data: kept.data };
}

export const sumOf = (v: number[]): number => v.reduce((a, b) => a + b, 0);
/** NaN wins, as in PyTorch. */
export const maxOf = (v: number[]): number => v.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), -Infinity);
export const minOf = (v: number[]): number => v.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), Infinity);
/** The first index of the extreme (or of the first NaN). */
export function argOf(better: (v: number, best: number) => boolean): (v: number[]) => number {
  return (v) => {
    let best = 0;
    for (let j = 1; j < v.length; j++) {
      if (Number.isNaN(v[best])) break;
      if (Number.isNaN(v[j]) || better(v[j], v[best])) best = j;
    }
    return best;
  };
}

// Matrix products: batch dims equal (the primitive) or broadcast (NumPy's matmul).

export function matmul(a: Nd, b: Nd): Nd {
  const va = a.shape.length === 1;
  const vb = b.shape.length === 1;
  const A = va ? { shape: [1, ...a.shape], data: a.data } : a;
  const B = vb ? { shape: [...b.shape, 1], data: b.data } : b;
  const [m, k] = A.shape.slice(-2);
  const n = B.shape[B.shape.length - 1];
  if (B.shape[B.shape.length - 2] !== k) throw new Error('reference matmul: inner dims differ');
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  let out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += atBroadcast(A, [...bi, i, p]) * atBroadcast(B, [...bi, p, j]);
    return s;
  });
  if (va) out = { shape: out.shape.filter((_, d) => d !== out.shape.length - 2), data: out.data };
  if (vb) out = { shape: out.shape.slice(0, -1), data: out.data };
  return out;
}

// Layout changes.

export const reshape = (x: Nd, shape: readonly number[]): Nd => nd(shape, x.data);

export function permute(x: Nd, dims: readonly number[]): Nd {
  return build(
    dims.map((d) => x.shape[d]),
    (idx) => {
      const src = new Array<number>(dims.length);
      dims.forEach((d, i) => (src[d] = idx[i]));
      return at(x, src);
    },
  );
}

export function transpose(x: Nd, d0: number, d1: number): Nd {
  const dims = x.shape.map((_, i) => i);
  [dims[d0], dims[d1]] = [dims[d1], dims[d0]];
  return permute(x, dims);
}

export function narrow(x: Nd, dim: number, start: number, length: number): Nd {
  return build(
    x.shape.map((s, i) => (i === dim ? length : s)),
    (idx) => at(x, idx.map((c, i) => (i === dim ? c + start : c))),
  );
}

export function pad(x: Nd, dim: number, before: number, after: number): Nd {
  return build(
    x.shape.map((s, i) => (i === dim ? s + before + after : s)),
    (idx) => {
      const c = idx[dim] - before;
      return c < 0 || c >= x.shape[dim] ? 0 : at(x, idx.map((v, i) => (i === dim ? c : v)));
    },
  );
}

export function cat(xs: Nd[], dim: number): Nd {
  const total = xs.reduce((s, x) => s + x.shape[dim], 0);
  return build(
    xs[0].shape.map((s, i) => (i === dim ? total : s)),
    (idx) => {
      let c = idx[dim];
      for (const x of xs) {
        if (c < x.shape[dim]) return at(x, idx.map((v, i) => (i === dim ? c : v)));
        c -= x.shape[dim];
      }
      throw new Error('reference cat: out of range');
    },
  );
}

export function stack(xs: Nd[], dim: number): Nd {
  return cat(
    xs.map((x) => reshape(x, [...x.shape.slice(0, dim), 1, ...x.shape.slice(dim)])),
    dim,
  );
}

// Indexing. Negative indices count from the end.

const wrap = (i: number, size: number): number => (i < 0 ? i + size : i);

export function indexSelect(x: Nd, dim: number, index: readonly number[]): Nd {
  return build(
    x.shape.map((s, i) => (i === dim ? index.length : s)),
    (idx) => at(x, idx.map((c, i) => (i === dim ? wrap(index[c], x.shape[dim]) : c))),
  );
}

export function indexAdd(base: Nd, dim: number, index: readonly number[], src: Nd): Nd {
  const out = { shape: [...base.shape], data: [...base.data] };
  for (let e = 0; e < src.data.length; e++) {
    const idx = coords(src.shape, e);
    idx[dim] = wrap(index[idx[dim]], base.shape[dim]);
    out.data[flat(out.shape, idx)] += src.data[e];
  }
  return out;
}

export function gather(x: Nd, dim: number, index: Nd): Nd {
  return build(index.shape, (idx) => at(x, idx.map((c, i) => (i === dim ? wrap(at(index, idx), x.shape[dim]) : c))));
}

export function scatterAdd(base: Nd, dim: number, index: Nd, src: Nd): Nd {
  const out = { shape: [...base.shape], data: [...base.data] };
  for (let e = 0; e < index.data.length; e++) {
    const idx = coords(index.shape, e);
    idx[dim] = wrap(index.data[e], base.shape[dim]);
    out.data[flat(out.shape, idx)] += src.data[e];
  }
  return out;
}

// Composites, from their textbook definitions (no max-shift: inputs in the tests are small).

export function logsumexp(x: Nd, dims: readonly number[] | undefined, keepdim: boolean): Nd {
  return reduce(x, dims, keepdim, (v) => Math.log(sumOf(v.map(Math.exp))));
}

export function softmax(x: Nd, dim: number): Nd {
  const denom = reduce(x, [dim], true, (v) => sumOf(v.map(Math.exp)));
  return map((a, s) => Math.exp(a) / s, x, denom);
}

export function logSoftmax(x: Nd, dim: number): Nd {
  return map((a, l) => a - l, x, logsumexp(x, [dim], true));
}

/** Rounds through float32, as storing into a Float32Array does. */
export const f32 = (v: number): number => Math.fround(v);
/** Float → int32 conversion: truncation toward zero, then wrap to 32 bits (ToInt32). */
export const toInt32 = (v: number): number => v | 0;
