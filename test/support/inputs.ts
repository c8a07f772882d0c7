// Test inputs for the op suite: seeded values of a chosen kind, laid out contiguous or as a
// non-contiguous view (transposed, narrowed, expanded, permuted), and read back element by
// element through the strides, independently of Skein's own copy kernels.
import { expect } from 'vitest';
import { synchronize, tensor, type DType, type Tensor } from '../../src/index.js';
import { coords, numel, type Nd } from './reference.js';

/**
 * Which values an input holds, so every op sees inputs where it is defined and smooth:
 *   normal    N(0, 1)
 *   positive  0.5 + |N(0, 1)|        (log, sqrt, pow bases)
 *   nonzero   ±(0.2 + |N(0, 1)|)     (abs, sign, relu, divisors: away from the kink or the pole)
 *   ties      integers in −2 … 2     (equal pairs for eq/ne, ties for max/min/argmax)
 *   zeros     half exact zeros       (logicalNot, sign)
 *   bool      true/false
 *   index     integers in [0, max)   (int32)
 */
export type Kind = 'normal' | 'positive' | 'nonzero' | 'ties' | 'zeros' | 'bool' | 'index';

/** How an input is laid out in memory; its logical shape is always InputSpec.shape. */
export type Layout = 'contiguous' | 'transposed' | 'narrowed' | 'expanded' | 'permuted';

export interface InputSpec {
  shape: number[];
  kind?: Kind;
  layout?: Layout;
  /** A fixed dtype (int32 indices, bool masks); float inputs take the case's dtype. */
  dtype?: DType;
  /** For kind 'index': values in [0, max). */
  max?: number;
  /** Explicit values (row-major over the base shape), instead of drawn ones. */
  values?: number[];
}

/** mulberry32: a tiny seeded generator, so inputs never depend on Skein's own RNG. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const drawn = new Map<string, Float64Array>();

/** n values of a kind; cached, since the large thread-invariance inputs are drawn twice. */
export function draw(kind: Kind, n: number, seed: number, max = 1): Float64Array {
  const key = `${kind}/${n}/${seed}/${max}`;
  let values = drawn.get(key);
  if (values === undefined) {
    values = drawFresh(kind, n, seed, max);
    if (n > 1000) drawn.set(key, values);
  }
  return values;
}

function drawFresh(kind: Kind, n: number, seed: number, max: number): Float64Array {
  const u = prng(seed);
  return Float64Array.from({ length: n }, () => {
    switch (kind) {
      case 'normal':
        return normal(u);
      case 'positive':
        return 0.5 + Math.abs(normal(u));
      case 'nonzero':
        return (u() < 0.5 ? -1 : 1) * (0.2 + Math.abs(normal(u)));
      case 'ties':
        return Math.floor(u() * 5) - 2;
      case 'zeros':
        return u() < 0.5 ? 0 : normal(u);
      case 'bool':
        return u() < 0.5 ? 1 : 0;
      case 'index':
        return Math.floor(u() * max);
    }
  });
}

/** The memory shape a layout starts from, and the view that turns it into the logical shape. */
export function layoutOf(spec: InputSpec): { base: number[]; view: (t: Tensor) => Tensor } {
  const s = spec.shape;
  const r = s.length;
  switch (spec.layout ?? 'contiguous') {
    case 'contiguous':
      return { base: s, view: (t) => t };
    case 'transposed':
      // Memory holds the transpose; the view swaps the last two dims back.
      return { base: [...s.slice(0, -2), s[r - 1], s[r - 2]], view: (t) => (r === 2 ? t.t() : t.transpose(-1, -2)) };
    case 'narrowed':
      // Memory has 3 more columns; the view skips the first and the last two.
      return { base: [...s.slice(0, -1), s[r - 1] + 3], view: (t) => t.narrow(-1, 1, s[r - 1]) };
    case 'expanded': {
      // The first dim is stored once and repeated with stride 0.
      return { base: [1, ...s.slice(1)], view: (t) => t.expand(s) };
    }
    case 'permuted':
      // Memory holds dims (1, …, r−1, 0); permute(r−1, 0, …, r−2) brings dim 0 to the front.
      return { base: [...s.slice(1), s[0]], view: (t) => t.permute(r - 1, ...s.slice(1).map((_, i) => i)) };
  }
}

export function isFloatSpec(spec: InputSpec): boolean {
  return spec.dtype === undefined && spec.kind !== 'bool' && spec.kind !== 'index';
}

/** A contiguous leaf holding the spec's base values. */
export function makeBase(spec: InputSpec, dtype: DType, seed: number): Tensor {
  const { base } = layoutOf(spec);
  const kind = spec.kind ?? 'normal';
  const values = spec.values === undefined ? draw(kind, numel(base), seed, spec.max) : Float64Array.from(spec.values);
  if (values.length !== numel(base)) throw new Error(`inputs: ${values.length} values for base shape [${base.join(', ')}]`);
  const dt = spec.dtype ?? (kind === 'bool' ? 'bool' : kind === 'index' ? 'int32' : dtype);
  return tensor(values, { dtype: dt }).reshape(base);
}

/** Reads a tensor's logical values by walking its strides over its storage (no Skein kernel). */
export async function readNd(t: Tensor): Promise<Nd> {
  await synchronize();
  const data = new Array<number>(t.numel());
  for (let i = 0; i < data.length; i++) {
    const idx = coords(t.shape, i);
    let o = t.offset;
    idx.forEach((c, d) => (o += c * t.strides[d]));
    data[i] = t.storage.data[o];
  }
  return { shape: [...t.shape], data };
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Same shape; each element within atol + rtol·|expected| (NaN matches NaN, ±∞ match exactly). */
export function expectClose(actual: Nd, expected: Nd, tol: Tolerance, what = 'output'): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      expect.fail(`${what} element ${i} (at [${coords(expected.shape, i).join(', ')}]): got ${a}, expected ${e} (atol ${tol.atol}, rtol ${tol.rtol})`);
    }
  }
}

/** The first element whose bytes differ, or -1: thread invariance is equality, not a tolerance. */
export function firstBitDifference(a: ArrayBufferView & { length: number }, b: ArrayBufferView & { length: number }): number {
  if (a.constructor !== b.constructor || a.length !== b.length) return 0;
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (x.equals(y)) return -1;
  const width = a.byteLength / a.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / width);
  return -1;
}
