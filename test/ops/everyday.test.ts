// The everyday tensor methods of issue 11 against PyTorch 1.13's own values (taken with
// /usr/bin/python3 on this machine), and the errors they raise. The op suite (test/ops.test.ts)
// checks the same ops against plain-JS references, by gradcheck and across thread counts.
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { bernoulli, getInlineLimit, runtimeStats, setInlineLimit, setNumThreads, synchronize, IndexError, manualSeed, multinomial, normal, randint, ShapeError, tensor, ValueError, DTypeError, full, type Tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const, requiresGrad: true };
const grad = async (t: Tensor) => Array.from(await (t.grad as Tensor).data());

describe('max and min with a dim', () => {
  it('return { values, indices } and send the gradient to the returned (first) index, as PyTorch', async () => {
    // torch: x.max(1) of [[1, 3, 3], [2, 2, 0]] → indices [1, 0]; grad [[0, 1, 0], [1, 0, 0]]
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    const { values, indices } = x.max(1);
    expect(await values.toArray()).toEqual([3, 2]);
    expect(indices.dtype).toBe('int32');
    expect(await indices.toArray()).toEqual([1, 0]);
    values.sum().backward();
    expect(await grad(x)).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it('min(1) picks the first minimum: indices [0, 2], grad [[1, 0, 0], [0, 0, 1]]', async () => {
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    const { values, indices } = x.min(1);
    expect(await indices.toArray()).toEqual([0, 2]);
    values.sum().backward();
    expect(await grad(x)).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('keepdim keeps the reduced dim in both results', () => {
    const { values, indices } = tensor([[1, 3, 3], [2, 2, 0]]).max(0, true);
    expect(values.shape).toEqual([1, 3]);
    expect(indices.shape).toEqual([1, 3]);
  });

  it('amax splits the gradient evenly over ties, as PyTorch: [[0, ½, ½], [½, ½, 0]]', async () => {
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    x.amax(1).sum().backward();
    expect(await grad(x)).toEqual([0, 0.5, 0.5, 0.5, 0.5, 0]);
  });

  it('max(dim) of a bool mask gives the first true', async () => {
    const { values, indices } = tensor([[false, true, true], [false, false, false]]).max(1);
    expect(await values.toArray()).toEqual([true, false]);
    expect(await indices.toArray()).toEqual([1, 0]);
  });

  it('max() over everything is still one tensor', async () => {
    expect(await tensor([[1, 7], [3, 2]]).max().item()).toBe(7);
    expect(await tensor([[1, 7], [3, 2]]).min().item()).toBe(1);
  });

  it('refuses a list of dims, pointing at amax', () => {
    expect(() => tensor([[1, 2]]).max([0, 1] as unknown as number)).toThrow(ValueError);
    expect(() => tensor([[1, 2]]).max([0, 1] as unknown as number)).toThrow(/^max: got dim \[0, 1\], expected one dim \(use amax\(dims\)/);
    expect(() => tensor([[1, 2]]).min(2)).toThrow(/^min: got dim 2, expected an integer in \[-2, 1\]/);
  });
});

describe('statistics, scans and products', () => {
  it('var and std follow PyTorch: Bessel-corrected by default, correction as an option', async () => {
    const x = tensor([[1, 2, 4], [3, 5, 9]], { dtype: 'float64' });
    const v = (await x.var(1).toArray()) as number[];
    [7 / 3, 28 / 3].forEach((want, i) => expect(v[i]).toBeCloseTo(want, 12));
    expect(await x.var([0, 1], { correction: 0 }).item()).toBeCloseTo(6.666666666666667, 12);
    const s = x.std(0, { keepdim: true });
    expect(s.shape).toEqual([1, 3]);
    ((await s.toArray()) as number[][])[0].forEach((got, i) => expect(got).toBeCloseTo([1.4142135623730951, 2.1213203435596424, 3.5355339059327378][i], 12));
    expect(() => x.var(1, { correction: -1 })).toThrow(/^var: got correction -1, expected a non-negative number/);
  });

  it('norm: the 2-norm of [3, 4] is 5, the 1-norm along rows [6, 9], and the 2-norm of zeros has gradient 0 (not NaN)', async () => {
    expect(await tensor([3, 4]).norm().item()).toBe(5);
    expect(await tensor([[1, -2, 3], [0, 4, -5]]).norm(1, 1).toArray()).toEqual([6, 9]);
    const z = tensor([0, 0, 0], f64);
    z.norm().backward();
    expect(await grad(z)).toEqual([0, 0, 0]);
    expect(() => tensor([1]).norm(NaN)).toThrow(/^norm: got p NaN/);
  });

  it('prod and cumprod have PyTorch gradients where the input holds zeros', async () => {
    // torch: [2, 0, 3, 0.5].prod() grad [0, 3, 0, 0]; cumprod(0).sum() grad [1, 11, 0, 0]
    const x = tensor([2, 0, 3, 0.5], f64);
    x.prod().backward();
    expect(await grad(x)).toEqual([0, 3, 0, 0]);
    const y = tensor([2, 0, 3, 0.5], f64);
    y.cumprod(0).sum().backward();
    expect(await grad(y)).toEqual([1, 11, 0, 0]);
    expect(await tensor([[1, 2], [3, 4]]).prod(1).toArray()).toEqual([2, 12]);
  });

  it('cumsum gives running sums; an int32 input stays int32', async () => {
    const c = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' }).cumsum(1);
    expect(c.dtype).toBe('int32');
    expect(await c.toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(() => tensor([1, 2]).cumsum(1)).toThrow(/^cumsum: got dim 1/);
  });

  it('all and any reduce to bools; an empty all is true and an empty any false', async () => {
    const x = tensor([[1, 0], [2, 3]]);
    expect(await x.all(1).toArray()).toEqual([false, true]);
    expect(await x.any(0).toArray()).toEqual([true, true]);
    expect(await x.all().toArray()).toBe(false);
    expect(await tensor([]).all().toArray()).toBe(true);
    expect(await tensor([]).any().toArray()).toBe(false);
  });
});

describe('selection', () => {
  it('topk(3) of [1, 5, 2, 5, 3] is values [5, 5, 3] at [1, 3, 4], as PyTorch', async () => {
    const { values, indices } = tensor([[1, 5, 2, 5, 3]]).topk(3);
    expect(await values.toArray()).toEqual([[5, 5, 3]]);
    expect(await indices.toArray()).toEqual([[1, 3, 4]]);
  });

  it('topk sends the gradient to the selected positions', async () => {
    const x = tensor([1, 5, 2, 4], f64);
    x.topk(2).values.mul(tensor([10, 1], { dtype: 'float64' })).sum().backward();
    expect(await grad(x)).toEqual([0, 10, 0, 1]);
  });

  it('sort({ descending, stable }) of [3, 1, 2, 1] is [3, 2, 1, 1] at [0, 2, 1, 3], and argsort agrees', async () => {
    const { values, indices } = tensor([3, 1, 2, 1]).sort({ descending: true, stable: true });
    expect(await values.toArray()).toEqual([3, 2, 1, 1]);
    expect(await indices.toArray()).toEqual([0, 2, 1, 3]);
    expect(await tensor([3, 1, 2, 1]).argsort({ descending: true }).toArray()).toEqual([0, 2, 1, 3]);
  });

  it('refuses k outside the dim and bad options, naming topk or sort', () => {
    expect(() => tensor([1, 2]).topk(3)).toThrow(IndexError);
    expect(() => tensor([1, 2]).topk(3)).toThrow(/^topk: got k 3, expected an integer in \[0, 2\]/);
    expect(() => tensor([1, 2]).sort({ descending: 'yes' as unknown as boolean })).toThrow(/^sort: got descending "yes", expected true or false/);
  });

  it('sorts bool tensors as 0 and 1, as PyTorch', async () => {
    expect(await tensor([true, false, true, false]).argsort().toArray()).toEqual([1, 3, 0, 2]);
    expect(await tensor([true, false, true]).sort({ descending: true }).values.toArray()).toEqual([true, true, false]);
  });

  it('maskedSelect, booleanMask and nonzero match PyTorch', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const picked = await x.maskedSelect(x.gt(2.5));
    expect(await picked.toArray()).toEqual([3, 4, 5, 6]);
    picked.sum().backward();
    expect(await grad(x)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(await (await tensor([[1, 2, 3], [4, 5, 6]]).booleanMask(tensor([true, false]))).toArray()).toEqual([[1, 2, 3]]);
    expect(await (await tensor([[0, 1], [2, 0]]).nonzero()).toArray()).toEqual([[0, 1], [1, 0]]);
    await expect(x.maskedSelect(tensor([1, 0, 1]))).rejects.toThrow(/^maskedSelect: got a mask of dtype float32, expected bool/);
    await expect(x.booleanMask(tensor([true, false, true]))).rejects.toThrow(/^booleanMask: got a mask of shape \[3\] for a tensor of shape \[2, 3\]/);
  });
});

describe('layout', () => {
  it('slice follows Python: x[1:6:2], negative starts, clamped ends', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7]);
    expect(await x.slice(0, 1, 6, 2).toArray()).toEqual([2, 4, 6]);
    expect(await x.slice(0, -3).toArray()).toEqual([5, 6, 7]);
    expect(await x.slice(0, 2, 100, 3).toArray()).toEqual([3, 6]);
    expect(await x.slice(0, 5, 2).toArray()).toEqual([]);
    expect(() => x.slice(0, 0, 5, 0)).toThrow(/^slice: got step 0, expected a positive integer/);
    expect(() => x.slice(0, 0.5)).toThrow(/^slice: got start 0.5, expected an integer or null/);
  });

  it('roll, chunk and split match PyTorch', async () => {
    expect(await tensor([1, 2, 3, 4, 5]).roll(2).toArray()).toEqual([4, 5, 1, 2, 3]);
    expect(await Promise.all(tensor([0, 1, 2, 3, 4, 5, 6]).chunk(3).map((c) => c.toArray()))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(await Promise.all(tensor([0, 1, 2, 3, 4, 5]).chunk(4).map((c) => c.toArray()))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(await Promise.all(tensor([0, 1, 2, 3, 4]).split([2, 3]).map((c) => c.toArray()))).toEqual([[0, 1], [2, 3, 4]]);
    expect(() => tensor([0, 1, 2]).split([1, 1])).toThrow(/^split: got sizes \[1, 1\] \(sum 2\) for dim 0 of size 3, expected them to sum to 3/);
    expect(() => tensor([1, 2]).roll([1, 2], 0)).toThrow(/^roll: got shifts \[1, 2\] and dims 0, expected one shift per dim/);
  });

  it('tril, triu, repeat, flip and outer match PyTorch', async () => {
    expect(await full([3, 4], 1).tril(-1).toArray()).toEqual([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]]);
    expect(await full([2, 3], 1).triu(1).toArray()).toEqual([[0, 1, 1], [0, 0, 1]]);
    expect(await tensor([[1, 2], [3, 4]]).repeat(2, 1, 2).toArray()).toEqual([[[1, 2, 1, 2], [3, 4, 3, 4]], [[1, 2, 1, 2], [3, 4, 3, 4]]]);
    expect(await tensor([[1, 2], [3, 4]]).flip([0, 1]).toArray()).toEqual([[4, 3], [2, 1]]);
    expect(await tensor([1, 2]).outer(tensor([3, 4, 5])).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(() => tensor([1, 2]).tril()).toThrow(/^tril: got shape \[2\], expected a tensor of rank ≥ 2/);
    expect(() => tensor([[1]]).repeat(2)).toThrow(/^repeat: got 1 sizes for a tensor of rank 2/);
    expect(() => tensor([[1]]).flip(2)).toThrow(/^flip: got dim 2/);
  });

  it('round goes half to even (PyTorch: [0, 2, 2, −0, −2]); floor, ceil and trunc as Math', async () => {
    expect(await tensor([0.5, 1.5, 2.5, -0.5, -2.5]).round().toArray()).toEqual([0, 2, 2, -0, -2]);
    expect(await tensor([-1.5, 1.5]).floor().toArray()).toEqual([-2, 1]);
    expect(await tensor([-1.5, 1.5]).ceil().toArray()).toEqual([-1, 2]);
    expect(await tensor([-1.5, 1.5]).trunc().toArray()).toEqual([-1, 1]);
  });

  it('erf matches PyTorch in float64 to 1e-15', async () => {
    const xs = [-3, -1.2, -0.5, 0, 1e-3, 0.3, 0.9, 1.7, 2.4, 2.6, 3.5, 5.5];
    const torch = [-0.9999779095030014, -0.9103139782296354, -0.5204998778130465, 0, 0.0011283787909692365, 0.3286267594591274, 0.7969082124228322, 0.9837904585907745, 0.999311486103355, 0.9997639655834707, 0.9999992569016276, 0.9999999999999927];
    const got = await tensor(xs, { dtype: 'float64' }).erf().data();
    torch.forEach((want, i) => expect(Math.abs(got[i] - want)).toBeLessThan(1e-15));
  });
});

describe('random draws', () => {
  it('randint stays in [low, high), is int32, and repeats from the same seed', async () => {
    manualSeed(3);
    const a = randint(-2, 5, [1000]);
    manualSeed(3);
    const b = randint(-2, 5, [1000]);
    expect(a.dtype).toBe('int32');
    const values = Array.from(await a.data());
    expect(values).toEqual(Array.from(await b.data()));
    expect(Math.min(...values)).toBe(-2);
    expect(Math.max(...values)).toBe(4);
    expect(() => randint(3, 3, [2])).toThrow(/^randint: got low 3 and high 3, expected integers with low < high/);
  });

  it('normal has the asked mean and std (10⁵ draws: within 4 standard errors)', async () => {
    manualSeed(4);
    const x = normal(3, 2, [100000], { dtype: 'float64' });
    const mean = await x.mean().item();
    const std = await x.std().item();
    expect(Math.abs(mean - 3)).toBeLessThan((4 * 2) / Math.sqrt(1e5));
    expect(Math.abs(std - 2)).toBeLessThan(0.04);
    const t = normal(tensor([0, 100]), 0.001);
    const v = (await t.toArray()) as number[];
    expect(Math.abs(v[1] - 100)).toBeLessThan(0.01);
    expect(() => normal(0, -1, [2])).toThrow(/^normal: got std -1, expected a non-negative number/);
  });

  it('bernoulli draws 1 with probability p', async () => {
    manualSeed(5);
    const x = bernoulli(full([20000], 0.3));
    expect(x.dtype).toBe('float32');
    const rate = await x.mean().item();
    expect(Math.abs(rate - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / 20000));
    expect(() => bernoulli(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });

  it('multinomial with replacement draws in proportion to the weights and never a zero weight', async () => {
    manualSeed(6);
    const draws = Array.from(await multinomial(tensor([1, 0, 3]), 20000, { replacement: true }).data());
    const counts = [0, 1, 2].map((c) => draws.filter((d) => d === c).length / draws.length);
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] - 0.75)).toBeLessThan(0.02);
  });

  it('multinomial without replacement gives distinct categories, the heavy ones first most often', async () => {
    manualSeed(7);
    const rows = (await multinomial(full([2000, 4], 1).mul(tensor([1, 2, 4, 8])), 3).toArray()) as number[][];
    for (const r of rows) expect(new Set(r).size).toBe(3);
    const firstIs3 = rows.filter((r) => r[0] === 3).length / rows.length;
    expect(Math.abs(firstIs3 - 8 / 15)).toBeLessThan(0.05);
    expect(() => multinomial(tensor([1, 2]), 3)).toThrow(/^multinomial: got n 3 for 2 categories without replacement/);
    expect(() => multinomial(tensor([[[1]]]), 1)).toThrow(ShapeError);
  });

  it('multinomial repeats exactly from the same seed', async () => {
    manualSeed(8);
    const a = Array.from(await multinomial(tensor([[0.2, 0.5, 0.3]]), 50, { replacement: true }).data());
    manualSeed(8);
    const b = Array.from(await multinomial(tensor([[0.2, 0.5, 0.3]]), 50, { replacement: true }).data());
    expect(a).toEqual(b);
  });

  it('give the same draws on 1 and 2 threads, with the pool really used', async () => {
    const limit = getInlineLimit();
    const drawAll = async (threads: number) => {
      setNumThreads(threads);
      setInlineLimit(0);
      await synchronize();
      const before = runtimeStats().poolLaunches;
      manualSeed(11);
      const ints = randint(0, 1000, [300000]);
      const gauss = normal(1, 3, [300000]);
      const picks = multinomial(full([64, 1000], 1).cumsum(1), 4);
      const coins = bernoulli(full([300000], 0.25));
      const out = await Promise.all([ints, gauss, picks, coins].map(async (t) => Array.from(await t.data())));
      expect(runtimeStats().poolLaunches - before, 'pool launches').toBeGreaterThan(0);
      return out;
    };
    try {
      const one = await drawAll(1);
      const two = await drawAll(2);
      one.forEach((values, k) => expect(values, `draw ${k}`).toEqual(two[k]));
    } finally {
      setInlineLimit(limit);
      setNumThreads(availableParallelism());
    }
  }, 60_000);
});
