// Skein against PyTorch's own values. test/torch/parity_reference.py ran each case below in
// PyTorch 1.13 (float64) and stored its inputs, outputs and the gradients of Σ out·cot; here the
// same inputs go through Skein's call of the same name. The op table's own suite checks Skein
// against plain references; this one checks that Skein means what PyTorch means: defaults,
// conventions at the edges (round half to even, tie-breaking, Bessel's correction), reductions,
// padding and pooling geometry, loss reductions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cat, nn, stack, tensor, type Tensor } from '../src/index.js';

const F = nn.functional;

interface Encoded {
  shape: number[];
  kind: 'float' | 'int' | 'bool';
  data: (number | string | boolean)[];
}

interface Reference {
  inputs: Encoded[];
  differentiated: boolean[];
  outputs: Encoded[];
  cotangents: Encoded[];
  grads: (Encoded | null)[];
}

type Result = Tensor | Tensor[] | { values: Tensor; indices: Tensor };
type Call = (...xs: Tensor[]) => Result;

const REF = JSON.parse(readFileSync(new URL('./torch/parity-reference.json', import.meta.url), 'utf8')) as Record<string, Reference>;

const valuesIndices = (r: { values: Tensor; indices: Tensor }): Tensor[] => [r.values, r.indices];

/** Each PyTorch call of parity_reference.py, as a Skein user writes it. */
const CALLS: Record<string, Call> = {
  neg: (x) => x.neg(),
  exp: (x) => x.exp(),
  log: (x) => x.log(),
  sqrt: (x) => x.sqrt(),
  abs: (x) => x.abs(),
  sign: (x) => x.sign(),
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  relu: (x) => x.relu(),
  clamp: (x) => x.clamp(-0.5, 0.7),
  clampMin: (x) => x.clamp({ min: 0.1 }),
  powScalar: (x) => x.pow(2.5),
  powTensor: (x, y) => x.pow(y),
  addBroadcast: (x, y) => x.add(y),
  subScalar: (x) => x.sub(1.5),
  rsubScalar: (x) => x.neg().add(1.5),
  mulBroadcast: (x, y) => x.mul(y),
  div: (x, y) => x.div(y),
  maximum: (x, y) => x.maximum(y),
  minimum: (x, y) => x.minimum(y),
  where: (c, x, y) => x.where(c, y),
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  erf: (x) => x.erf(),
  floor: (x) => x.floor(),
  ceil: (x) => x.ceil(),
  round: (x) => x.round(),
  trunc: (x) => x.trunc(),
  log1p: (x) => x.log1p(),
  expm1: (x) => x.expm1(),
  rsqrt: (x) => x.rsqrt(),
  reciprocal: (x) => x.reciprocal(),
  square: (x) => x.square(),
  compare: (x, y) => [x.lt(y), x.le(y), x.gt(y), x.ge(y), x.eq(x), x.ne(y)],
  isnan: (x) => [x.isnan(), x.isinf(), x.isfinite()],
  maskedFill: (x, m) => x.maskedFill(m, -2),

  sumAll: (x) => x.sum(),
  sumDims: (x) => x.sum([0, 2], true),
  mean: (x) => x.mean(1),
  maxDim: (x) => valuesIndices(x.max(1)),
  minDimKeep: (x) => valuesIndices(x.min(0, true)),
  maxTies: (x) => valuesIndices(x.max(1)),
  argmaxTies: (x) => [x.argmax(1), x.argmin(1), x.argmax()],
  amax: (x) => x.amax([0, 2]),
  var: (x) => x.var(1),
  varPopulation: (x) => x.var(1, { correction: 0, keepdim: true }),
  stdAll: (x) => x.std(),
  prod: (x) => x.prod(1),
  cumsum: (x) => x.cumsum(1),
  cumprod: (x) => x.cumprod(0),
  logsumexp: (x) => x.logsumexp(1),
  norm2: (x) => x.norm(),
  norm1Dim: (x) => x.norm(1, 1),
  softmax: (x) => x.softmax(1),
  logSoftmax: (x) => x.logSoftmax(0),
  topk: (x) => valuesIndices(x.topk(3, { dim: 1 })),
  topkSmallest: (x) => valuesIndices(x.topk(2, { dim: 0, largest: false })),
  sortDescending: (x) => valuesIndices(x.sort({ dim: 1, descending: true })),
  argsort: (x) => x.argsort({ dim: 0 }),

  maxAllTies: (x) => x.max(),
  minAllTies: (x) => x.min(),
  amaxTies: (x) => x.amax(1),
  aminTiesAll: (x) => x.amin(),
  minDimTies: (x) => valuesIndices(x.min(1)),
  maximumTies: (x, y) => x.maximum(y),
  minimumTies: (x, y) => x.minimum(y),
  clampBounds: (x) => x.clamp(-0.5, 0.7),
  reluZero: (x) => x.relu(),
  absZero: (x) => x.abs(),
  normZero: (x) => x.norm(),
  sortStableTies: (x) => valuesIndices(x.sort({ stable: true })),
  sortDescendingTies: (x) => valuesIndices(x.sort({ descending: true, stable: true })),
  maxPoolTies: (x) => F.maxPool2d(x, 2, { returnIndices: true }),
  logsumexpInf: (x) => x.logsumexp(1),
  softmaxInf: (x) => x.softmax(0),

  transpose: (x) => x.transpose(0, 2).mul(1),
  permute: (x) => x.permute(2, 0, 1).mul(1),
  expand: (x) => x.expand([3, 4]).mul(1),
  flatten: (x) => x.flatten(1),
  repeat: (x) => x.repeat(2, 1, 2),
  roll: (x) => x.roll(1, 1),
  rollFlat: (x) => x.roll(5),
  flip: (x) => x.flip([0, 1]),
  tril: (x) => x.tril(-1),
  triu: (x) => x.triu(1),
  narrow: (x) => x.narrow(1, 1, 3),
  chunk: (x) => x.chunk(2, 0),
  split: (x) => x.split([1, 4], 0),
  gather: (x, i) => x.gather(1, i),
  scatterAdd: (x, i, s) => x.scatterAdd(0, i, s),
  indexSelect: (x, i) => x.indexSelect(0, i),
  indexAdd: (x, i, s) => x.indexAdd(0, i, s),
  cat: (x, y) => cat([x, y], 0),
  stack: (x, y) => stack([x, y], 1),
  padConstant: (x) => F.pad(x, [1, 2], { value: 0.5 }),
  padReflect: (x) => F.pad(x, [2, 1], { mode: 'reflect' }),
  padReplicate: (x) => F.pad(x, [1, 2], { mode: 'replicate' }),

  mm: (x, y) => x.mm(y),
  bmm: (x, y) => x.bmm(y),
  matmulBroadcast: (x, y) => x.matmul(y),
  matmulVector: (x, y) => x.matmul(y),
  outer: (x, y) => x.outer(y),

  linear: (x, w, b) => F.linear(x, w, b),
  conv2d: (x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
  conv2dSame: (x, w) => F.conv2d(x, w, null, { padding: 'same' }),
  conv1d: (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1 }),
  convTranspose2d: (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  maxPool2dCeil: (x) => F.maxPool2d(x, 2, { ceilMode: true }),
  maxPool2dIndices: (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true }),
  avgPool2d: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }),
  avgPool2dNoPad: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
  adaptiveAvgPool2d: (x) => F.adaptiveAvgPool2d(x, [3, 2]),
  batchNormTraining: (x, w, b) => F.batchNorm(x, tensor([0, 0, 0], { dtype: 'float64' }), tensor([1, 1, 1], { dtype: 'float64' }), w, b, { training: true, momentum: 0.1, eps: 1e-5 }),
  batchNormEval: (x, rv, w, b) => F.batchNorm(x, tensor([0.2, 0.2, 0.2], { dtype: 'float64' }), rv, w, b),
  layerNorm: (x, w, b) => F.layerNorm(x, [2, 4], w, b),
  groupNorm: (x, w, b) => F.groupNorm(x, 2, w, b),
  gelu: (x) => F.gelu(x),
  geluTanh: (x) => F.gelu(x, { approximate: 'tanh' }),
  elu: (x) => F.elu(x, { alpha: 0.7 }),
  leakyRelu: (x) => F.leakyRelu(x, { negativeSlope: 0.2 }),
  silu: (x) => F.silu(x),
  softplus: (x) => F.softplus(x.mul(10), { beta: 2, threshold: 5 }),
  hardtanh: (x) => F.hardtanh(x, { minVal: -0.6, maxVal: 0.8 }),
  logSigmoid: (x) => F.logSigmoid(x),
  crossEntropy: (x, t) => F.crossEntropy(x, t),
  crossEntropySmoothing: (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.2 }),
  crossEntropyIgnore: (x, t) => F.crossEntropy(x, t, { ignoreIndex: 1 }),
  crossEntropySpatial: (x, t) => F.crossEntropy(x, t, { reduction: 'sum' }),
  nllLoss: (x, t) => F.nllLoss(x.logSoftmax(1), t, { reduction: 'none' }),
  mseLoss: (x, t) => F.mseLoss(x, t),
  l1Loss: (x, t) => F.l1Loss(x, t, { reduction: 'sum' }),
  smoothL1Loss: (x, t) => F.smoothL1Loss(x, t, { beta: 0.5 }),
  huberLoss: (x, t) => F.huberLoss(x, t, { delta: 0.5 }),
  binaryCrossEntropy: (x, t) => F.binaryCrossEntropy(x, t),
  bceWithLogits: (x, t) => F.binaryCrossEntropyWithLogits(x, t),
  klDivBatchmean: (x, t) => F.klDiv(x.logSoftmax(1), t, { reduction: 'batchmean' }),
  klDivLogTarget: (x, t) => F.klDiv(x.logSoftmax(1), t.logSoftmax(1), { logTarget: true }),
  oneHot: (i) => F.oneHot(i, { numClasses: 6 }),
  attentionCausal: (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }),
  embedding: (w, i) => w.indexSelect(0, i.reshape([-1])).reshape([...i.shape, w.shape[1] as number]),
};

/** JSON has no NaN or ±Infinity: the script writes them as Python's repr, 'nan', 'inf', '-inf'. */
const number = (v: number | string | boolean): number => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : Number(v));

function decode(e: Encoded, requiresGrad: boolean): Tensor {
  const data = e.data.map(number);
  const dtype = e.kind === 'float' ? 'float64' : e.kind === 'int' ? 'int32' : 'bool';
  const t = tensor(data, { dtype }).reshape(e.shape).contiguous();
  return requiresGrad ? t.requiresGrad_() : t;
}

const outputsOf = (r: Result): Tensor[] => (Array.isArray(r) ? r : 'values' in r ? valuesIndices(r) : [r]);

/** float64 against float64: only summation order may differ. */
function expectValues(got: ArrayLike<number>, want: Encoded, what: string): void {
  const w = want.data.map(number);
  expect(got.length, `${what}: element count`).toBe(w.length);
  for (let k = 0; k < w.length; k++) {
    const [g, e] = [Number(got[k]), w[k]];
    if (Number.isNaN(e) || !Number.isFinite(e) || want.kind !== 'float') {
      expect(g, `${what}[${k}]`).toBe(e);
    } else {
      expect(Math.abs(g - e), `${what}[${k}]: got ${g}, PyTorch ${e}`).toBeLessThanOrEqual(1e-12 + 1e-10 * Math.abs(e));
    }
  }
}

describe("Skein's calls give PyTorch's values", () => {
  it('covers every case the reference script ran, and only those', () => {
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(REF).sort());
  });

  for (const [name, ref] of Object.entries(REF)) {
    it(name, async () => {
      const call = CALLS[name];
      expect(call, `no Skein call for ${name}`).toBeDefined();
      const xs = ref.inputs.map((e, k) => decode(e, ref.differentiated[k]));
      const outs = outputsOf(call(...xs));
      expect(outs.length, 'outputs').toBe(ref.outputs.length);
      for (const [k, out] of outs.entries()) {
        const want = ref.outputs[k];
        expect(out.shape, `output ${k} shape`).toEqual(want.shape);
        const kind = out.dtype === 'bool' ? 'bool' : out.dtype === 'int32' ? 'int' : 'float';
        expect(kind, `output ${k} kind (dtype ${out.dtype})`).toBe(want.kind);
        expectValues(await out.data(), want, `output ${k}`);
      }
      const floats = outs.filter((o) => o.requiresGrad);
      expect(floats.length, 'differentiable outputs').toBe(ref.cotangents.length);
      if (floats.length === 0) return;
      const loss = floats.map((o, k) => o.mul(decode(ref.cotangents[k], false)).sum()).reduce((a, b) => a.add(b));
      loss.backward();
      for (const [k, x] of xs.entries()) {
        const want = ref.grads[k];
        if (want === null) continue;
        const got = x.grad === null ? new Float64Array(want.data.length) : await x.grad.data();
        expectValues(got, want, `gradient of input ${k}`);
      }
    });
  }
});
