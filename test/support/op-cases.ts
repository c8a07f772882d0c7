// Sample cases for every primitive of the op table (OPS), PyTorch-OpInfo style: the suite in
// test/ops.test.ts runs the same checks on each, and fails for an entry of OPS with no cases here.
import { cat, OPS, type DType, type OpName, type Tensor } from '../../src/index.js';
import { binary, LARGE, largeBinary, largeUnary, reduction, unary, type OpCases, type Sample } from './cases.js';
import * as ref from './reference.js';
import { OPS_CASES } from './op-cases-ops.js';
import { SEQ_OP_CASES } from './op-cases-seq.js';
import { VISION_CASES } from './op-cases-vision.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const bool = (p: boolean) => (p ? 1 : 0);

// Comparisons: exact bool outputs, ties included so equality is really exercised.
const compare = (run: Parameters<typeof binary>[1], f: (a: number, b: number) => boolean): OpCases => ({
  samples: binary(['ties', 'ties'], run, (a, b) => bool(f(a, b)), { number: 0, int: true, extra: { outDtype: 'bool' } }),
  large: largeBinary(['ties', 'ties'], run),
});

/**
 * A float32 kernel may accumulate 300 products in float32: each partial sum (|·| up to ≈ 20)
 * rounds by up to 2⁻²⁴·20 ≈ 1.2e-6, and √300 such errors add to ≈ 2e-5.
 */
const K300_F32 = { atol: 1e-4, rtol: 1e-4 };

/** float32 ↔ float64. */
const FLOAT_OTHER = (d: DType): DType => (d === 'float32' ? 'float64' : 'float32');

export const OP_CASES: Record<OpName, OpCases> = {
  ...OPS_CASES,
  neg: { samples: unary('normal', (x) => x.neg(), (v) => -v), large: largeUnary('normal', (x) => x.neg()) },
  exp: { samples: unary('normal', (x) => x.exp(), Math.exp), large: largeUnary('normal', (x) => x.exp()) },
  log: { samples: unary('positive', (x) => x.log(), Math.log), large: largeUnary('positive', (x) => x.log()) },
  sqrt: { samples: unary('positive', (x) => x.sqrt(), Math.sqrt), large: largeUnary('positive', (x) => x.sqrt()) },
  abs: { samples: unary('nonzero', (x) => x.abs(), Math.abs), large: largeUnary('nonzero', (x) => x.abs()) },
  sign: {
    samples: [
      ...unary('nonzero', (x) => x.sign(), Math.sign),
      { name: 'a matrix with exact zeros (sign 0, gradient 0)', inputs: [{ shape: [3, 4], kind: 'zeros' }], run: ([x]) => x.sign(), ref: ([x]) => ref.map(Math.sign, x), noGradcheck: 'the jump at 0' },
    ],
    large: largeUnary('zeros', (x) => x.sign()),
  },
  tanh: { samples: unary('normal', (x) => x.tanh(), Math.tanh), large: largeUnary('normal', (x) => x.tanh()) },
  sigmoid: { samples: unary('normal', (x) => x.sigmoid(), sigmoid), large: largeUnary('normal', (x) => x.sigmoid()) },
  relu: { samples: unary('nonzero', (x) => x.relu(), (v) => Math.max(v, 0)), large: largeUnary('nonzero', (x) => x.relu()) },
  // relu's gradient: g·(a > 0). Applied directly (it has no method), so only same-shape operands.
  reluBackward: {
    samples: binary(['normal', 'nonzero'], (g, a) => g.applyOp(OPS.reluBackward, [g, a as Tensor], {}), (g, a) => g * (a > 0 ? 1 : 0))
      .filter((s) => s.inputs.every((x) => String(x.shape) === String(s.inputs[0].shape))),
    large: largeBinary(['normal', 'nonzero'], (g, a) => g.applyOp(OPS.reluBackward, [g, a], {})),
  },
  logicalNot: {
    samples: [
      ...unary('zeros', (x) => x.logicalNot(), (v) => bool(v === 0), { outDtype: 'bool' }),
      { name: 'a bool mask', inputs: [{ shape: [3, 4], kind: 'bool' }], run: ([x]) => x.logicalNot(), ref: ([x]) => ref.map((v) => bool(v === 0), x), outDtype: 'bool', dtypes: ['float32'] },
    ],
    large: largeUnary('bool', (x) => x.logicalNot()),
  },
  clamp: {
    samples: [
      // Inputs are ±(0.2 + |z|): none sits on a bound of ±0.1 or 1.5, so the gradient is defined.
      ...unary('nonzero', (x) => x.clamp({ min: -0.1, max: 1.5 }), (v) => Math.min(Math.max(v, -0.1), 1.5)),
      { name: 'a [3, 4] matrix with only a min (the tutorial ReLU)', inputs: [{ shape: [3, 4], kind: 'nonzero' }], run: ([x]) => x.clamp({ min: 0 }), ref: ([x]) => ref.map((v) => Math.max(v, 0), x) },
      { name: 'a [3, 4] matrix with only a max', inputs: [{ shape: [3, 4], kind: 'nonzero' }], run: ([x]) => x.clamp({ max: 0.1 }), ref: ([x]) => ref.map((v) => Math.min(v, 0.1), x) },
    ],
    large: largeUnary('normal', (x) => x.clamp({ min: -0.5, max: 0.5 })),
  },
  powScalar: {
    samples: [
      ...unary('normal', (x) => x.pow(2), (v) => v ** 2),
      { name: 'a [3, 4] matrix cubed', inputs: [{ shape: [3, 4] }], run: ([x]) => x.pow(3), ref: ([x]) => ref.map((v) => v ** 3, x) },
      { name: 'the square root of a positive [3, 4] matrix', inputs: [{ shape: [3, 4], kind: 'positive' }], run: ([x]) => x.pow(0.5), ref: ([x]) => ref.map(Math.sqrt, x) },
      { name: 'a positive transposed view to the power -1.5', inputs: [{ shape: [3, 4], kind: 'positive', layout: 'transposed' }], run: ([x]) => x.pow(-1.5), ref: ([x]) => ref.map((v) => v ** -1.5, x) },
      { name: 'an int32 matrix squared (stays int32)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.pow(2), ref: ([x]) => ref.map((v) => v * v, x), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: largeUnary('normal', (x) => x.pow(2)),
  },
  add: { samples: binary(['normal', 'normal'], (a, b) => a.add(b), (a, b) => a + b, { number: 2, int: true }), large: largeBinary(['normal', 'normal'], (a, b) => a.add(b)) },
  sub: { samples: binary(['normal', 'normal'], (a, b) => a.sub(b), (a, b) => a - b, { number: 2, int: true }), large: largeBinary(['normal', 'normal'], (a, b) => a.sub(b)) },
  mul: { samples: binary(['normal', 'normal'], (a, b) => a.mul(b), (a, b) => a * b, { number: 2, int: true }), large: largeBinary(['normal', 'normal'], (a, b) => a.mul(b)) },
  div: { samples: binary(['normal', 'nonzero'], (a, b) => a.div(b), (a, b) => a / b, { number: 4, int: true }), large: largeBinary(['normal', 'nonzero'], (a, b) => a.div(b)) },
  pow: { samples: binary(['positive', 'normal'], (a, b) => a.pow(b), (a, b) => a ** b), large: largeBinary(['positive', 'normal'], (a, b) => a.pow(b)) },
  maximum: {
    samples: [
      ...binary(['normal', 'normal'], (a, b) => a.maximum(b), Math.max, { number: 0.25, int: true }),
      // Exact two-way ties: the gradient is split ½/½, which is also what central differences see.
      { name: 'two [3, 4] matrices with ties', inputs: [{ shape: [3, 4], kind: 'ties' }, { shape: [3, 4], kind: 'ties' }], run: ([a, b]) => a.maximum(b), ref: ([a, b]) => ref.map(Math.max, a, b) },
    ],
    large: largeBinary(['normal', 'normal'], (a, b) => a.maximum(b)),
  },
  minimum: {
    samples: [
      ...binary(['normal', 'normal'], (a, b) => a.minimum(b), Math.min, { number: 0.25, int: true }),
      { name: 'two [3, 4] matrices with ties', inputs: [{ shape: [3, 4], kind: 'ties' }, { shape: [3, 4], kind: 'ties' }], run: ([a, b]) => a.minimum(b), ref: ([a, b]) => ref.map(Math.min, a, b) },
    ],
    large: largeBinary(['normal', 'normal'], (a, b) => a.minimum(b)),
  },
  lt: compare((a, b) => a.lt(b), (a, b) => a < b),
  le: compare((a, b) => a.le(b), (a, b) => a <= b),
  gt: compare((a, b) => a.gt(b), (a, b) => a > b),
  ge: compare((a, b) => a.ge(b), (a, b) => a >= b),
  eq: compare((a, b) => a.eq(b), (a, b) => a === b),
  ne: compare((a, b) => a.ne(b), (a, b) => a !== b),
  where: {
    samples: [
      { name: 'a mask and two [3, 4] matrices', inputs: [{ shape: [3, 4], kind: 'bool' }, { shape: [3, 4] }, { shape: [3, 4] }], run: ([c, a, b]) => a.where(c, b), ref: ([c, a, b]) => ref.map((m, x, y) => (m ? x : y), c, a, b) },
      { name: 'a [3, 1] mask, a [4] row and a transposed [3, 4] view (broadcast)', inputs: [{ shape: [3, 1], kind: 'bool' }, { shape: [4] }, { shape: [3, 4], layout: 'transposed' }], run: ([c, a, b]) => a.where(c, b), ref: ([c, a, b]) => ref.map((m, x, y) => (m ? x : y), c, a, b) },
      { name: 'a permuted mask, an expanded view and the number 0', inputs: [{ shape: [2, 3, 4], kind: 'bool', layout: 'permuted' }, { shape: [2, 3, 4], layout: 'expanded' }], run: ([c, a]) => a.where(c, 0), ref: ([c, a]) => ref.map((m, x) => (m ? x : 0), c, a) },
    ],
    large: { inputs: [{ shape: LARGE, kind: 'bool' }, { shape: LARGE }, { shape: LARGE, layout: 'narrowed' }], run: ([c, a, b]) => a.where(c, b) },
  },
  sum: {
    samples: [
      ...reduction('normal', (x, d, k) => x.sum(d, k), ref.sumOf),
      { name: 'a 0-d tensor', inputs: [{ shape: [] }], run: ([x]) => x.sum(), ref: ([x]) => x },
      { name: 'all of a long [3, 40000] matrix (the chunked path)', inputs: [{ shape: [3, 40000] }], run: ([x]) => x.sum(), ref: ([x]) => ref.reduce(x, undefined, false, ref.sumOf), noGradcheck: '120K inputs are too many for central differences' },
      { name: 'dim 0 of an empty [0, 3] matrix (zeros)', inputs: [{ shape: [0, 3] }], run: ([x]) => x.sum(0), ref: () => ref.nd([3], [0, 0, 0]), noGradcheck: 'no inputs to perturb' },
      { name: 'an int32 matrix (stays int32)', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.sum(1), ref: ([x]) => ref.reduce(x, [1], false, ref.sumOf), outDtype: 'int32', dtypes: ['float32'] },
      { name: 'a bool mask (counts as int32)', inputs: [{ shape: [3, 4], kind: 'bool' }], run: ([x]) => x.sum(), ref: ([x]) => ref.reduce(x, undefined, false, ref.sumOf), outDtype: 'int32', dtypes: ['float32'] },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.sum() },
  },
  max: {
    samples: [
      ...reduction('normal', (x, d, k) => x.amax(d, k), ref.maxOf),
      { name: 'dim 1 of a matrix with ties', inputs: [{ shape: [3, 5], kind: 'ties' }], run: ([x]) => x.amax(1), ref: ([x]) => ref.reduce(x, [1], false, ref.maxOf), noGradcheck: 'three-way ties have no derivative' },
      { name: 'a row holding NaN (NaN wins)', inputs: [{ shape: [2, 3], values: [1, NaN, 3, 4, 5, 6] }], run: ([x]) => x.amax(1), ref: ([x]) => ref.reduce(x, [1], false, ref.maxOf), noGradcheck: 'NaN' },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.amax(1) },
  },
  min: {
    samples: [
      ...reduction('normal', (x, d, k) => x.amin(d, k), ref.minOf),
      { name: 'dim 0 of a matrix with ties', inputs: [{ shape: [5, 3], kind: 'ties' }], run: ([x]) => x.amin(0), ref: ([x]) => ref.reduce(x, [0], false, ref.minOf), noGradcheck: 'three-way ties have no derivative' },
      { name: 'a row holding NaN (NaN wins)', inputs: [{ shape: [2, 3], values: [1, NaN, 3, 4, 5, 6] }], run: ([x]) => x.amin(1), ref: ([x]) => ref.reduce(x, [1], false, ref.minOf), noGradcheck: 'NaN' },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.min() },
  },
  argmax: { samples: argSamples((x, d, k) => x.argmax(d, k), (v, best) => v > best), large: { inputs: [{ shape: LARGE }], run: ([x]) => x.argmax(1) } },
  argmin: { samples: argSamples((x, d, k) => x.argmin(d, k), (v, best) => v < best), large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.argmin(0) } },
  matmul: {
    samples: [
      { name: '[3, 4] · [4, 2]', inputs: [{ shape: [3, 4] }, { shape: [4, 2] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: 'a transposed [3, 4] · a narrowed [4, 2]', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [4, 2], layout: 'narrowed' }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: 'batched [2, 3, 4] · [2, 4, 5]', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: 'a permuted [2, 3, 4] · a transposed [2, 4, 2]', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }, { shape: [2, 4, 2], layout: 'transposed' }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: 'an expanded [2, 3, 4] · [2, 4, 2]', inputs: [{ shape: [2, 3, 4], layout: 'expanded' }, { shape: [2, 4, 2] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: '[2, 1, 3, 4] · [3, 4, 2] (batch dims broadcast)', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b) },
      { name: 'a [4, 33] · [33, 70] product that spans several register tiles', inputs: [{ shape: [4, 33] }, { shape: [33, 70] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b), noGradcheck: '9K outputs' },
      { name: 'a [70, 300] · [300, 5] product deeper than one k-slice', inputs: [{ shape: [70, 300] }, { shape: [300, 5] }], run: ([a, b]) => a.matmul(b), ref: ([a, b]) => ref.matmul(a, b), noGradcheck: '350 outputs × 22K inputs', f32Tolerance: K300_F32 },
    ],
    large: { inputs: [{ shape: [256, 192] }, { shape: [192, 160], layout: 'transposed' }], run: ([a, b]) => a.matmul(b) },
  },
  reshape: {
    samples: [
      { name: 'a [3, 4] matrix viewed as [2, 6]', inputs: [{ shape: [3, 4] }], run: ([x]) => x.reshape([2, 6]), ref: ([x]) => ref.reshape(x, [2, 6]) },
      { name: 'a [2, 3, 4] tensor viewed as [4, -1]', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => x.view([4, -1]), ref: ([x]) => ref.reshape(x, [4, 6]) },
      { name: 'a transposed [3, 4] view flattened (a copy first)', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.reshape([12]), ref: ([x]) => ref.reshape(x, [12]) },
      { name: 'an expanded [3, 4] view reshaped to [6, 2]', inputs: [{ shape: [3, 4], layout: 'expanded' }], run: ([x]) => x.reshape([6, 2]), ref: ([x]) => ref.reshape(x, [6, 2]) },
      { name: 'a narrowed [2, 3, 4] view whose leading dims merge as a view', inputs: [{ shape: [2, 3, 4], layout: 'narrowed' }], run: ([x]) => x.reshape([6, 4]), ref: ([x]) => ref.reshape(x, [6, 4]) },
      { name: 'a 0-d tensor as [1, 1]', inputs: [{ shape: [] }], run: ([x]) => x.reshape([1, 1]), ref: ([x]) => ref.reshape(x, [1, 1]) },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.reshape([512, 1024]) },
  },
  transpose: {
    samples: [
      { name: 'a [3, 4] matrix (t)', inputs: [{ shape: [3, 4] }], run: ([x]) => x.t(), ref: ([x]) => ref.transpose(x, 0, 1) },
      { name: 'dims 0 and 2 of a [2, 3, 4] tensor', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => x.transpose(0, 2), ref: ([x]) => ref.transpose(x, 0, 2) },
      { name: 'dims -1 and -3 of a permuted view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.transpose(-1, -3), ref: ([x]) => ref.transpose(x, 2, 0) },
      { name: 'a narrowed [3, 4] view', inputs: [{ shape: [3, 4], layout: 'narrowed' }], run: ([x]) => x.transpose(1, 0), ref: ([x]) => ref.transpose(x, 0, 1) },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.t() },
  },
  permute: {
    samples: [
      { name: 'a [2, 3, 4] tensor as (2, 0, 1)', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => x.permute(2, 0, 1), ref: ([x]) => ref.permute(x, [2, 0, 1]) },
      { name: 'a permuted view as (1, 0, 2)', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.permute(1, 0, 2), ref: ([x]) => ref.permute(x, [1, 0, 2]) },
      { name: 'an expanded view with negative dims (-1, 0, 1)', inputs: [{ shape: [2, 3, 4], layout: 'expanded' }], run: ([x]) => x.permute(-1, 0, 1), ref: ([x]) => ref.permute(x, [2, 0, 1]) },
    ],
    large: { inputs: [{ shape: [64, 128, 64] }], run: ([x]) => x.permute(2, 0, 1) },
  },
  expand: {
    samples: [
      { name: 'a [3, 1] column to [2, 3, 4]', inputs: [{ shape: [3, 1] }], run: ([x]) => x.expand([2, 3, 4]), ref: ([x]) => ref.expand(x, [2, 3, 4]) },
      { name: 'a [1, 4] row to [3, 4], keeping a dim with -1', inputs: [{ shape: [1, 4] }], run: ([x]) => x.expand([3, -1]), ref: ([x]) => ref.expand(x, [3, 4]) },
      { name: 'a 0-d tensor to [2, 3]', inputs: [{ shape: [] }], run: ([x]) => x.expand([2, 3]), ref: ([x]) => ref.expand(x, [2, 3]) },
      { name: 'a transposed [4, 1] view to [2, 4, 3]', inputs: [{ shape: [4, 1], layout: 'transposed' }], run: ([x]) => x.expand([2, 4, 3]), ref: ([x]) => ref.expand(x, [2, 4, 3]) },
    ],
    large: { inputs: [{ shape: [1, 512] }], run: ([x]) => x.expand(LARGE) },
  },
  unsqueeze: {
    samples: [
      { name: 'dim 0 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.unsqueeze(0), ref: ([x]) => ref.reshape(x, [1, 3, 4]) },
      { name: 'dim -1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.unsqueeze(-1), ref: ([x]) => ref.reshape(x, [3, 4, 1]) },
      { name: 'dim 1 of a transposed [3, 4] view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.unsqueeze(1), ref: ([x]) => ref.reshape(x, [3, 1, 4]) },
      { name: 'a 0-d tensor', inputs: [{ shape: [] }], run: ([x]) => x.unsqueeze(0), ref: ([x]) => ref.reshape(x, [1]) },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'narrowed' }], run: ([x]) => x.unsqueeze(1) },
  },
  squeeze: {
    samples: [
      { name: 'dim 1 of a [3, 1, 4] tensor', inputs: [{ shape: [3, 1, 4] }], run: ([x]) => x.squeeze(1), ref: ([x]) => ref.reshape(x, [3, 4]) },
      { name: 'every size-1 dim of a [1, 3, 1] tensor', inputs: [{ shape: [1, 3, 1] }], run: ([x]) => x.squeeze(), ref: ([x]) => ref.reshape(x, [3]) },
      { name: 'a [1] vector, down to 0-d', inputs: [{ shape: [1] }], run: ([x]) => x.squeeze(0), ref: ([x]) => ref.reshape(x, []) },
      { name: 'dim -1 of a transposed [4, 1] view', inputs: [{ shape: [4, 1], layout: 'transposed' }], run: ([x]) => x.squeeze(-1), ref: ([x]) => ref.reshape(x, [4]) },
    ],
    large: { inputs: [{ shape: [1024, 1, 512] }], run: ([x]) => x.squeeze(1) },
  },
  narrow: {
    samples: [
      { name: 'rows 1…2 of a [4, 3] matrix', inputs: [{ shape: [4, 3] }], run: ([x]) => x.narrow(0, 1, 2), ref: ([x]) => ref.narrow(x, 0, 1, 2) },
      { name: 'the last two columns, from a negative start', inputs: [{ shape: [3, 5] }], run: ([x]) => x.narrow(1, -2, 2), ref: ([x]) => ref.narrow(x, 1, 3, 2) },
      { name: 'dim 0 of a transposed [4, 3] view', inputs: [{ shape: [4, 3], layout: 'transposed' }], run: ([x]) => x.narrow(0, 2, 2), ref: ([x]) => ref.narrow(x, 0, 2, 2) },
      { name: 'dim 2 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.narrow(2, 1, 3), ref: ([x]) => ref.narrow(x, 2, 1, 3) },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.narrow(1, 7, 500) },
  },
  pad: {
    samples: [
      { name: 'dim 1 of a [3, 4] matrix, 2 before and 1 after', inputs: [{ shape: [3, 4] }], run: ([x]) => x.pad(1, 2, 1), ref: ([x]) => ref.pad(x, 1, 2, 1) },
      { name: 'dim 0 of a [2, 3] matrix, 3 after', inputs: [{ shape: [2, 3] }], run: ([x]) => x.pad(0, 0, 3), ref: ([x]) => ref.pad(x, 0, 0, 3) },
      { name: 'dim -1 of a transposed [3, 4] view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.pad(-1, 1, 1), ref: ([x]) => ref.pad(x, 1, 1, 1) },
      { name: 'dim 1 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.pad(1, 1, 0), ref: ([x]) => ref.pad(x, 1, 1, 0) },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.pad(1, 3, 5) },
  },
  cat: {
    samples: [
      { name: 'three matrices along dim 0', inputs: [{ shape: [2, 3] }, { shape: [1, 3] }, { shape: [3, 3] }], run: (xs) => cat(xs, 0), ref: (xs) => ref.cat(xs, 0) },
      { name: 'a transposed and a narrowed view along dim 1', inputs: [{ shape: [3, 2], layout: 'transposed' }, { shape: [3, 4], layout: 'narrowed' }], run: (xs) => cat(xs, 1), ref: (xs) => ref.cat(xs, 1) },
      { name: 'a permuted and an expanded view along dim -1', inputs: [{ shape: [2, 3, 2], layout: 'permuted' }, { shape: [2, 3, 1], layout: 'expanded' }], run: (xs) => cat(xs, -1), ref: (xs) => ref.cat(xs, 2) },
      { name: 'one matrix', inputs: [{ shape: [2, 3] }], run: (xs) => cat(xs, 1), ref: (xs) => ref.cat(xs, 1) },
      { name: 'an int32 and a float matrix (promoted to float)', inputs: [{ shape: [2, 3], kind: 'ties', dtype: 'int32' }, { shape: [1, 3] }], run: (xs) => cat(xs, 0), ref: (xs) => ref.cat(xs, 0) },
    ],
    large: { inputs: [{ shape: [512, 512] }, { shape: [512, 512], layout: 'transposed' }], run: (xs) => cat(xs, 0) },
  },
  contiguous: {
    samples: [
      { name: 'a transposed [3, 4] view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.contiguous(), ref: ([x]) => x },
      { name: 'a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.contiguous(), ref: ([x]) => x },
      { name: 'an expanded [3, 4] view', inputs: [{ shape: [3, 4], layout: 'expanded' }], run: ([x]) => x.contiguous(), ref: ([x]) => x },
      { name: 'a contiguous matrix, through clone', inputs: [{ shape: [3, 4] }], run: ([x]) => x.clone(), ref: ([x]) => x },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'transposed' }], run: ([x]) => x.contiguous() },
  },
  cast: {
    samples: [
      {
        name: 'a [3, 4] matrix to the other float dtype',
        inputs: [{ shape: [3, 4] }],
        run: ([x]) => x.to(FLOAT_OTHER(x.dtype)),
        // The reference is the input itself, rounded through float32 when either side is float32.
        ref: ([x]) => ref.map(ref.f32, x),
        outDtype: FLOAT_OTHER,
        gradcheck: { eps: 1e-2, atol: 1e-4, rtol: 1e-3 },
      },
      { name: 'a transposed view to int32 (truncating toward zero)', inputs: [{ shape: [3, 4], layout: 'transposed', values: [-2.7, -1.5, -0.5, 0, 0.5, 1.5, 2.7, 3.2, -3.9, 7, -7, 100.9] }], run: ([x]) => x.to('int32'), ref: ([x]) => ref.map(ref.toInt32, x), outDtype: 'int32' },
      { name: 'a matrix with zeros to bool (non-zero is true)', inputs: [{ shape: [3, 4], kind: 'zeros' }], run: ([x]) => x.to('bool'), ref: ([x]) => ref.map((v) => bool(v !== 0), x), outDtype: 'bool' },
      { name: 'an int32 matrix to float', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.to('float32'), ref: ([x]) => x, outDtype: 'float32', dtypes: ['float32'] },
      { name: 'a bool mask to float64', inputs: [{ shape: [3, 4], kind: 'bool' }], run: ([x]) => x.double(), ref: ([x]) => x, outDtype: 'float64', dtypes: ['float32'] },
    ],
    large: { inputs: [{ shape: LARGE, layout: 'narrowed' }], run: ([x]) => x.to('float64') },
  },
  fullLike: {
    samples: [
      { name: 'a [3, 4] matrix filled with 2.5', inputs: [{ shape: [3, 4] }], run: ([x]) => x.fullLike(2.5), ref: ([x]) => ref.map(() => 2.5, x) },
      { name: 'a transposed view, zeros', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.zerosLike(), ref: ([x]) => ref.map(() => 0, x) },
      { name: 'a 0-d tensor, ones', inputs: [{ shape: [] }], run: ([x]) => x.onesLike(), ref: ([x]) => ref.map(() => 1, x) },
      { name: 'a matrix, as int32 sevens', inputs: [{ shape: [2, 3] }], run: ([x]) => x.fullLike(-7, 'int32'), ref: ([x]) => ref.map(() => -7, x), outDtype: 'int32' },
    ],
    large: { inputs: [{ shape: LARGE }], run: ([x]) => x.fullLike(3) },
  },
  indexSelect: {
    samples: [
      { name: 'rows [2, 0, 2] of a [4, 3] matrix (a repeated row)', inputs: [{ shape: [4, 3] }, { shape: [3], dtype: 'int32', values: [2, 0, 2] }], run: ([x, i]) => x.indexSelect(0, i), ref: ([x, i]) => ref.indexSelect(x, 0, i.data) },
      { name: 'columns of a transposed [3, 4] view', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [5], dtype: 'int32', values: [3, 3, 0, 1, 2] }], run: ([x, i]) => x.indexSelect(1, i), ref: ([x, i]) => ref.indexSelect(x, 1, i.data) },
      { name: 'dim 1 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }, { shape: [2], kind: 'index', max: 3 }], run: ([x, i]) => x.indexSelect(1, i), ref: ([x, i]) => ref.indexSelect(x, 1, i.data) },
      { name: 'dim -1 of a [2, 3, 4] tensor', inputs: [{ shape: [2, 3, 4] }, { shape: [1], dtype: 'int32', values: [3] }], run: ([x, i]) => x.indexSelect(-1, i), ref: ([x, i]) => ref.indexSelect(x, 2, i.data) },
    ],
    large: { inputs: [{ shape: [2048, 256] }, { shape: [2048], kind: 'index', max: 2048 }], run: ([x, i]) => x.indexSelect(0, i) },
  },
  indexAdd: {
    samples: [
      { name: 'rows [1, 3, 1] of a [4, 3] matrix (a repeated row adds twice)', inputs: [{ shape: [4, 3] }, { shape: [3], dtype: 'int32', values: [1, 3, 1] }, { shape: [3, 3] }], run: ([b, i, s]) => b.indexAdd(0, i, s), ref: ([b, i, s]) => ref.indexAdd(b, 0, i.data, s) },
      { name: 'columns of a [2, 5] matrix from a transposed source', inputs: [{ shape: [2, 5] }, { shape: [4], dtype: 'int32', values: [4, 0, 4, 4] }, { shape: [2, 4], layout: 'transposed' }], run: ([b, i, s]) => b.indexAdd(1, i, s), ref: ([b, i, s]) => ref.indexAdd(b, 1, i.data, s) },
      { name: 'dim 1 of a permuted [2, 3, 4] base', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }, { shape: [2], dtype: 'int32', values: [2, 0] }, { shape: [2, 2, 4] }], run: ([b, i, s]) => b.indexAdd(1, i, s), ref: ([b, i, s]) => ref.indexAdd(b, 1, i.data, s) },
    ],
    large: { inputs: [{ shape: [2048, 64] }, { shape: [128], kind: 'index', max: 64 }, { shape: [2048, 128] }], run: ([b, i, s]) => b.indexAdd(1, i, s) },
  },
  gather: {
    samples: [
      { name: 'dim 1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }, { shape: [3, 2], kind: 'index', max: 4 }], run: ([x, i]) => x.gather(1, i), ref: ([x, i]) => ref.gather(x, 1, i) },
      { name: 'dim 0 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }, { shape: [2, 4], kind: 'index', max: 3 }], run: ([x, i]) => x.gather(0, i), ref: ([x, i]) => ref.gather(x, 0, i) },
      { name: 'dim 1 of a transposed view, with a transposed index', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [2, 3], kind: 'index', max: 4, layout: 'transposed' }], run: ([x, i]) => x.gather(1, i), ref: ([x, i]) => ref.gather(x, 1, i) },
      { name: 'dim 2 of a permuted [2, 3, 4] view, index smaller than the input', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }, { shape: [2, 2, 5], kind: 'index', max: 4 }], run: ([x, i]) => x.gather(2, i), ref: ([x, i]) => ref.gather(x, 2, i) },
    ],
    large: { inputs: [{ shape: LARGE }, { shape: LARGE, kind: 'index', max: 512 }], run: ([x, i]) => x.gather(1, i) },
  },
  scatterAdd: {
    samples: [
      { name: 'dim 1 of a [3, 4] base, colliding positions', inputs: [{ shape: [3, 4] }, { shape: [3, 2], dtype: 'int32', values: [1, 1, 0, 3, 2, 2] }, { shape: [3, 2] }], run: ([b, i, s]) => b.scatterAdd(1, i, s), ref: ([b, i, s]) => ref.scatterAdd(b, 1, i, s) },
      { name: 'dim 0 of a [3, 4] base', inputs: [{ shape: [3, 4] }, { shape: [2, 4], kind: 'index', max: 3 }, { shape: [2, 4] }], run: ([b, i, s]) => b.scatterAdd(0, i, s), ref: ([b, i, s]) => ref.scatterAdd(b, 0, i, s) },
      { name: 'dim 2 of a permuted base from a transposed source', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }, { shape: [2, 3, 2], kind: 'index', max: 4 }, { shape: [2, 3, 2], layout: 'transposed' }], run: ([b, i, s]) => b.scatterAdd(2, i, s), ref: ([b, i, s]) => ref.scatterAdd(b, 2, i, s) },
    ],
    large: { inputs: [{ shape: LARGE }, { shape: LARGE, kind: 'index', max: 512 }, { shape: LARGE }], run: ([b, i, s]) => b.scatterAdd(1, i, s) },
  },
  ...SEQ_OP_CASES,
  ...VISION_CASES,
};

function argSamples(run: (x: Tensor, dim: number | undefined, keepdim: boolean) => Tensor, better: (v: number, best: number) => boolean): Sample[] {
  const fold = ref.argOf(better);
  const one = (name: string, spec: Sample['inputs'][0], dim: number | undefined, keepdim = false, extra: Partial<Sample> = {}): Sample => ({
    name,
    inputs: [spec],
    run: ([x]) => run(x, dim, keepdim),
    ref: ([x]) => ref.reduce(x, dim === undefined ? undefined : [dim], keepdim, fold),
    outDtype: 'int32',
    ...extra,
  });
  return [
    one('all of a [3, 4] matrix (a flat index)', { shape: [3, 4] }, undefined),
    one('dim 1 of a [3, 4] matrix', { shape: [3, 4] }, 1),
    one('dim 0 of a [3, 4] matrix, keepdim', { shape: [3, 4] }, 0, true),
    one('dim -1 of a transposed view', { shape: [3, 4], layout: 'transposed' }, -1),
    one('dim 1 of a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'permuted' }, 1),
    one('dim 1 of a matrix with ties (the first index wins)', { shape: [3, 6], kind: 'ties' }, 1),
    one('dim 1 of a row holding NaN (NaN wins)', { shape: [2, 3], values: [1, NaN, 3, 4, 9, 6] }, 1),
    one('dim 0 of an int32 matrix', { shape: [4, 3], kind: 'ties', dtype: 'int32' }, 0, false, { dtypes: ['float32'] }),
  ];
}
