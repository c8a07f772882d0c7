// nn.functional activations, losses, oneHot and pad, and the small modules, against PyTorch
// 1.13's values (taken with /usr/bin/python3 on this machine, float64), with gradchecks.
import { describe, expect, it } from 'vitest';
import { gradcheck, manualSeed, nn, rand, randn, tensor, ValueError, DTypeError, ShapeError, type Tensor } from '../../src/index.js';

const F = nn.functional;
const d64 = { dtype: 'float64' as const };
const X = [-3, -1, -0.25, 0, 0.5, 2, 30];
/** float64 compositions of a few ops: a few ulps, plus erf's and log1p's own error. */
const TOL = 1e-14;

async function expectValues(t: Tensor, want: number[], tol = TOL): Promise<void> {
  const got = Array.from(await t.data());
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: got ${v}, expected ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
}

describe('activations match PyTorch at [-3, -1, -0.25, 0, 0.5, 2, 30]', () => {
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['silu', (x) => F.silu(x), [-0.14227761953270035, -0.2689414213699951, -0.10945587477855048, 0, 0.3112296656009273, 1.7615941559557646, 29.999999999997197]],
    ['leakyRelu with slope 0.1', (x) => F.leakyRelu(x, { negativeSlope: 0.1 }), [-0.30000000000000004, -0.1, -0.025, 0, 0.5, 2, 30]],
    ['elu with alpha 1.5', (x) => F.elu(x, { alpha: 1.5 }), [-1.4253193974482041, -0.9481808382428365, -0.3317988253928927, 0, 0.5, 2, 30]],
    ['softplus with beta 2, threshold 20', (x) => F.softplus(x, { beta: 2, threshold: 20 }), [0.0012378425688652247, 0.06346400552148625, 0.23703849209005334, 0.34657359027997264, 0.6566308437591114, 2.0090749639589047, 30]],
    ['logSigmoid', (x) => F.logSigmoid(x), [-3.048587351573742, -1.3132616875182228, -0.8259394198788436, -0.6931471805599453, -0.4740769841801067, -0.1269280110429725, -9.357622968839737e-14]],
    ['hardtanh to [-0.5, 1]', (x) => F.hardtanh(x, { minVal: -0.5, maxVal: 1 }), [-0.5, -0.5, -0.25, 0, 0.5, 1, 1]],
    ['gelu (exact, the default)', (x) => F.gelu(x), [-0.00404969409489031, -0.15865525393145702, -0.10032341857926907, 0, 0.34573123063700656, 1.9544997361036416, 30]],
    ["gelu { approximate: 'tanh' }", (x) => F.gelu(x, { approximate: 'tanh' }), [-0.0036373920817729943, -0.15880800939172324, -0.100324649298315, 0, 0.34571400982514394, 1.954597694087775, 30]],
  ];
  it.each(cases)('%s', async (_, f, want) => {
    // logSigmoid at 30 is −e⁻³⁰ ≈ −9.4e-14: an absolute tolerance would hide a wrong sign or size.
    await expectValues(f(tensor(X, d64)), want, 1e-13);
  });

  it.each(cases)('%s has gradients that match central differences (finite everywhere, 30 included)', async (_, f) => {
    manualSeed(2);
    // Away from the kinks at 0 (and hardtanh's bounds): central differences need smoothness there.
    const x = randn([12], d64).mul(2).add(tensor([0.3], d64)).requiresGrad_();
    await expect(gradcheck(f, [x])).resolves.toBe(true);
    const big = tensor([30, -30, 1000, -1000], { ...d64, requiresGrad: true });
    f(big).sum().backward();
    for (const g of await (big.grad as Tensor).data()) expect(Number.isFinite(g)).toBe(true);
  });

  it('refuses bad options, naming the function', () => {
    expect(() => F.leakyRelu(tensor([1]), { negativeSlope: NaN })).toThrow(/^leakyRelu: got negativeSlope NaN, expected a finite number/);
    expect(() => F.gelu(tensor([1]), { approximate: 'erf' as 'none' })).toThrow(/^gelu: got approximate "erf", expected 'none' or 'tanh'/);
    expect(() => F.hardtanh(tensor([1]), { minVal: 2, maxVal: 1 })).toThrow(ValueError);
    expect(() => F.softplus(tensor([1]), { beta: 0 })).toThrow(/^softplus: got beta 0/);
  });
});

describe('losses match PyTorch', () => {
  const a = () => tensor([0.5, -1, 2, 0.3], d64);
  const b = () => tensor([0, 1, -1, 0.25], d64);
  it('l1Loss 1.3875, smoothL1Loss (β 0.5) 1.188125, huberLoss (δ 1.5) 1.3440625', async () => {
    expect(await F.l1Loss(a(), b()).item()).toBeCloseTo(1.3875, 14);
    expect(await F.smoothL1Loss(a(), b(), { beta: 0.5 }).item()).toBeCloseTo(1.188125, 14);
    expect(await F.huberLoss(a(), b(), { delta: 1.5 }).item()).toBeCloseTo(1.3440625, 14);
  });

  it('binaryCrossEntropy clamps log 0 to −100: 25.2259670529689, weighted sum 402.3955230886533', async () => {
    const p = tensor([0.1, 0.9, 0.5, 1], d64);
    const y = tensor([0, 1, 1, 0], d64);
    expect(await F.binaryCrossEntropy(p, y).item()).toBeCloseTo(25.2259670529689, 12);
    expect(await F.binaryCrossEntropy(p, y, tensor([1, 2, 3, 4], d64), { reduction: 'sum' }).item()).toBeCloseTo(402.3955230886533, 11);
  });

  it("klDiv: 'batchmean' 0.1299384028109471 and 'sum' 0.2598768056218942, 0 where the target is 0", async () => {
    const inp = tensor([[-1, -2, -0.5], [-0.3, -1.2, -3]], d64);
    const t = tensor([[0.2, 0, 0.8], [0.5, 0.25, 0.25]], d64);
    expect(await F.klDiv(inp, t, { reduction: 'batchmean' }).item()).toBeCloseTo(0.1299384028109471, 14);
    expect(await F.klDiv(inp, t, { reduction: 'sum' }).item()).toBeCloseTo(0.2598768056218942, 14);
    expect(await F.klDiv(inp, t.where(t.gt(0), 1).log(), { reduction: 'none', logTarget: true }).narrow(0, 1, 1).sum().item()).toBeCloseTo(
      (await F.klDiv(inp, t, { reduction: 'none' }).narrow(0, 1, 1).sum().item()) as number,
      14,
    );
  });

  const logits = () => tensor([[1, 2, 3], [1, 0, 0], [0.5, -1, 2]], d64);
  it('crossEntropy ignores ignoreIndex targets: mean 1.0744586305507688, none [0.4076059644443804, 0, 1.7413112966571571]', async () => {
    const target = tensor([2, -100, 0], { dtype: 'int32' });
    expect(await nn.crossEntropy(logits(), target).item()).toBeCloseTo(1.0744586305507688, 14);
    await expectValues(nn.crossEntropy(logits(), target, { reduction: 'none' }), [0.4076059644443804, 0, 1.7413112966571571]);
    expect(await nn.crossEntropy(logits(), tensor([2, 1, 0], { dtype: 'int32' }), { ignoreIndex: 1, labelSmoothing: 0.2 }).item()).toBeCloseTo(1.174458630550769, 14);
  });

  it('crossEntropy takes class probabilities: 1.133453991677863, with smoothing 0.1 1.1656762139000851', async () => {
    const p = tensor([[0.2, 0.3, 0.5], [1, 0, 0], [0, 0.5, 0.5]], d64);
    expect(await nn.crossEntropy(logits(), p).item()).toBeCloseTo(1.133453991677863, 14);
    expect(await nn.crossEntropy(logits(), p, { labelSmoothing: 0.1 }).item()).toBeCloseTo(1.1656762139000851, 14);
  });

  it('nllLoss takes ignoreIndex too', async () => {
    expect(await nn.nllLoss(tensor([[-1, -2], [-3, -4]]), tensor([1, 0], { dtype: 'int32' }), { ignoreIndex: 0 }).item()).toBe(2);
  });

  const r = (shape: number[]) => randn(shape, d64).requiresGrad_();
  const gradCases: [string, () => [(...xs: Tensor[]) => Tensor, Tensor[]]][] = [
    ['l1Loss', () => [(x, y) => F.l1Loss(x, y), [r([5]), r([5])]]],
    ['smoothL1Loss', () => [(x, y) => F.smoothL1Loss(x, y, { beta: 0.7 }), [r([6]), r([6])]]],
    ['huberLoss', () => [(x, y) => F.huberLoss(x, y, { delta: 0.8, reduction: 'sum' }), [r([6]), r([6])]]],
    ['binaryCrossEntropy', () => [(x, y) => F.binaryCrossEntropy(x, y), [rand([5], d64).mul(0.8).add(0.1).requiresGrad_(), rand([5], d64).requiresGrad_()]]],
    ['klDiv', () => [(x, y) => F.klDiv(x, y, { reduction: 'batchmean' }), [r([2, 3]).logSoftmax(1).detach().requiresGrad_(), rand([2, 3], d64).add(0.1).requiresGrad_()]]],
    ['crossEntropy with ignoreIndex and smoothing', () => [(x) => nn.crossEntropy(x, tensor([2, -100, 0], { dtype: 'int32' }), { labelSmoothing: 0.1 }), [r([3, 4])]]],
    ['crossEntropy with probability targets', () => [(x, p) => nn.crossEntropy(x, p), [r([3, 4]), rand([3, 4], d64).requiresGrad_()]]],
  ];
  it.each(gradCases)('%s has gradients that match central differences', async (_, make) => {
    manualSeed(3);
    const [fn, inputs] = make();
    await expect(gradcheck(fn, inputs)).resolves.toBe(true);
  });
});

describe('oneHot and pad match PyTorch', () => {
  it('oneHot([0, 2, 1], { numClasses: 3 }) is the int32 identity rows', async () => {
    const o = F.oneHot(tensor([0, 2, 1], { dtype: 'int32' }), { numClasses: 3 });
    expect(o.dtype).toBe('int32');
    expect(await o.toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(() => F.oneHot(tensor([1], { dtype: 'int32' }))).toThrow(/^oneHot: got no numClasses, expected \{ numClasses \}/);
    expect(() => F.oneHot(tensor([1]), { numClasses: 2 })).toThrow(DTypeError);
  });

  const x = () => tensor([[1, 2, 3], [4, 5, 6]]);
  it('reflect, replicate and constant (with a crop and a fill) as PyTorch', async () => {
    expect(await F.pad(x(), [2, 1], { mode: 'reflect' }).toArray()).toEqual([[3, 2, 1, 2, 3, 2], [6, 5, 4, 5, 6, 5]]);
    expect(await F.pad(x().unsqueeze(0), [1, 2, 1, 0], { mode: 'replicate' }).toArray()).toEqual([[[1, 1, 2, 3, 3, 3], [1, 1, 2, 3, 3, 3], [4, 4, 5, 6, 6, 6]]]);
    expect(await F.pad(x(), [1, -1, 0, 1], { value: 7 }).toArray()).toEqual([[7, 1, 2], [7, 4, 5], [7, 7, 7]]);
    expect(await F.pad(x(), [1, 0], { value: -Infinity }).toArray()).toEqual([[-Infinity, 1, 2, 3], [-Infinity, 4, 5, 6]]);
  });

  it.each(['constant', 'reflect', 'replicate'] as const)('%s padding has gradients that match central differences', async (mode) => {
    manualSeed(4);
    await expect(gradcheck((a) => F.pad(a, [2, 1, 1, 1], { mode, value: 0.5 }), [randn([3, 4], d64).requiresGrad_()])).resolves.toBe(true);
  });

  it('refuses odd pads, reflect pads as large as the dim, and unknown modes', () => {
    expect(() => F.pad(x(), [1])).toThrow(/^pad: got pads \[1\] for a tensor of rank 2, expected an even number/);
    expect(() => F.pad(x(), [3, 0], { mode: 'reflect' })).toThrow(ShapeError);
    expect(() => F.pad(x(), [1, 1], { mode: 'circular' as 'reflect' })).toThrow(/^pad: got mode "circular"/);
  });
});

describe('small modules', () => {
  it('Flatten keeps the batch dim; Identity returns its input', () => {
    const x = randn([2, 3, 4]);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new nn.Flatten({ startDim: 0, endDim: 1 }).forward(x).shape).toEqual([6, 4]);
    expect(new nn.Identity().forward(x)).toBe(x);
  });

  it('SiLU, LeakyReLU, GELU, Softmax and LogSoftmax apply their functions with their options', async () => {
    const x = tensor([[-1, 0.5, 2], [3, -2, 0]], d64);
    const same = async (a: Tensor, b: Tensor) => expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    await same(new nn.SiLU().forward(x), F.silu(x));
    await same(new nn.LeakyReLU({ negativeSlope: 0.2 }).forward(x), F.leakyRelu(x, { negativeSlope: 0.2 }));
    await same(new nn.GELU().forward(x), F.gelu(x));
    await same(new nn.GELU({ approximate: 'tanh' }).forward(x), F.gelu(x, { approximate: 'tanh' }));
    await same(new nn.Softmax({ dim: 0 }).forward(x), x.softmax(0));
    await same(new nn.LogSoftmax({ dim: -1 }).forward(x), x.logSoftmax(-1));
    await same(new nn.ELU({ alpha: 2 }).forward(x), F.elu(x, { alpha: 2 }));
    expect(() => new nn.LeakyReLU({ negativeSlope: 'a' as unknown as number })).toThrow(/^LeakyReLU: got negativeSlope a/);
    expect(() => new nn.GELU({ approximate: 'x' as 'tanh' })).toThrow(/^GELU: got approximate "x"/);
    expect(() => new nn.Softmax({ dim: 0.5 })).toThrow(/^Softmax: got dim 0.5, expected an integer/);
    expect(() => new nn.ELU({ alpha: NaN })).toThrow(/^ELU: got alpha NaN, expected a finite number/);
    expect(() => new nn.Hardtanh({ maxVal: 'x' as unknown as number })).toThrow(/^Hardtanh: got maxVal x/);
  });

  it('have no parameters, and compose in Sequential', () => {
    const net = new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 4), new nn.SiLU(), new nn.LogSoftmax({ dim: 1 }));
    expect(net.forward(randn([2, 3, 4])).shape).toEqual([2, 4]);
    expect([...new nn.SiLU().parameters()].length).toBe(0);
  });
});
