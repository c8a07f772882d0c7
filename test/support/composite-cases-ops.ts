// Composite cases for the everyday methods of issue 11 (no kernel or backward of their own):
// forward against a plain-JS reference, gradients by central differences. Spread into
// COMPOSITE_CASES.
import { cat, nn, tensor, type Tensor } from '../../src/index.js';
import { erfRef } from './op-cases-ops.js';
import { reduction, type Sample } from './cases.js';
import * as ref from './reference.js';
import * as rx from './reference-ops.js';

const mean = (v: number[]) => ref.sumOf(v) / v.length;
const varOf = (correction: number) => (v: number[]) => {
  const m = mean(v);
  return ref.sumOf(v.map((x) => (x - m) ** 2)) / Math.max(0, v.length - correction);
};
const prodOf = (v: number[]) => v.reduce((p, q) => p * q, 1);
const pnorm = (p: number) => (v: number[]) => ref.sumOf(v.map((x) => Math.abs(x) ** p)) ** (1 / p);
const firstArg = ref.argOf((v, best) => v > best);
const lastDimArgmin = ref.argOf((v, best) => v < best);

/** One sample per call; run(x) returns a tensor. */
const one = (name: string, spec: Sample['inputs'][0], run: (x: Tensor) => Tensor, f: (x: ref.Nd) => ref.Nd, extra: Partial<Sample> = {}): Sample => ({ name, inputs: [spec], run: ([x]) => run(x), ref: ([x]) => f(x), ...extra });

const sortedValues = (dim: number, descending: boolean) => (x: ref.Nd) => rx.lines(x, dim, (v) => rx.argsortLine(v, descending).map((i) => v[i]));
const sortedIndices = (dim: number, descending: boolean) => (x: ref.Nd) => rx.lines(x, dim, (v) => rx.argsortLine(v, descending));
const tri = (x: ref.Nd, keep: (row: number, col: number) => boolean) => ref.build(x.shape, (idx) => (keep(idx[idx.length - 2], idx[idx.length - 1]) ? ref.at(x, idx) : 0));
const rollRef = (x: ref.Nd, shift: number, dim: number) => ref.build(x.shape, (idx) => ref.at(x, idx.map((c, d) => (d === dim ? (((c - shift) % x.shape[d]) + x.shape[d]) % x.shape[d] : c))));

const F = nn.functional;
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const act = (name: string, kind: Sample['inputs'][0]['kind'], run: (x: Tensor) => Tensor, f: (v: number) => number): Sample[] => [
  one(`a [3, 4] matrix (${name})`, { shape: [3, 4], kind }, run, (x) => ref.map(f, x)),
  one(`a transposed view (${name})`, { shape: [3, 4], kind, layout: 'transposed' }, run, (x) => ref.map(f, x)),
];
const pair = (name: string, run: (a: Tensor, b: Tensor) => Tensor, f: (a: ref.Nd, b: ref.Nd) => ref.Nd, kinds: ['normal' | 'positive' | 'nonzero', 'normal' | 'positive' | 'nonzero'] = ['normal', 'normal']): Sample => ({
  name,
  inputs: [{ shape: [3, 4], kind: kinds[0] }, { shape: [3, 4], kind: kinds[1], layout: 'narrowed' }],
  run: ([a, b]) => run(a, b),
  ref: ([a, b]) => f(a, b),
});
const meanOf = (x: ref.Nd) => ref.nd([], [ref.sumOf(x.data) / x.data.length]);
/** Python's reflect and replicate index rules, one dim. */
const padIndex = (mode: 'reflect' | 'replicate', i: number, n: number) => (mode === 'replicate' ? Math.min(Math.max(i, 0), n - 1) : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
const padRef = (x: ref.Nd, mode: 'reflect' | 'replicate', [l, r, t, b]: number[]) =>
  ref.build([x.shape[0] + t + b, x.shape[1] + l + r], ([i, j]) => ref.at(x, [padIndex(mode, i - t, x.shape[0]), padIndex(mode, j - l, x.shape[1])]));

export const OPS_COMPOSITE_CASES: Record<string, Sample[]> = {
  silu: act('silu', 'normal', (x) => F.silu(x), (v) => v * sig(v)),
  leakyRelu: act('leakyRelu 0.2', 'nonzero', (x) => F.leakyRelu(x, { negativeSlope: 0.2 }), (v) => (v > 0 ? v : 0.2 * v)),
  elu: act('elu α 1.3', 'nonzero', (x) => F.elu(x, { alpha: 1.3 }), (v) => (v > 0 ? v : 1.3 * (Math.exp(v) - 1))),
  softplus: act('softplus β 1.5', 'normal', (x) => F.softplus(x, { beta: 1.5 }), (v) => Math.log(1 + Math.exp(1.5 * v)) / 1.5),
  logSigmoid: act('logSigmoid', 'normal', (x) => F.logSigmoid(x), (v) => Math.log(sig(v))),
  hardtanh: act('hardtanh [-0.7, 0.9]', 'nonzero', (x) => F.hardtanh(x, { minVal: -0.7, maxVal: 0.9 }), (v) => Math.min(Math.max(v, -0.7), 0.9)),
  gelu: [
    ...act('gelu', 'normal', (x) => F.gelu(x), (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))),
    ...act("gelu 'tanh'", 'normal', (x) => F.gelu(x, { approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  ],
  l1Loss: [pair('two [3, 4] matrices (l1Loss)', (a, b) => F.l1Loss(a, b), (a, b) => meanOf(ref.map((x, y) => Math.abs(x - y), a, b)))],
  smoothL1Loss: [pair('two [3, 4] matrices (smoothL1Loss β 0.6)', (a, b) => F.smoothL1Loss(a, b, { beta: 0.6 }), (a, b) => meanOf(ref.map((x, y) => (Math.abs(x - y) < 0.6 ? (0.5 * (x - y) ** 2) / 0.6 : Math.abs(x - y) - 0.3), a, b)))],
  huberLoss: [pair('two [3, 4] matrices (huberLoss δ 0.6)', (a, b) => F.huberLoss(a, b, { delta: 0.6 }), (a, b) => meanOf(ref.map((x, y) => (Math.abs(x - y) < 0.6 ? 0.5 * (x - y) ** 2 : 0.6 * (Math.abs(x - y) - 0.3)), a, b)))],
  binaryCrossEntropy: [
    pair('probabilities σ(a) and targets σ(b)', (a, b) => F.binaryCrossEntropy(a.sigmoid(), b.sigmoid()), (a, b) => meanOf(ref.map((x, y) => -(sig(y) * Math.log(sig(x)) + (1 - sig(y)) * Math.log(1 - sig(x))), a, b))),
  ],
  klDiv: [
    pair("log-probabilities and positive targets, 'sum'", (a, b) => F.klDiv(a.logSoftmax(1), b, { reduction: 'sum' }), (a, b) => {
      const lp = ref.logSoftmax(a, 1);
      return ref.nd([], [ref.sumOf(ref.map((l, t) => t * (Math.log(t) - l), lp, b).data)]);
    }, ['normal', 'positive']),
  ],
  crossEntropyIgnore: [
    {
      name: 'logits [3, 4] with one target ignored',
      inputs: [{ shape: [3, 4] }],
      run: ([x]) => nn.crossEntropy(x, tensor([1, -100, 3], { dtype: 'int32' })),
      ref: ([x]) => {
        const lp = ref.logSoftmax(x, 1);
        return ref.nd([], [-(ref.at(lp, [0, 1]) + ref.at(lp, [2, 3])) / 2]);
      },
    },
  ],
  padModes: [
    one('reflect [2, 1, 1, 2] of a [3, 4] matrix', { shape: [3, 4] }, (x) => F.pad(x, [2, 1, 1, 2], { mode: 'reflect' }), (x) => padRef(x, 'reflect', [2, 1, 1, 2])),
    one('replicate [1, 3, 2, 0] of a transposed view', { shape: [3, 4], layout: 'transposed' }, (x) => F.pad(x, [1, 3, 2, 0], { mode: 'replicate' }), (x) => padRef(x, 'replicate', [1, 3, 2, 0])),
    one('constant 0.5 with a crop, [1, -1]', { shape: [3, 4] }, (x) => F.pad(x, [1, -1], { value: 0.5 }), (x) => ref.build([3, 4], ([i, j]) => (j === 0 ? 0.5 : ref.at(x, [i, j - 1])))),
  ],
  maxWithIndices: [
    one('the values of max(1) of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.max(1).values, (x) => ref.reduce(x, [1], false, ref.maxOf)),
    one('the indices of max(1) of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.max(1).indices, (x) => ref.reduce(x, [1], false, firstArg), { outDtype: 'int32' }),
    one('the values of max(0, keepdim) of a transposed view', { shape: [3, 4], layout: 'transposed' }, (x) => x.max(0, true).values, (x) => ref.reduce(x, [0], true, ref.maxOf)),
    one('the values of max(-1) of ties (forward only)', { shape: [3, 6], kind: 'ties' }, (x) => x.max(-1).values, (x) => ref.reduce(x, [1], false, ref.maxOf), { noGradcheck: 'ties: central differences see half of the subgradient' }),
    one('the indices of max(-1) of ties (the first wins)', { shape: [3, 6], kind: 'ties' }, (x) => x.max(-1).indices, (x) => ref.reduce(x, [1], false, firstArg), { outDtype: 'int32' }),
    one('the values of min(1) of a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'permuted' }, (x) => x.min(1).values, (x) => ref.reduce(x, [1], false, ref.minOf)),
    one('the indices of min(2) of a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'permuted' }, (x) => x.min(2).indices, (x) => ref.reduce(x, [2], false, lastDimArgmin), { outDtype: 'int32' }),
  ],
  amax: reduction('normal', (x, d, k) => x.amax(d, k), ref.maxOf),
  amin: reduction('normal', (x, d, k) => x.amin(d, k), ref.minOf),
  var: [
    ...reduction('normal', (x, d, k) => x.var(d, { keepdim: k }), varOf(1)),
    one('all of a [3, 4] matrix with correction 0', { shape: [3, 4] }, (x) => x.var(undefined, { correction: 0 }), (x) => ref.reduce(x, undefined, false, varOf(0))),
    one('dim 1 of a [3, 4] matrix with correction 2', { shape: [3, 4] }, (x) => x.var(1, { correction: 2 }), (x) => ref.reduce(x, [1], false, varOf(2))),
  ],
  std: [
    ...reduction('normal', (x, d, k) => x.std(d, { keepdim: k }), (v) => Math.sqrt(varOf(1)(v))).map((s) => (s.name.includes('expanded') ? { ...s, noGradcheck: 'along the expanded dim every value is equal: std 0, where √ has no derivative' } : s)),
    one('dim 0 with correction 0', { shape: [3, 4], layout: 'narrowed' }, (x) => x.std(0, { correction: 0 }), (x) => ref.reduce(x, [0], false, (v) => Math.sqrt(varOf(0)(v)))),
  ],
  norm: [
    ...reduction('normal', (x, d, k) => x.norm(2, d, k), pnorm(2)),
    one('p = 1 over dim 1', { shape: [3, 4], kind: 'nonzero' }, (x) => x.norm(1, 1), (x) => ref.reduce(x, [1], false, pnorm(1))),
    one('p = 3 over every dim', { shape: [3, 4], kind: 'nonzero' }, (x) => x.norm(3), (x) => ref.reduce(x, undefined, false, pnorm(3))),
    one("'fro' over dims [0, 1] of a transposed view", { shape: [3, 4], layout: 'transposed' }, (x) => x.norm('fro', [0, 1]), (x) => ref.reduce(x, [0, 1], false, pnorm(2))),
    one('p = ∞ over dim 0', { shape: [3, 4], kind: 'nonzero' }, (x) => x.norm(Infinity, 0), (x) => ref.reduce(x, [0], false, (v) => Math.max(...v.map(Math.abs)))),
    one('p = −∞ over dim 1', { shape: [3, 4], kind: 'nonzero' }, (x) => x.norm(-Infinity, 1), (x) => ref.reduce(x, [1], false, (v) => Math.min(...v.map(Math.abs)))),
    one('p = 0 (the count of non-zeros)', { shape: [3, 4], kind: 'zeros' }, (x) => x.norm(0, 1), (x) => ref.reduce(x, [1], false, (v) => v.filter((e) => e !== 0).length), { noGradcheck: 'a count' }),
  ],
  prod: [
    one('all of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.prod(), (x) => ref.reduce(x, undefined, false, prodOf)),
    one('dim 1 of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.prod(1), (x) => ref.reduce(x, [1], false, prodOf)),
    one('dim 0 of a transposed view, keepdim', { shape: [3, 4], layout: 'transposed' }, (x) => x.prod(0, true), (x) => ref.reduce(x, [0], true, prodOf)),
    // Exact zeros: the gradient is the product of the others, which division-based formulas get wrong.
    one('dim 1 of a matrix with exact zeros', { shape: [3, 4], values: [0, 2, 3, 4, 1, 0, 0, 2, -1, 0.5, 2, 3] }, (x) => x.prod(1), (x) => ref.reduce(x, [1], false, prodOf)),
    one('an int32 matrix (stays int32)', { shape: [3, 4], kind: 'ties', dtype: 'int32' }, (x) => x.prod(1), (x) => ref.reduce(x, [1], false, prodOf), { outDtype: 'int32', dtypes: ['float32'] }),
  ],
  cumprod: [
    one('dim 1 of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.cumprod(1), (x) => rx.lines(x, 1, rx.cumprodLine)),
    one('dim 0 of a transposed view', { shape: [3, 4], layout: 'transposed' }, (x) => x.cumprod(0), (x) => rx.lines(x, 0, rx.cumprodLine)),
    one('dim 1 with exact zeros', { shape: [2, 4], values: [2, 0, 3, 4, 0, 1.5, 0, 2] }, (x) => x.cumprod(1), (x) => rx.lines(x, 1, rx.cumprodLine)),
    one('dim -1 of a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'permuted' }, (x) => x.cumprod(-1), (x) => rx.lines(x, 2, rx.cumprodLine)),
  ],
  allAny: [
    one('all(1) of a matrix with zeros', { shape: [3, 4], kind: 'zeros' }, (x) => x.all(1), (x) => ref.reduce(x, [1], false, (v) => Number(v.every((e) => e !== 0))), { outDtype: 'bool' }),
    one('any(0, keepdim) of a matrix with zeros', { shape: [3, 4], kind: 'zeros' }, (x) => x.any(0, true), (x) => ref.reduce(x, [0], true, (v) => Number(v.some((e) => e !== 0))), { outDtype: 'bool' }),
    one('all() of a bool mask', { shape: [2, 3], kind: 'bool' }, (x) => x.all(), (x) => ref.reduce(x, undefined, false, (v) => Number(v.every((e) => e !== 0))), { outDtype: 'bool', dtypes: ['float32'] }),
    one('any() of a bool mask', { shape: [2, 3], kind: 'bool' }, (x) => x.any(), (x) => ref.reduce(x, undefined, false, (v) => Number(v.some((e) => e !== 0))), { outDtype: 'bool', dtypes: ['float32'] }),
  ],
  sort: [
    one('the values of dim 1, ascending', { shape: [3, 4] }, (x) => x.sort({ dim: 1 }).values, sortedValues(1, false)),
    one('the values of dim 0 of a transposed view, descending', { shape: [3, 4], layout: 'transposed' }, (x) => x.sort({ dim: 0, descending: true }).values, sortedValues(0, true)),
    one('the indices of ties, stable', { shape: [3, 6], kind: 'ties' }, (x) => x.sort({ stable: true }).indices, sortedIndices(1, false), { outDtype: 'int32' }),
  ],
  topk: [
    one('the 2 largest values along the last dim', { shape: [3, 5] }, (x) => x.topk(2).values, (x) => rx.firstK(sortedValues(1, true)(x), 1, 2)),
    one('the positions of the 2 largest', { shape: [3, 5] }, (x) => x.topk(2).indices, (x) => rx.firstK(sortedIndices(1, true)(x), 1, 2), { outDtype: 'int32' }),
    one('the 3 smallest values along dim 0 of a transposed view', { shape: [4, 3], layout: 'transposed' }, (x) => x.topk(3, { dim: 0, largest: false }).values, (x) => rx.firstK(sortedValues(0, false)(x), 0, 3)),
    one('k = 0', { shape: [3, 5] }, (x) => x.topk(0).values, (x) => rx.firstK(x, 1, 0), { noGradcheck: 'no outputs' }),
  ],
  roll: [
    one('shift 1 along dim 1', { shape: [3, 4] }, (x) => x.roll(1, 1), (x) => rollRef(x, 1, 1)),
    one('shift −3 along dim 0 of a transposed view', { shape: [4, 3], layout: 'transposed' }, (x) => x.roll(-3, 0), (x) => rollRef(x, -3, 0)),
    one('shifts [1, 5] along dims [0, 1]', { shape: [3, 4] }, (x) => x.roll([1, 5], [0, 1]), (x) => rollRef(rollRef(x, 1, 0), 5, 1)),
    one('shift 2 of the flattened tensor', { shape: [3, 4] }, (x) => x.roll(2), (x) => ref.reshape(rollRef(ref.reshape(x, [12]), 2, 0), [3, 4])),
  ],
  chunkSplit: [
    one('chunk(3) of 7 rows, joined back with cat', { shape: [7, 2] }, (x) => cat(x.chunk(3).map((c, i) => c.mul(i + 1)), 0), (x) => ref.build(x.shape, (idx) => ref.at(x, idx) * (Math.floor(idx[0] / 3) + 1))),
    one('split(2, dim 1) of 5 columns', { shape: [2, 5] }, (x) => cat(x.split(2, 1).map((c, i) => c.mul(i + 1)), 1), (x) => ref.build(x.shape, (idx) => ref.at(x, idx) * (Math.floor(idx[1] / 2) + 1))),
    one('split([1, 3, 0, 1]) along dim 1', { shape: [2, 5], layout: 'narrowed' }, (x) => cat(x.split([1, 3, 0, 1], 1).map((c, i) => c.mul(i + 1)), 1), (x) => ref.build(x.shape, (idx) => ref.at(x, idx) * [1, 2, 2, 2, 4][idx[1]])),
  ],
  triangle: [
    one('tril() of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.tril(), (x) => tri(x, (r, c) => c <= r)),
    one('tril(1) of a transposed view', { shape: [4, 3], layout: 'transposed' }, (x) => x.tril(1), (x) => tri(x, (r, c) => c - r <= 1)),
    one('triu() of a [3, 4] matrix', { shape: [3, 4] }, (x) => x.triu(), (x) => tri(x, (r, c) => c >= r)),
    one('triu(-1) of a batched [2, 3, 3] tensor', { shape: [2, 3, 3], layout: 'permuted' }, (x) => x.triu(-1), (x) => tri(x, (r, c) => c - r >= -1)),
  ],
  repeat: [
    one('repeat(2, 3) of a [2, 3] matrix', { shape: [2, 3] }, (x) => x.repeat(2, 3), (x) => ref.build([4, 9], ([i, j]) => ref.at(x, [i % 2, j % 3]))),
    one('repeat([2, 1, 2]) of a transposed [2, 3] view (a new leading dim)', { shape: [2, 3], layout: 'transposed' }, (x) => x.repeat([2, 1, 2]), (x) => ref.build([2, 2, 6], ([, i, j]) => ref.at(x, [i, j % 3]))),
  ],
  outer: [{ name: 'a [3] and a [4] vector', inputs: [{ shape: [3] }, { shape: [4] }], run: ([a, b]) => a.outer(b), ref: ([a, b]) => ref.build([3, 4], ([i, j]) => a.data[i] * b.data[j]) }],
  sliceStep1: [one('x[1:-1] (a narrow)', { shape: [3, 5] }, (x) => x.slice(1, 1, -1), (x) => rx.slice(x, 1, 1, 4, 1))],
  roundingOps: [
    one('floor(x)·x (zero gradient through floor)', { shape: [3, 4] }, (x) => x.floor().mul(x), (x) => ref.map((v) => Math.floor(v) * v, x)),
    one('sign(x)·x = |x| (zero gradient through sign)', { shape: [3, 4], kind: 'nonzero' }, (x) => x.sign().mul(x), (x) => ref.map(Math.abs, x)),
  ],
};
