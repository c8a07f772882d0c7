// Sample cases for the everyday ops of issue 11 (math, scans, selection, layout), spread into
// OP_CASES: the op suite checks each against a float64 reference, by gradcheck, and on 1 vs 2 threads.
import type { OpCases } from './cases.js';
import { largeUnary, unary } from './cases.js';
import * as ref from './reference.js';

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
} satisfies Record<string, OpCases>;
