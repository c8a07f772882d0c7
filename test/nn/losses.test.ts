// Losses and functional layers against hand-worked values, and their gradients against central
// differences (they are compositions, so autograd differentiates them).
import { describe, expect, it } from 'vitest';
import { gradcheck, manualSeed, nn, randn, tensor, type Tensor } from '../../src/index.js';

/** float32 results of a few ops: a handful of rounding units of 2⁻²⁴. */
const F32_TOLERANCE = 1e-6;
const { ln } = { ln: Math.log };

interface Case {
  name: string;
  run: () => Tensor;
  expected: number | number[];
}

const cases: Case[] = [
  // ((1−1)² + (2−1)² + (3−1)²)/3 = 5/3
  { name: 'mseLoss averages squared errors', run: () => nn.mseLoss(tensor([1, 2, 3]), tensor([1, 1, 1])), expected: 5 / 3 },
  { name: 'mseLoss sums with reduction sum', run: () => nn.mseLoss(tensor([1, 2, 3]), tensor([1, 1, 1]), { reduction: 'sum' }), expected: 5 },
  { name: "mseLoss keeps each error with reduction 'none'", run: () => nn.mseLoss(tensor([1, 2, 3]), tensor([1, 1, 1]), { reduction: 'none' }), expected: [0, 1, 4] },
  // softmax(0, ln2, ln3) = (1, 2, 3)/6: −log(3/6) = ln 2 for class 2, −log(1/6) = ln 6 for class 0
  {
    name: 'crossEntropy is −log softmax at the target class, averaged',
    run: () => nn.crossEntropy(tensor([[0, ln(2), ln(3)], [0, ln(2), ln(3)]]), tensor([2, 0], { dtype: 'int32' })),
    expected: (ln(2) + ln(6)) / 2,
  },
  // (1−ε)·ln 2 + ε·mean(ln 6, ln 3, ln 2) = 0.7·ln 2 + 0.1·(3 ln 6 − ln 6) = 0.7 ln 2 + 0.2 ln 6
  {
    name: 'crossEntropy with label smoothing 0.3 mixes in the mean over classes',
    run: () => nn.crossEntropy(tensor([[0, ln(2), ln(3)]]), tensor([2], { dtype: 'int32' }), { labelSmoothing: 0.3 }),
    expected: 0.7 * ln(2) + 0.2 * ln(6),
  },
  { name: 'crossEntropy takes one sample as [C] logits and a 0-d target', run: () => nn.crossEntropy(tensor([0, ln(2), ln(3)]), tensor(1, { dtype: 'int32' })), expected: ln(3) },
  // −(−2 + −3)/2
  { name: 'nllLoss averages −logp at the targets', run: () => nn.nllLoss(tensor([[-1, -2], [-3, -4]]), tensor([1, 0], { dtype: 'int32' })), expected: 2.5 },
  // x = 0, y = 1: ln 2;  x = ln 3, y = 0: ln 3 + ln(1 + 1/3) = ln 4
  {
    name: 'binaryCrossEntropyWithLogits is the cross-entropy of σ(x)',
    run: () => nn.binaryCrossEntropyWithLogits(tensor([0, ln(3)]), tensor([1, 0])),
    expected: 1.5 * ln(2),
  },
  { name: 'binaryCrossEntropyWithLogits stays finite for large logits', run: () => nn.binaryCrossEntropyWithLogits(tensor([100, -100]), tensor([0, 1]), { reduction: 'none' }), expected: [100, 100] },
  // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) at x = 1
  { name: "gelu with approximate 'tanh' uses the tanh form", run: () => nn.functional.gelu(tensor([1, 0]), { approximate: 'tanh' }), expected: [0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 0] },
  // ½·1·(1 + erf(1/√2)) = Φ(1) = 0.8413447460685429 (PyTorch's gelu(1.))
  { name: 'gelu is exact (erf) by default', run: () => nn.functional.gelu(tensor([1, 0])), expected: [0.8413447460685429, 0] },
  // mean 2, biased variance 2/3: (x − 2)/√(2/3 + 1e-5)
  { name: 'layerNorm normalises the last dim with the biased variance', run: () => nn.functional.layerNorm(tensor([[1, 2, 3]]), [3]), expected: [-1, 0, 1].map((d) => d / Math.sqrt(2 / 3 + 1e-5)) },
];

describe('losses and functional layers', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const got = await c.run().toArray();
    const want = c.expected;
    if (typeof want === 'number') expect(got as number).toBeCloseTo(want, 6);
    else (got as number[]).flat().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(F32_TOLERANCE * Math.max(1, Math.abs(want[i])) * 4));
  });

  it('binaryCrossEntropyWithLogits has gradient (σ(x) − y)/n, exactly −1/4 at x = 0, y = 1', async () => {
    const x = tensor([0, ln(3)], { requiresGrad: true });
    nn.binaryCrossEntropyWithLogits(x, tensor([1, 0])).backward();
    const g = (await x.grad!.toArray()) as number[];
    expect(g[0]).toBeCloseTo(-0.25, 7);
    expect(g[1]).toBeCloseTo(0.375, 7);
  });

  const d64 = { dtype: 'float64' as const, requiresGrad: true };
  const gradCases: [string, () => [(...xs: Tensor[]) => Tensor, Tensor[]]][] = [
    ['mseLoss', () => [(a, b) => nn.mseLoss(a, b), [randn([3, 2], d64), randn([3, 2], d64)]]],
    ['crossEntropy with smoothing', () => [(a) => nn.crossEntropy(a, tensor([0, 2, 1], { dtype: 'int32' }), { labelSmoothing: 0.1 }), [randn([3, 4], d64)]]],
    ['crossEntropy over [N, C, d]', () => [(a) => nn.crossEntropy(a, tensor([[0, 2], [1, 1]], { dtype: 'int32' })), [randn([2, 3, 2], d64)]]],
    ['binaryCrossEntropyWithLogits', () => [(a, b) => nn.binaryCrossEntropyWithLogits(a, b), [randn([4], d64), randn([4], { dtype: 'float64' }).sigmoid()]]],
    ['gelu', () => [(a) => nn.functional.gelu(a), [randn([5], d64)]]],
    ['gelu (tanh)', () => [(a) => nn.functional.gelu(a, { approximate: 'tanh' }), [randn([5], d64)]]],
    ['layerNorm with weight and bias', () => [(a, w, b) => nn.functional.layerNorm(a, [3], w, b), [randn([2, 3], d64), randn([3], d64), randn([3], d64)]]],
  ];
  it.each(gradCases)('%s has gradients that match central differences', async (_, make) => {
    manualSeed(1);
    const [fn, inputs] = make();
    await expect(gradcheck(fn, inputs)).resolves.toBe(true);
  });

  const errors: [string, () => unknown, RegExp][] = [
    ['float (probability) targets of another shape for crossEntropy', () => nn.crossEntropy(tensor([[1, 2]]), tensor([1])), /crossEntropy: got a target of dtype float32, expected int32 class indices \(or float class probabilities of the input's shape \[1, 2\]; got shape \[1\]\)/],
    ['bool targets for crossEntropy', () => nn.crossEntropy(tensor([[1, 2]]), tensor([true])), /crossEntropy: got a target of dtype bool, expected int32/],
    ['a target of the wrong length', () => nn.crossEntropy(tensor([[1, 2]]), tensor([1, 0], { dtype: 'int32' })), /crossEntropy: got input shape \[1, 2\] and target shape \[2\]/],
    ['mismatched mseLoss shapes', () => nn.mseLoss(tensor([1, 2]), tensor([1])), /mseLoss: got input shape \[2\] and target shape \[1\], expected equal shapes/],
    ['an unknown reduction', () => nn.mseLoss(tensor([1]), tensor([1]), { reduction: 'avg' as 'mean' }), /mseLoss: got reduction "avg"/],
    ['label smoothing above 1', () => nn.crossEntropy(tensor([[1, 2]]), tensor([1], { dtype: 'int32' }), { labelSmoothing: 2 }), /labelSmoothing 2/],
  ];
  it.each(errors)('rejects %s with a message naming the op', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
