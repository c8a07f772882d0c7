// Sample cases for the everyday ops of issue 11 (math, scans, selection, layout), spread into
// OP_CASES: the op suite checks each against a float64 reference, by gradcheck, and on 1 vs 2 threads.
import { OPS, type Tensor } from '../../src/index.js';
import type { OpCases, Sample } from './cases.js';
import { LARGE, largeUnary, unary } from './cases.js';
import * as ref from './reference.js';
import * as rx from './reference-ops.js';

const scan = (a: Tensor, b: Tensor, dim: number, reverse = false) => a.applyOp(OPS.linearScan, [a, b], { dim, reverse });
const linear = (dim: number, reverse = false) => (xs: ref.Nd[]) => rx.lines(xs[1], dim, (b, [a]) => rx.linearLine(a, b, reverse), xs[0]);
const argsortRef = (dim: number, descending: boolean) => ([x]: ref.Nd[]) => rx.lines(x, dim, (v) => rx.argsortLine(v, descending));

const bool = (p: boolean) => (p ? 1 : 0);

/** erf by Simpson's rule on 2/√π ∫₀ˣ e^(−t²) dt, 4000 intervals: error ≈ h⁴ ≈ 1e-15 here. */
export function erfRef(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

/** Round half to even, the schoolbook way: look at the fraction. */
export function roundRef(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
}

/** Halves, near-halves, signed zeros and integers: where rounding modes differ. */
const ROUNDING_VALUES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.3, 0.7, 3.2, -3.7, 0, 4];
const SPECIAL_VALUES = [NaN, Infinity, -Infinity, 0, -0, 1.5, -2, 1e30, -1e-30, NaN, 3, -Infinity];

const rounding = (name: 'floor' | 'ceil' | 'round' | 'trunc', f: (v: number) => number): OpCases => ({
  samples: [
    ...unary('normal', (x) => x[name](), f),
    { name: 'halves, signed zeros and integers', inputs: [{ shape: [3, 4], values: ROUNDING_VALUES }], run: ([x]) => x[name](), ref: ([x]) => ref.map(f, x), noGradcheck: 'halves are jumps' },
    { name: 'an int32 matrix (unchanged, stays int32)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x[name](), ref: ([x]) => x, outDtype: 'int32', dtypes: ['float32'] },
  ],
  large: largeUnary('normal', (x) => x[name]()),
});

const predicate = (name: 'isnan' | 'isinf' | 'isfinite', f: (v: number) => boolean): OpCases => ({
  samples: [
    { name: 'NaN, ±∞, zeros and finite values', inputs: [{ shape: [3, 4], values: SPECIAL_VALUES }], run: ([x]) => x[name](), ref: ([x]) => ref.map((v) => bool(f(v)), x), outDtype: 'bool' },
    { name: 'a transposed view of special values', inputs: [{ shape: [4, 3], values: SPECIAL_VALUES, layout: 'transposed' }], run: ([x]) => x[name](), ref: ([x]) => ref.map((v) => bool(f(v)), x), outDtype: 'bool' },
    { name: 'an int32 matrix (always finite)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x[name](), ref: ([x]) => ref.map((v) => bool(f(v)), x), outDtype: 'bool', dtypes: ['float32'] },
  ],
  large: largeUnary('zeros', (x) => x.div(x)[name]()), // 0/0 = NaN in about half the elements
});

export const OPS_CASES = {
  sin: { samples: unary('normal', (x) => x.sin(), Math.sin), large: largeUnary('normal', (x) => x.sin()) },
  cos: { samples: unary('normal', (x) => x.cos(), Math.cos), large: largeUnary('normal', (x) => x.cos()) },
  erf: {
    samples: [
      ...unary('normal', (x) => x.erf(), erfRef),
      { name: 'both tails and zero (the continued-fraction branch past 2.5)', inputs: [{ shape: [12], values: [-3, -1.2, -0.5, 0, 1e-3, 0.3, 0.9, 1.7, 2.4, 2.6, 3.5, 5.5] }], run: ([x]) => x.erf(), ref: ([x]) => ref.map(erfRef, x) },
    ],
    large: largeUnary('normal', (x) => x.erf()),
  },
  floor: rounding('floor', Math.floor),
  ceil: rounding('ceil', Math.ceil),
  round: rounding('round', roundRef),
  trunc: rounding('trunc', Math.trunc),
  log1p: { samples: unary('positive', (x) => x.sub(0.9).log1p(), (v) => Math.log(1 + (v - 0.9))), large: largeUnary('positive', (x) => x.log1p()) },
  expm1: { samples: unary('normal', (x) => x.expm1(), (v) => Math.exp(v) - 1), large: largeUnary('normal', (x) => x.expm1()) },
  rsqrt: { samples: unary('positive', (x) => x.rsqrt(), (v) => 1 / Math.sqrt(v)), large: largeUnary('positive', (x) => x.rsqrt()) },
  reciprocal: { samples: unary('nonzero', (x) => x.reciprocal(), (v) => 1 / v), large: largeUnary('nonzero', (x) => x.reciprocal()) },
  square: {
    samples: [
      ...unary('normal', (x) => x.square(), (v) => v * v),
      { name: 'an int32 matrix (stays int32)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.square(), ref: ([x]) => ref.map((v) => v * v, x), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: largeUnary('normal', (x) => x.square()),
  },
  isnan: predicate('isnan', Number.isNaN),
  isinf: predicate('isinf', (v) => v === Infinity || v === -Infinity),
  isfinite: predicate('isfinite', Number.isFinite),
  cumsum: {
    samples: [
      { name: 'dim 1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.cumsum(1), ref: ([x]) => rx.lines(x, 1, rx.cumsumLine) },
      { name: 'dim 0 of a transposed view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.cumsum(0), ref: ([x]) => rx.lines(x, 0, rx.cumsumLine) },
      { name: 'dim -2 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.cumsum(-2), ref: ([x]) => rx.lines(x, 1, rx.cumsumLine) },
      { name: 'an expanded view along its repeated dim', inputs: [{ shape: [3, 4], layout: 'expanded' }], run: ([x]) => x.cumsum(0), ref: ([x]) => rx.lines(x, 0, rx.cumsumLine) },
      { name: 'a 0-d tensor', inputs: [{ shape: [] }], run: ([x]) => x.cumsum(0), ref: ([x]) => x },
      { name: 'an int32 matrix (stays int32)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.cumsum(1), ref: ([x]) => rx.lines(x, 1, rx.cumsumLine), outDtype: 'int32', dtypes: ['float32'] },
      { name: 'a bool mask (counts as int32)', inputs: [{ shape: [3, 4], kind: 'bool' }], run: ([x]) => x.cumsum(1), ref: ([x]) => rx.lines(x, 1, rx.cumsumLine), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.cumsum(1) },
  },
  linearScan: {
    samples: [
      { name: 'dim 1 of two [3, 4] matrices', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], run: ([a, b]) => scan(a, b, 1), ref: linear(1) },
      { name: 'dim 0, reversed, of a transposed and a narrowed view', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [3, 4], layout: 'narrowed' }], run: ([a, b]) => scan(a, b, 0, true), ref: linear(0, true) },
      { name: 'dim 2 of [2, 3, 4] tensors with zeros in a', inputs: [{ shape: [2, 3, 4], kind: 'zeros' }, { shape: [2, 3, 4], layout: 'permuted' }], run: ([a, b]) => scan(a, b, 2), ref: linear(2) },
      { name: 'dim 1, reversed, of a [2, 5] pair', inputs: [{ shape: [2, 5] }, { shape: [2, 5] }], run: ([a, b]) => scan(a, b, 1, true), ref: linear(1, true) },
    ],
    // |a| < 1 keeps the 512-step recurrence bounded.
    large: { inputs: [{ shape: LARGE }, { shape: LARGE, layout: 'narrowed' }], run: ([a, b]) => scan(a.tanh().mul(0.9), b, 1) },
  },
  argsort: {
    samples: [
      { name: 'dim 1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.argsort({ dim: 1 }), ref: argsortRef(1, false), outDtype: 'int32' },
      { name: 'dim 0 of a transposed view, descending', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.argsort({ dim: 0, descending: true }), ref: argsortRef(0, true), outDtype: 'int32' },
      { name: 'the last dim of ties (stable: equal values keep their order)', inputs: [{ shape: [3, 6], kind: 'ties' }], run: ([x]) => x.argsort({ stable: true }), ref: argsortRef(1, false), outDtype: 'int32' },
      { name: 'ties, descending and stable', inputs: [{ shape: [3, 6], kind: 'ties' }], run: ([x]) => x.argsort({ descending: true, stable: true }), ref: argsortRef(1, true), outDtype: 'int32' },
      { name: 'a row holding NaN and ±∞ (NaN sorts last)', inputs: [{ shape: [2, 4], values: [NaN, 1, -Infinity, Infinity, 3, NaN, -2, 0] }], run: ([x]) => x.argsort({ dim: 1 }), ref: argsortRef(1, false), outDtype: 'int32' },
      { name: 'a row holding NaN, descending (NaN first)', inputs: [{ shape: [2, 4], values: [NaN, 1, -Infinity, Infinity, 3, NaN, -2, 0] }], run: ([x]) => x.argsort({ dim: 1, descending: true }), ref: argsortRef(1, true), outDtype: 'int32' },
      { name: 'dim 1 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.argsort({ dim: 1 }), ref: argsortRef(1, false), outDtype: 'int32' },
      { name: 'an int32 matrix', inputs: [{ shape: [3, 5], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.argsort({ dim: 1 }), ref: argsortRef(1, false), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: { inputs: [{ shape: [512, 256] }], run: ([x]) => x.argsort({ dim: 1 }) },
  },
  flip: {
    samples: [
      { name: 'dim 0 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.flip(0), ref: ([x]) => rx.flip(x, [0]) },
      { name: 'both dims of a transposed view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.flip([0, 1]), ref: ([x]) => rx.flip(x, [0, 1]) },
      { name: 'dims [-1, 0] of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.flip([-1, 0]), ref: ([x]) => rx.flip(x, [0, 2]) },
      { name: 'the repeated dim of an expanded view', inputs: [{ shape: [3, 4], layout: 'expanded' }], run: ([x]) => x.flip(0), ref: ([x]) => rx.flip(x, [0]) },
      { name: 'dim 1 of a narrowed view', inputs: [{ shape: [2, 3], layout: 'narrowed' }], run: ([x]) => x.flip(1), ref: ([x]) => rx.flip(x, [1]) },
      { name: 'an int32 vector', inputs: [{ shape: [5], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.flip(0), ref: ([x]) => rx.flip(x, [0]), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.flip([0, 1]) },
  },
  slice: {
    samples: [
      { name: 'x[1:7:2] of a [3, 8] matrix', inputs: [{ shape: [3, 8] }], run: ([x]) => x.slice(1, 1, 7, 2), ref: ([x]) => rx.slice(x, 1, 1, 7, 2) },
      { name: 'x[::3] along dim 0 (open ends)', inputs: [{ shape: [7, 2] }], run: ([x]) => x.slice(0, null, null, 3), ref: ([x]) => rx.slice(x, 0, 0, 7, 3) },
      { name: 'x[-5:100:2] (negative start, end clamped)', inputs: [{ shape: [2, 8] }], run: ([x]) => x.slice(1, -5, 100, 2), ref: ([x]) => rx.slice(x, 1, 3, 8, 2) },
      { name: 'x[-100:-1:2] of a transposed view (start clamped, negative end)', inputs: [{ shape: [8, 3], layout: 'transposed' }], run: ([x]) => x.slice(0, -100, -1, 2), ref: ([x]) => rx.slice(x, 0, 0, 7, 2) },
      { name: 'dim 2 of a permuted [2, 3, 6] view with step 4', inputs: [{ shape: [2, 3, 6], layout: 'permuted' }], run: ([x]) => x.slice(2, 1, null, 4), ref: ([x]) => rx.slice(x, 2, 1, 6, 4) },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.slice(1, 1, null, 3) },
  },
  // The identity on values inside the range; test/api/contract.test.ts has the values outside.
  checkRange: {
    samples: unary('normal', (x) => x.applyOp(OPS.checkRange, [x], { min: -1e6, max: 1e6, what: 'x' }), (v) => v),
    large: largeUnary('normal', (x) => x.applyOp(OPS.checkRange, [x], { min: -1e6, max: 1e6, what: 'x' })),
  },
} satisfies Record<string, OpCases>;

export type { Sample };
