// Layers and initialisation: PyTorch's starting distributions, forward values, and modes.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';

/** Sample moments of n uniform or normal draws are within 5 standard errors (≈ 1 in 1.7M to fail). */
const standardErrors = 5;

async function moments(t: Tensor): Promise<{ min: number; max: number; mean: number; variance: number; n: number }> {
  const v = Array.from(await t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { min: Math.min(...v), max: Math.max(...v), mean, variance, n: v.length };
}

describe('init', () => {
  // U(−b, b) has variance b²/3; N(0, s²) has variance s².
  const fanIn = 400;
  const fanOut = 200;
  const table: [string, (t: Tensor) => Tensor, 'uniform' | 'normal', number][] = [
    ["Linear's kaimingUniform_ with a = √5 (bound 1/√fanIn)", (t) => nn.init.kaimingUniform_(t, { a: Math.sqrt(5) }), 'uniform', 1 / Math.sqrt(fanIn)],
    ['kaimingUniform_ for ReLU (bound √(6/fanIn))', (t) => nn.init.kaimingUniform_(t, { nonlinearity: 'relu' }), 'uniform', Math.sqrt(6 / fanIn)],
    ['kaimingNormal_ for ReLU, fanOut mode (std √(2/fanOut))', (t) => nn.init.kaimingNormal_(t, { nonlinearity: 'relu', mode: 'fanOut' }), 'normal', Math.sqrt(2 / fanOut)],
    ['xavierUniform_ (bound √(6/(fanIn + fanOut)))', (t) => nn.init.xavierUniform_(t), 'uniform', Math.sqrt(6 / (fanIn + fanOut))],
    ['xavierNormal_ with tanh gain (std 5/3·√(2/(fanIn + fanOut)))', (t) => nn.init.xavierNormal_(t, nn.init.calculateGain('tanh')), 'normal', (5 / 3) * Math.sqrt(2 / (fanIn + fanOut))],
  ];
  it.each(table)('%s draws from the right distribution', async (_, fill, kind, scale) => {
    manualSeed(3);
    const m = await moments(fill(zeros([fanOut, fanIn])));
    const variance = kind === 'uniform' ? (scale * scale) / 3 : scale * scale;
    if (kind === 'uniform') {
      expect(m.min).toBeGreaterThanOrEqual(-scale);
      expect(m.max).toBeLessThan(scale);
    }
    expect(Math.abs(m.mean)).toBeLessThan(standardErrors * Math.sqrt(variance / m.n));
    // The variance of a sample variance is ≈ 2σ⁴/n (normal) or 0.8σ⁴/n (uniform); 2σ⁴/n bounds both.
    expect(Math.abs(m.variance - variance)).toBeLessThan(standardErrors * Math.sqrt((2 * variance * variance) / m.n));
  });

  it('rejects a 1-D tensor where fans are needed', () => {
    expect(() => nn.init.xavierUniform_(zeros([3]))).toThrow(/fan in and fan out need at least 2 dims/);
  });
});

describe('layers', () => {
  it("Linear starts as PyTorch's: weight and bias within ±1/√inFeatures", async () => {
    manualSeed(0);
    const fc = new nn.Linear(64, 32);
    expect(fc.weight.shape).toEqual([32, 64]);
    for (const p of [fc.weight, fc.bias!]) {
      const m = await moments(p);
      expect(Math.max(-m.min, m.max)).toBeLessThanOrEqual(1 / 8);
      expect(m.max - m.min).toBeGreaterThan(0.2);
    }
  });

  it('Linear computes x·Wᵀ + b', async () => {
    const fc = new nn.Linear(2, 2);
    fc.loadStateDict({ weight: tensor([[1, 2], [3, 4]]), bias: tensor([10, 20]) });
    // [1 1]·[[1 3] [2 4]] + [10 20] = [13 27]
    expect(await fc.forward(tensor([[1, 1]])).toArray()).toEqual([[13, 27]]);
    expect(() => fc.forward(tensor([[1, 1, 1]]))).toThrow(/Linear: got input shape \[1, 3\], expected a last dim of 2/);
  });

  it('Sequential chains its modules and names parameters by position', async () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh(), new nn.Linear(3, 1, { bias: false }));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight']);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(nn.Linear);
    expect(seq.forward(ones([5, 2])).shape).toEqual([5, 1]);
  });

  const activations: [string, nn.Module, number[]][] = [
    ['ReLU', new nn.ReLU(), [0, 0, 2]],
    ['Tanh', new nn.Tanh(), [Math.tanh(-1), 0, Math.tanh(2)]],
    ['Sigmoid', new nn.Sigmoid(), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]],
  ];
  it.each(activations)('%s applies its function elementwise', async (_, m, want) => {
    const got = (await m.forward(tensor([-1, 0, 2])).toArray()) as number[];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  it('Dropout zeroes about p of the elements, scales the rest by 1/(1 − p), repeats under a seed, and is the identity in eval', async () => {
    const drop = new nn.Dropout(0.25);
    manualSeed(7);
    const a = Array.from(await drop.forward(ones([4000])).data());
    manualSeed(7);
    const b = Array.from(await drop.forward(ones([4000])).data());
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const dropped = a.filter((v) => v === 0).length / a.length;
    // Binomial(4000, 0.25): standard error √(0.25·0.75/4000) ≈ 0.0068.
    expect(Math.abs(dropped - 0.25)).toBeLessThan(standardErrors * 0.0069);
    drop.eval();
    const x = ones([3]);
    expect(drop.forward(x)).toBe(x);
  });

  it('LayerNorm starts as the identity affine map and normalises each row', async () => {
    const ln = new nn.LayerNorm(2);
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    // mean 2, variance 1 → (−1, 1)/√(1 + 1e-5)
    const got = (await ln.forward(tensor([[1, 3]])).toArray()) as number[][];
    expect(got[0][0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 6);
    expect(got[0][1]).toBeCloseTo(1 / Math.sqrt(1 + 1e-5), 6);
  });

  it('Embedding looks up rows for int32 indices of any shape and trains only the rows used', async () => {
    const emb = new nn.Embedding(4, 2);
    emb.loadStateDict({ weight: tensor([[0, 1], [2, 3], [4, 5], [6, 7]]) });
    const out = emb.forward(tensor([[3, 1], [1, 1]], { dtype: 'int32' }));
    expect(await out.toArray()).toEqual([[[6, 7], [2, 3]], [[2, 3], [2, 3]]]);
    out.sum().backward();
    expect(await emb.weight.grad!.toArray()).toEqual([[0, 0], [3, 3], [0, 0], [1, 1]]);
    expect(() => emb.forward(tensor([1]))).toThrow(/Embedding: got indices of dtype float32, expected int32/);
  });
});
