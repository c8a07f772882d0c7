// Sample cases for the composite methods: no kernel or backward of their own, so these check
// that the composition is right (forward against the textbook formula, gradients by central
// differences) for the cases users reach for.
import { stack, type Tensor } from '../../src/index.js';
import { reduction, type Sample } from './cases.js';
import * as ref from './reference.js';
import { OPS_COMPOSITE_CASES } from './composite-cases-ops.js';

const mean = (v: number[]) => ref.sumOf(v) / v.length;
const lse = (v: number[]) => Math.log(ref.sumOf(v.map(Math.exp)));
const shift = (x: ref.Nd, by: number) => ref.map((v) => v - by, x);
const mm = (name: string, a: Sample['inputs'][0], b: Sample['inputs'][0], run: (a: Tensor, b: Tensor) => Tensor = (x, y) => x.matmul(y)): Sample => ({
  name,
  inputs: [a, b],
  run: ([x, y]) => run(x, y),
  ref: ([x, y]) => ref.matmul(x, y),
});

export const COMPOSITE_CASES: Record<string, Sample[]> = {
  ...OPS_COMPOSITE_CASES,
  mean: reduction('normal', (x, d, k) => x.mean(d, k), mean),
  logsumexp: [
    ...reduction('normal', (x, d, k) => x.logsumexp(d, k), lse),
    // Without the max shift exp(1000) overflows; log Σ exp(1000 + v) = 1000 + log Σ exp(v).
    { name: 'values near 1000 (stable)', inputs: [{ shape: [2, 3], values: [1000, 1001, 1002, 999, 1000, 1000.5] }], run: ([x]) => x.logsumexp(1), ref: ([x]) => ref.map((v) => v + 1000, ref.logsumexp(shift(x, 1000), [1], false)), noGradcheck: 'covered at small values' },
  ],
  softmax: [
    { name: 'dim 1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.softmax(1), ref: ([x]) => ref.softmax(x, 1) },
    { name: 'dim 0 of a transposed view', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.softmax(0), ref: ([x]) => ref.softmax(x, 0) },
    { name: 'dim -1 of a permuted [2, 3, 4] view', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.softmax(-1), ref: ([x]) => ref.softmax(x, 2) },
    { name: 'values near 1000 (stable)', inputs: [{ shape: [2, 3], values: [1000, 1001, 1002, 999, 1000, 1000.5] }], run: ([x]) => x.softmax(1), ref: ([x]) => ref.softmax(shift(x, 1000), 1), noGradcheck: 'covered at small values' },
  ],
  logSoftmax: [
    { name: 'dim 1 of a [3, 4] matrix', inputs: [{ shape: [3, 4] }], run: ([x]) => x.logSoftmax(1), ref: ([x]) => ref.logSoftmax(x, 1) },
    { name: 'dim 0 of a narrowed view', inputs: [{ shape: [3, 4], layout: 'narrowed' }], run: ([x]) => x.logSoftmax(0), ref: ([x]) => ref.logSoftmax(x, 0) },
    // float64 only: float32 cannot hold 1000 + 0.4 to the default tolerance (its ulp at 1000 is 6e-5).
    { name: 'values near 1000 (stable)', inputs: [{ shape: [2, 3], values: [1000, 1001, 1002, 999, 1000, 1000.5] }], run: ([x]) => x.logSoftmax(1), ref: ([x]) => ref.logSoftmax(shift(x, 1000), 1), noGradcheck: 'covered at small values', dtypes: ['float64'] },
  ],
  maskedFill: [
    { name: 'a [3, 4] matrix and a [3, 4] mask', inputs: [{ shape: [3, 4] }, { shape: [3, 4], kind: 'bool' }], run: ([x, m]) => x.maskedFill(m, -1), ref: ([x, m]) => ref.map((v, c) => (c ? -1 : v), x, m) },
    { name: 'a transposed view and a broadcast [4] mask', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [4], kind: 'bool' }], run: ([x, m]) => x.maskedFill(m, 0.5), ref: ([x, m]) => ref.map((v, c) => (c ? 0.5 : v), x, m) },
    { name: 'a mask computed by a comparison (x < 0 gets 0)', inputs: [{ shape: [3, 4], kind: 'nonzero' }], run: ([x]) => x.maskedFill(x.lt(0), 0), ref: ([x]) => ref.map((v) => (v < 0 ? 0 : v), x) },
  ],
  stack: [
    { name: 'two [3, 4] matrices along a new dim 0', inputs: [{ shape: [3, 4] }, { shape: [3, 4], layout: 'transposed' }], run: (xs) => stack(xs, 0), ref: (xs) => ref.stack(xs, 0) },
    { name: 'three [2, 3] matrices along a new last dim', inputs: [{ shape: [2, 3] }, { shape: [2, 3], layout: 'narrowed' }, { shape: [2, 3], layout: 'expanded' }], run: (xs) => stack(xs, -1), ref: (xs) => ref.stack(xs, 2) },
  ],
  mm: [mm('[3, 4] · a transposed [4, 2]', { shape: [3, 4] }, { shape: [4, 2], layout: 'transposed' }, (a, b) => a.mm(b))],
  bmm: [mm('a permuted [2, 3, 4] · [2, 4, 5]', { shape: [2, 3, 4], layout: 'permuted' }, { shape: [2, 4, 5] }, (a, b) => a.bmm(b))],
  matmul: [
    mm('a [4] vector · a [4, 3] matrix', { shape: [4] }, { shape: [4, 3] }),
    mm('a [3, 4] matrix · a [4] vector', { shape: [3, 4] }, { shape: [4] }),
    mm('two [4] vectors (a dot product)', { shape: [4] }, { shape: [4], layout: 'narrowed' }),
    mm('a batched [2, 3, 4] · a [4] vector', { shape: [2, 3, 4] }, { shape: [4] }),
    mm('a [4] vector · a batched [2, 4, 3]', { shape: [4] }, { shape: [2, 4, 3], layout: 'transposed' }),
    mm('[2, 1, 3, 4] · [5, 4, 2] (batch dims broadcast to [2, 5])', { shape: [2, 1, 3, 4] }, { shape: [5, 4, 2] }),
    mm('a [3, 4] matrix · a batched [2, 4, 2]', { shape: [3, 4] }, { shape: [2, 4, 2] }),
  ],
  reshape: [
    { name: 'a [2, 3, 4] tensor flattened', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => x.flatten(), ref: ([x]) => ref.reshape(x, [24]) },
    { name: 'a permuted [2, 3, 4] view flattened from dim 1', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.flatten(1), ref: ([x]) => ref.reshape(x, [2, 12]) },
    { name: 'a [6] vector viewed as [2, -1] then squeezed and unsqueezed', inputs: [{ shape: [6] }], run: ([x]) => x.view([2, -1]).unsqueeze(1).squeeze(1), ref: ([x]) => ref.reshape(x, [2, 3]) },
    { name: 'a transposed view reshaped to [2, 2, 3]', inputs: [{ shape: [3, 4], layout: 'transposed' }], run: ([x]) => x.reshape([2, 2, 3]), ref: ([x]) => ref.reshape(x, [2, 2, 3]) },
  ],
  // One tensor reaching an op twice: the engine must add both gradients, never reuse one buffer.
  reuse: [
    { name: 'x + x', inputs: [{ shape: [3, 4] }], run: ([x]) => x.add(x), ref: ([x]) => ref.map((v) => 2 * v, x) },
    { name: 'x · x + x', inputs: [{ shape: [3, 4], layout: 'narrowed' }], run: ([x]) => x.mul(x).add(x), ref: ([x]) => ref.map((v) => v * v + v, x) },
    { name: 'x − xᵀ of a square matrix', inputs: [{ shape: [3, 3] }], run: ([x]) => x.sub(x.t()), ref: ([x]) => ref.map((v, w) => v - w, x, ref.transpose(x, 0, 1)) },
  ],
  clone: [{ name: 'a permuted view (a contiguous copy)', inputs: [{ shape: [2, 3, 4], layout: 'permuted' }], run: ([x]) => x.clone(), ref: ([x]) => x }],
  to: [
    { name: 'a round trip through float64 (exact)', inputs: [{ shape: [3, 4] }], run: ([x]) => x.to('float64').to(x.dtype), ref: ([x]) => x, dtypes: ['float32'] },
    { name: 'an int32 tensor made float and scaled', inputs: [{ shape: [3, 4], kind: 'ties', dtype: 'int32' }], run: ([x]) => x.float().mul(0.5), ref: ([x]) => ref.map((v) => v * 0.5, x), outDtype: 'float32', dtypes: ['float32'] },
  ],
};
