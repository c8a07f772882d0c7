// Tensors themselves: creation, views that share storage, contiguous/detach/to, reads,
// toString, and the errors users meet first (each a SkeinError naming the op, what it got and
// what it expected).
import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import {
  arange, AutogradError, cat, DTypeError, eye, full, IndexError, linspace, manualSeed, ones, onesLike, rand, randn, randnLike,
  runtimeStats, setNumThreads, ShapeError, SkeinError, synchronize, tensor, Tensor, ValueError, zeros, zerosLike,
} from '../src/index.js';
import { firstBitDifference } from './support/inputs.js';

/** Draws for the moment checks; the standard error of a mean of N(0, 1) draws is 1/√N ≈ 0.0032. */
const DRAWS = 100_000;
/** Five standard errors: a correct generator fails this about once in 1.7 million runs. */
const MEAN_TOL = 5 / Math.sqrt(DRAWS);
/** The standard error of the sample std of normal draws is ≈ 1/√(2N) ≈ 0.0022; five of them. */
const STD_TOL = 5 / Math.sqrt(2 * DRAWS);

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (values.length - 1)) };
}

afterAll(() => setNumThreads(availableParallelism()));

describe('tensor()', () => {
  it.each([
    ['nested numbers make a float32 tensor', [[1, 2, 3], [4, 5, 6]], undefined, [2, 3], 'float32', [[1, 2, 3], [4, 5, 6]]],
    ['nested booleans make a bool tensor', [[true, false]], undefined, [1, 2], 'bool', [[true, false]]],
    ['one number makes a 0-d tensor', 2.5, undefined, [], 'float32', 2.5],
    ['an empty array makes a [0] tensor', [], undefined, [0], 'float32', []],
    ['a dtype option converts (int32 truncates toward zero)', [1.7, -1.7], 'int32', [2], 'int32', [1, -1]],
    ['a Float64Array keeps float64', new Float64Array([0.1, 0.2]), undefined, [2], 'float64', [0.1, 0.2]],
    ['an Int32Array keeps int32', new Int32Array([3, -4]), undefined, [2], 'int32', [3, -4]],
    ['a Uint8Array is a bool mask', new Uint8Array([0, 7]), undefined, [2], 'bool', [false, true]],
    ['a Float32Array can be made float64', new Float32Array([0.5]), 'float64', [1], 'float64', [0.5]],
  ] as const)('%s', async (_, data, dtype, shape, wantDtype, values) => {
    const t = tensor(data as never, dtype === undefined ? undefined : { dtype });
    expect(t.shape).toEqual(shape);
    expect(t.dtype).toBe(wantDtype);
    expect(await t.toArray()).toEqual(values);
  });

  it('copies its input: changing the array afterwards changes nothing', async () => {
    const source = new Float32Array([1, 2]);
    const t = tensor(source);
    source[0] = 99;
    expect(await t.toArray()).toEqual([1, 2]);
  });

  it('makes a leaf that requires grad when asked', () => {
    const t = tensor([1, 2], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
  });
});

describe('constant and range constructors', () => {
  it.each([
    ['zeros([2, 3])', () => zeros([2, 3]), 'float32', [[0, 0, 0], [0, 0, 0]]],
    ['ones(3) with a number shape', () => ones(3), 'float32', [1, 1, 1]],
    ['full([2], 7, int32)', () => full([2], 7, { dtype: 'int32' }), 'int32', [7, 7]],
    ['full([], -0.5) is 0-d', () => full([], -0.5), 'float32', -0.5],
    ['zerosLike keeps shape and dtype', () => zerosLike(tensor([[1, 2]], { dtype: 'float64' })), 'float64', [[0, 0]]],
    ['onesLike of an int32 tensor', () => onesLike(tensor([5, 6], { dtype: 'int32' })), 'int32', [1, 1]],
    ['arange(5) counts integers as int32', () => arange(5), 'int32', [0, 1, 2, 3, 4]],
    ['arange(1, 2, 0.25) steps in float32', () => arange(1, 2, 0.25), 'float32', [1, 1.25, 1.5, 1.75]],
    ['arange(3, 0, -1) counts down', () => arange(3, 0, -1), 'int32', [3, 2, 1]],
    ['arange(0) is empty', () => arange(0), 'int32', []],
    ['linspace(0, 1, 5) includes both ends', () => linspace(0, 1, 5), 'float32', [0, 0.25, 0.5, 0.75, 1]],
    ['linspace(2, 3, 1) is the start alone', () => linspace(2, 3, 1), 'float32', [2]],
    ['eye(3)', () => eye(3), 'float32', [[1, 0, 0], [0, 1, 0], [0, 0, 1]]],
    ['eye(2, 3)', () => eye(2, 3), 'float32', [[1, 0, 0], [0, 1, 0]]],
  ] as const)('%s', async (_, make, dtype, values) => {
    const t = make();
    expect(t.dtype).toBe(dtype);
    expect(await t.toArray()).toEqual(values);
  });

  it('ends linspace exactly at its end, where start + i·step would round short', async () => {
    const t = linspace(0, 0.3, 4, { dtype: 'float64' });
    expect((await t.data())[3]).toBe(0.3);
  });
});

describe('random draws', () => {
  it('repeat the same bits after the same manualSeed', async () => {
    manualSeed(1234);
    const a = await randn([1000]).data();
    const b = await rand([1000]).data();
    manualSeed(1234);
    expect(firstBitDifference(await randn([1000]).data(), a)).toBe(-1);
    expect(firstBitDifference(await rand([1000]).data(), b)).toBe(-1);
  });

  it('differ from one draw to the next and between seeds', async () => {
    manualSeed(1);
    const first = Array.from(await randn([8]).data());
    const second = Array.from(await randn([8]).data());
    manualSeed(2);
    const other = Array.from(await randn([8]).data());
    expect(second).not.toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('give the same bits on 1 and 2 threads, at a size split across threads', async () => {
    const drawn = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      manualSeed(77);
      await synchronize();
      const split = (): number => runtimeStats().laneLaunches + runtimeStats().poolLaunches;
      const before = split();
      const x = randn([DRAWS]);
      const u = rand([DRAWS], { dtype: 'float64' });
      await synchronize();
      if (threads > 1) expect(split() - before, 'launches split across threads').toBeGreaterThanOrEqual(2);
      drawn.push([await x.data(), await u.data()]);
    }
    expect(firstBitDifference(drawn[0][0], drawn[1][0])).toBe(-1);
    expect(firstBitDifference(drawn[0][1], drawn[1][1])).toBe(-1);
  });

  it('randn has mean ≈ 0 and std ≈ 1 over 100k draws', async () => {
    manualSeed(5);
    const { mean, std } = moments(await randn([DRAWS]).data());
    expect(Math.abs(mean)).toBeLessThan(MEAN_TOL);
    expect(Math.abs(std - 1)).toBeLessThan(STD_TOL);
  });

  it('rand lies in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12', async () => {
    manualSeed(6);
    const values = await rand([DRAWS], { dtype: 'float64' }).data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const { mean, std } = moments(values);
    // The std of U(0, 1) is 1/√12 ≈ 0.289, so its standard errors are smaller than the normal's.
    expect(Math.abs(mean - 0.5)).toBeLessThan(MEAN_TOL * 0.289);
    expect(Math.abs(std - Math.sqrt(1 / 12))).toBeLessThan(STD_TOL);
  });

  it('randnLike keeps the shape and dtype, and requiresGrad is an option', () => {
    const t = randnLike(zeros([2, 3], { dtype: 'float64' }), { requiresGrad: true });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
  });
});

describe('views', () => {
  const base = () => tensor([[1, 2, 3], [4, 5, 6]]);
  it.each([
    ['t()', (x: Tensor) => x.t(), [[1, 4], [2, 5], [3, 6]]],
    ['transpose(0, 1)', (x: Tensor) => x.transpose(0, 1), [[1, 4], [2, 5], [3, 6]]],
    ['permute(1, 0)', (x: Tensor) => x.permute(1, 0), [[1, 4], [2, 5], [3, 6]]],
    ['view([3, 2])', (x: Tensor) => x.view([3, 2]), [[1, 2], [3, 4], [5, 6]]],
    ['reshape([6]) of a contiguous tensor', (x: Tensor) => x.reshape([6]), [1, 2, 3, 4, 5, 6]],
    ['narrow(1, 1, 2)', (x: Tensor) => x.narrow(1, 1, 2), [[2, 3], [5, 6]]],
    ['unsqueeze(1)', (x: Tensor) => x.unsqueeze(1), [[[1, 2, 3]], [[4, 5, 6]]]],
    ['expand of a [1, 3] slice', (x: Tensor) => x.narrow(0, 1, 1).expand([2, 3]), [[4, 5, 6], [4, 5, 6]]],
    ['squeeze of a [1, 3] slice', (x: Tensor) => x.narrow(0, 0, 1).squeeze(0), [1, 2, 3]],
  ] as const)('%s shares storage, and a write to the base shows through it', async (_, make, values) => {
    const x = base();
    const v = make(x);
    expect(v.storage).toBe(x.storage);
    expect(await v.toArray()).toEqual(values);
    x.add_(100);
    const shifted = JSON.parse(JSON.stringify(values), (_k, n) => (typeof n === 'number' ? n + 100 : n));
    expect(await v.toArray()).toEqual(shifted);
  });

  it('writes through a transposed view land in the base', async () => {
    const x = base();
    x.t().narrow(0, 2, 1).fill_(0); // column 2 of x
    expect(await x.toArray()).toEqual([[1, 2, 0], [4, 5, 0]]);
  });

  it('reshape of a non-contiguous tensor copies, view refuses it', async () => {
    const x = base().t();
    const r = x.reshape([6]);
    expect(r.storage).not.toBe(x.storage);
    expect(await r.toArray()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => x.view([6])).toThrow(ShapeError);
  });

  it('contiguous() returns the tensor itself when contiguous and a row-major copy otherwise', async () => {
    const x = base();
    expect(x.contiguous()).toBe(x);
    const t = x.t();
    expect(t.isContiguous()).toBe(false);
    const c = t.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.storage).not.toBe(x.storage);
    expect(c.strides).toEqual([2, 1]);
    expect(await c.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  it('clone() copies even a contiguous tensor', async () => {
    const x = base();
    const c = x.clone();
    expect(c.storage).not.toBe(x.storage);
    x.zero_();
    expect(await c.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('detach() shares storage and leaves the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const d = y.detach();
    expect(d.storage).toBe(y.storage);
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(y.gradFn).not.toBeNull();
  });

  it.each([
    ['float32 → float64', tensor([0.5, -2]), 'float64', [0.5, -2]],
    ['float32 → int32 truncates toward zero', tensor([2.9, -2.9]), 'int32', [2, -2]],
    ['float32 → bool is non-zero', tensor([0, -0.5]), 'bool', [false, true]],
    ['bool → float32', tensor([true, false]), 'float32', [1, 0]],
    ['int32 → float64', tensor([3], { dtype: 'int32' }), 'float64', [3]],
  ] as const)('to(dtype) converts %s', async (_, x, dtype, values) => {
    const y = x.to(dtype);
    expect(y.dtype).toBe(dtype);
    expect(await y.toArray()).toEqual(values);
  });

  it('to() its own dtype returns the tensor itself', () => {
    const x = tensor([1]);
    expect(x.to('float32')).toBe(x);
  });
});

describe('reads', () => {
  it('data() is a row-major copy, of a view too, that does not alias the tensor', async () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const d = await x.t().data();
    expect(d).toBeInstanceOf(Float64Array);
    expect(Array.from(d)).toEqual([1, 3, 2, 4]);
    d[0] = 99;
    expect(await x.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('toArray() nests by shape, gives booleans for bool and a number for 0-d', async () => {
    expect(await tensor([[1, 2, 3]]).toArray()).toEqual([[1, 2, 3]]);
    expect(await tensor([true]).toArray()).toEqual([true]);
    expect(await tensor(4).toArray()).toBe(4);
    expect(await zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it('item() reads the one element of a tensor of any rank', async () => {
    expect(await tensor([[7]]).item()).toBe(7);
    expect(await tensor(3).sum().item()).toBe(3);
  });
});

describe('toString', () => {
  it('shows shape, dtype and values once computed', async () => {
    const x = tensor([[1, 2], [3, 4]]);
    await synchronize();
    expect(String(x)).toBe('Tensor(shape=[2, 2], dtype=float32, values=[[1,2],[3,4]])');
  });

  it('shows requiresGrad and the op that made a tensor', async () => {
    const y = tensor([1], { requiresGrad: true }).mul(2);
    await synchronize();
    expect(String(y)).toBe('Tensor(shape=[1], dtype=float32, requiresGrad, gradFn=mul, values=[2])');
  });

  it('shows NaN and infinities as such', async () => {
    const x = tensor([NaN, Infinity, -Infinity, 1.5]);
    await synchronize();
    expect(String(x)).toContain('values=[NaN,Infinity,-Infinity,1.5]');
  });

  it('shows bool values as true/false', async () => {
    const x = tensor([true, false]);
    await synchronize();
    expect(String(x)).toContain('values=[true,false]');
  });

  it('prints the values (summarised) even while a large op still runs on the pool', async () => {
    setNumThreads(2);
    const a = ones([384, 384]);
    const c = a.matmul(a);
    const text = String(c);
    expect(text).toBe('Tensor(shape=[384, 384], dtype=float32, values=[[384,384,384,...,384,384,384],[384,384,384,...,384,384,384],[384,384,384,...,384,384,384],...,[384,384,384,...,384,384,384],[384,384,384,...,384,384,384],[384,384,384,...,384,384,384]])');
    await synchronize();
    expect(String(c)).toBe(text);
  });
});

describe('errors', () => {
  const x23 = () => tensor([[1, 2, 3], [4, 5, 6]]);
  it.each([
    // [what, call, class, message: the op's name, what it got, what it expected]
    ['ragged nested arrays', () => tensor([[1, 2], [3]]), ShapeError, /^tensor: got ragged nested arrays \(a row of length 1 at depth 1\); expected a rectangular shape like \[2, 2\]/],
    ['a string element', () => tensor([1, 'a' as never]), ValueError, /^tensor: got an element "a", expected numbers or booleans/],
    ['a negative size', () => zeros([2, -1]), ShapeError, /^zeros: got size \[2, -1\], expected non-negative integers|^full: got size \[2, -1\], expected non-negative integers/],
    ['a zero arange step', () => arange(0, 1, 0), ValueError, /^arange: got start 0, end 1, step 0; expected .*non-zero step/],
    ['a negative linspace count', () => linspace(0, 1, -1), ValueError, /^linspace: got steps -1, expected a non-negative integer/],
    ['a negative seed', () => manualSeed(-1), ValueError, /^manualSeed: got -1, expected a non-negative safe integer/],
    ['an int32 randn', () => randn([2], { dtype: 'int32' }), ValueError, /^randn: got dtype int32, expected float32 or float64/],
    ['an unknown dtype', () => tensor([1]).to('float16' as never), DTypeError, /^to: got dtype "float16", expected one of float32, float64, int32, bool/],
    ['shapes that do not broadcast', () => x23().add(tensor([1, 2])), ShapeError, /^add: shapes \[2, 3\] and \[2\] do not broadcast \(dim -1 is 3 vs 2; expected equal sizes or 1\)/],
    ['a number-free non-tensor operand', () => x23().mul('2' as never), ValueError, /^mul: got string, expected a tensor of the same kind or a number/],
    ['matmul inner dims that differ', () => x23().matmul(x23()), ShapeError, /^matmul: got shapes \[2, 3\] and \[2, 3\], expected a's last dim \(3\) to equal b's second-to-last \(2\)/],
    ['matmul of int32 tensors', () => tensor([[1]], { dtype: 'int32' }).matmul(tensor([[1]], { dtype: 'int32' })), DTypeError, /^matmul: got dtypes int32 and int32, expected two float32 or two float64 operands/],
    ['mm of a 3-D tensor', () => zeros([1, 2, 2]).mm(zeros([2, 2])), ShapeError, /^mm: got shapes \[1, 2, 2\] and \[2, 2\], expected two 2-D tensors/],
    ['bmm with unequal batches', () => zeros([2, 2, 2]).bmm(zeros([3, 2, 2])), ShapeError, /^bmm: got shapes \[2, 2, 2\] and \[3, 2, 2\], expected two 3-D tensors with equal batch sizes/],
    ['a reshape to another element count', () => x23().reshape([4]), ShapeError, /^reshape: cannot view shape \[2, 3\] \(6 elements\) as \[4\] \(4 elements\); expected equal element counts/],
    ['a view of a transposed tensor', () => x23().t().view([6]), ShapeError, /^view: shape \[6\] is not compatible with the input's layout \(shape \[3, 2\], strides \[1, 3\]\); expected a contiguous input, or call reshape\(\)/],
    ['a dim out of range', () => x23().transpose(0, 2), IndexError, /^transpose: got dim 2, expected an integer in \[-2, 1\] for a tensor of rank 2/],
    ['a permute that is no permutation', () => x23().permute(0, 0), ShapeError, /^permute: got dims \[0, 0\] for shape \[2, 3\], expected a permutation of 2 dims/],
    ['an expand of a non-1 dim', () => x23().expand([2, 4]), ShapeError, /^expand: cannot expand shape \[2, 3\] to \[2, 4\]; expected each dim to match or be 1/],
    ['a squeeze of a dim of size 3', () => x23().squeeze(1), ShapeError, /^squeeze: dim 1 of shape \[2, 3\] has size 3, expected 1/],
    ['a narrow past the end', () => x23().narrow(1, 2, 2), ShapeError, /^narrow: got start 2 and length 2 on dim 1 of shape \[2, 3\], expected 0 ≤ start ≤ start \+ length ≤ 3/],
    ['a cat of mismatched shapes', () => cat([x23(), zeros([2, 2])], 0), ShapeError, /^cat: got shapes \[2, 3\], \[2, 2\], expected equal sizes except in dim 0/],
    ['a cat of nothing', () => cat([], 0), ShapeError, /^cat: got no tensors, expected a non-empty array/],
    ['a float index', () => x23().indexSelect(0, tensor([0])), DTypeError, /^indexSelect: got an index of dtype float32, expected int32/],
    ['a repeated reduction dim', () => x23().sum([1, 1]), IndexError, /^sum: dims \[1,1\] repeat a dim; expected each dim once/],
    ['a max over an empty dim', () => zeros([0, 2]).amax(0), ShapeError, /^max: got an empty reduced dim in shape \[0, 2\], expected non-zero sizes/],
    ['an argmax of a bool mask', () => tensor([true]).argmax(), DTypeError, /^argmax: got dtype bool, expected a numeric dtype/],
    ['a NaN clamp bound', () => x23().clamp({ min: NaN }), ValueError, /^clamp: got min NaN and max Infinity, expected numbers \(not NaN\)/],
    ['item() of several elements', () => x23().item(), ValueError, /^item: got a tensor of shape \[2, 3\], expected exactly one element/],
    ['requiresGrad on an int32 tensor', () => tensor([1], { dtype: 'int32', requiresGrad: true }), DTypeError, /^requiresGrad: got a tensor of dtype int32; only float32 and float64 tensors can require gradients/],
    ['backward from a non-scalar', () => tensor([1, 2], { requiresGrad: true }).mul(2).backward(), AutogradError, /^backward: got an output of shape \[2\]; .*expected a gradient argument of that shape/],
    ['zero threads', () => setNumThreads(0), ValueError, /^setNumThreads: got 0, expected an integer from 1 to \d+ \(4 × the \d+ cores/],
  ] as const)('%s is a SkeinError naming the op, what it got and what it expected', async (_, call, type, message) => {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(SkeinError);
    expect((error as Error).name).toBe(type.name);
    expect((error as Error).message).toMatch(message);
  });

  it('reports an index out of range when the read awaits the gather, naming the op', async () => {
    const out = tensor([1, 2, 3]).gather(0, tensor([5], { dtype: 'int32' }));
    await expect(out.data()).rejects.toThrow(IndexError);
    const again = tensor([1, 2, 3]).gather(0, tensor([5], { dtype: 'int32' }));
    await expect(again.data()).rejects.toThrow(/^gather: index 5 is out of range for a dim of size 3/);
    await synchronize().catch(() => undefined);
  });
});
