// The API contract, one table per class of defect found by the independent probe (issue 12):
// bad input in → the exact SkeinError subclass, a message naming the op the user called with the
// value as they passed it, and every target tensor bit-identical afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  arange, cat, DTypeError, multinomial, eye, full, gradcheck, graph, IndexError, linspace, load, nn, ones, optim, save,
  setNumThreads, ShapeError, SkeinError, stack, synchronize, tensor, ValueError, zeros, zerosLike, type Tensor,
} from '../../src/index.js';
import { CheckpointError } from '../../src/io/index.js';

type ErrorClass = new (...args: any[]) => SkeinError;

/** A row: `make` builds the targets and returns the bad call on them. */
interface Row {
  name: string;
  make: () => { targets: Tensor[]; act: () => unknown };
  error: ErrorClass;
  message: RegExp;
}

const row = (name: string, make: Row['make'], error: ErrorClass, message: RegExp): Row => ({ name, make, error, message });
/** A row with no tensor of the user's to protect. */
const call = (name: string, act: () => unknown, error: ErrorClass, message: RegExp): Row => row(name, () => ({ targets: [], act }), error, message);

async function bits(t: Tensor): Promise<number[]> {
  const v = await t.data();
  return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

/** Runs the row: sync throw or rejected promise, the class and message, then the targets' bits. */
async function check(r: Row): Promise<void> {
  const { targets, act } = r.make();
  const before = await Promise.all(targets.map(bits));
  let caught: unknown = null;
  try {
    const out = act();
    if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).then === 'function') await out;
    else if (out !== null && typeof out === 'object' && 'storage' in (out as object)) await (out as Tensor).data();
  } catch (err) {
    caught = err;
  }
  expect(caught, `${r.name}: threw nothing`).not.toBeNull();
  expect((caught as Error).constructor.name, `${r.name}: ${(caught as Error).message}`).toBe(r.error.name);
  expect(caught).toBeInstanceOf(r.error);
  expect((caught as Error).message).toMatch(r.message);
  const after = await Promise.all(targets.map(bits));
  expect(after, `${r.name}: targets changed`).toEqual(before);
}

const param = () => new nn.Linear(3, 2);

describe('1. JavaScript errors no longer leak out', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });
  const cyclic = () => {
    const a: unknown[] = [1];
    a.push(a);
    return a;
  };
  const selfNested = () => {
    const a: unknown[] = [];
    a.push(a);
    return a;
  };
  const deep = () => {
    let a: unknown = [1];
    for (let i = 0; i < 20_000; i++) a = [a];
    return a;
  };
  const ROWS: Row[] = [
    call('a tensor of BigInts', () => tensor([1n, 2n] as never), ValueError, /^tensor: got an element 1n, expected numbers or booleans/),
    call('a tensor of a cyclic array', () => tensor(cyclic() as never), ValueError, /^tensor: got an element \[1, \[/),
    call('an array that contains itself', () => tensor(selfNested() as never), ShapeError, /^tensor: got arrays nested more than 64 deep/),
    call('a 20,000-deep array', () => tensor(deep() as never), ShapeError, /^tensor: got arrays nested more than 64 deep/),
    call('zeros([1e9, 1e9])', () => zeros([1e9, 1e9]), ValueError, /^zeros: a tensor of shape \[1000000000, 1000000000\] needs 4\.000e\+18 bytes/),
    call('ones(1e12)', () => ones(1e12), ValueError, /^ones: a tensor of shape \[1000000000000\] needs 4\.000e\+12 bytes/),
    call('arange(0, 1e12)', () => arange(0, 1e12), ValueError, /^arange: a tensor of shape \[1000000000000\] needs 4\.000e\+12 bytes/),
    row('an expand made contiguous', () => {
      const x = ones([1]);
      return { targets: [x], act: () => x.expand([1e6, 1e6]).contiguous() };
    }, ValueError, /^contiguous: a tensor of shape \[1000000, 1000000\] needs 4\.000e\+12 bytes/),
    call('zeros(null)', () => zeros(null as never), ShapeError, /^zeros: got size null, expected a non-negative integer or an array of them/),
    call('zerosLike(5)', () => zerosLike(5 as never), ValueError, /^zerosLike: got 5, expected a tensor/),
    call('an unknown dtype in arange', () => arange(0, 5, 1, { dtype: 'float16' as never }), DTypeError, /^arange: got dtype "float16", expected one of/),
    call('an unknown dtype in linspace', () => linspace(0, 1, 3, { dtype: 'half' as never }), DTypeError, /^linspace: got dtype "half"/),
    call('an unknown dtype in eye', () => eye(3, 3, { dtype: 7 as never }), DTypeError, /^eye: got dtype 7/),
    call('a placeholder of shape undefined', () => new graph.Graph().placeholder('float32', undefined as never), ShapeError, /^placeholder: got shape undefined, expected an array of sizes/),
    call("a placeholder of shape 'abc'", () => new graph.Graph().placeholder('float32', 'abc' as never), ShapeError, /^placeholder: got shape "abc", expected an array of sizes/),
    call('gradcheck(5, …)', () => gradcheck(5 as never, []), ValueError, /^gradcheck: got fn 5, expected a function/),
    call('gradcheck with inputs that are not tensors', () => gradcheck((x) => x, [3 as never]), ValueError, /^gradcheck: got 3 at inputs\[0\], expected a tensor/),
    call('save to a missing directory', () => save({ a: ones([2]) }, '/no/such/dir/x.safetensors'), CheckpointError, /^save: cannot write \/no\/such\/dir\/x\.safetensors \(its directory \/no\/such\/dir does not exist\)/),
    call('save to a number', () => save({ a: ones([2]) }, 5 as never), ValueError, /^save: got path 5, expected a file path string/),
    call('load from a number', () => load(5 as never), ValueError, /^load: got path 5/),
    row("a module's forward(undefined)", () => {
      const m = param();
      return { targets: [m.weight], act: () => m.forward(undefined as never) };
    }, ValueError, /^Linear\.forward: got input undefined, expected a tensor/),
    call('new SGD(model)', () => new optim.SGD(param() as never, { lr: 0.1 }), ValueError, /^SGD: got a Linear as params, expected its parameters: pass model\.parameters\(\)/),
    call('new Adam(5)', () => new optim.Adam(5 as never), ValueError, /^Adam: got params 5, expected an iterable of tensors/),
    call('clipGradNorm(null)', () => optim.clipGradNorm(null as never, 1), ValueError, /^clipGradNorm: got params null, expected a tensor or an iterable of tensors/),
    row('clipGradNorm of a parameter whose .grad is a number', () => {
      const m = param();
      (m.weight as { grad: unknown }).grad = 5;
      return { targets: [m.weight], act: () => optim.clipGradNorm(m.parameters(), 1) };
    }, ValueError, /^clipGradNorm: params\[0\] has \.grad 5, expected a tensor or null/),
    row('step() with a parameter whose .grad is not a tensor', () => {
      const m = param();
      const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
      m.bias!.grad = ones([2]);
      (m.weight as { grad: unknown }).grad = [1, 2];
      return { targets: [m.weight, m.bias!], act: () => opt.step() };
    }, ValueError, /^SGD\.step: group 0 parameter 0 \(shape \[2, 3\]\) has \.grad \[1, 2\], expected a tensor or null/),
  ];
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_, r) => {
    dir ||= await mkdtemp(join(tmpdir(), 'skein-contract-'));
    await check(r);
  });
});

describe('2. silent acceptance is refused', () => {
  const idx = (v: number[]) => tensor(v, { dtype: 'int32' });
  const ROWS: Row[] = [
    call('tensor([1e10], int32)', () => tensor([1e10], { dtype: 'int32' }), ValueError, /^tensor: got value 10000000000 for an int32 tensor, expected an integer in \[-2147483648, 2147483647\]/),
    call('Infinity in int32', () => tensor([1, Infinity], { dtype: 'int32' }), ValueError, /^tensor: got value Infinity for an int32 tensor/),
    call('NaN in int32', () => tensor([NaN], { dtype: 'int32' }), ValueError, /^tensor: got value NaN for an int32 tensor/),
    call('a Float64Array of 3e9 as int32', () => tensor(Float64Array.of(3e9), { dtype: 'int32' }), ValueError, /^tensor: got value 3000000000 for an int32 tensor/),
    call('a dtype string instead of options', () => tensor([1], 'int32' as never), ValueError, /^tensor: got options "int32", expected an options object such as \{ dtype: "int32" \}/),
    call('arange(0, 10, -1)', () => arange(0, 10, -1), ValueError, /^arange: got start 0, end 10, step -1; expected a step whose sign goes from start towards end/),
    call('arange with dtype bool', () => arange(0, 4, 1, { dtype: 'bool' }), DTypeError, /^arange: got dtype bool/),
    row('bool sub', () => {
      const a = tensor([true, false]);
      return { targets: [a], act: () => a.sub(tensor([false, true])) };
    }, DTypeError, /^sub: got two bool tensors/),
    row('bool neg', () => {
      const a = tensor([true]);
      return { targets: [a], act: () => a.neg() };
    }, DTypeError, /^neg: got a bool tensor/),
    row('bool sub_ in place', () => {
      const a = tensor([true, false]);
      return { targets: [a], act: () => a.sub_(tensor([true, true])) };
    }, DTypeError, /^sub_: got two bool tensors/),
    row('a negative index in indexSelect', () => {
      const x = tensor([1, 2, 3]);
      return { targets: [x], act: () => x.indexSelect(0, idx([-1])) };
    }, IndexError, /^indexSelect: index -1 is out of range for a dim of size 3, expected 0 ≤ index < 3/),
    row('a negative index in gather', () => {
      const x = tensor([[1, 2, 3]]);
      return { targets: [x], act: () => x.gather(1, idx([-1]).reshape([1, 1])) };
    }, IndexError, /^gather: index -1 is out of range/),
    row('a negative index in indexAdd', () => {
      const x = zeros([3]);
      return { targets: [x], act: () => x.indexAdd(0, idx([-2]), ones([1])) };
    }, IndexError, /^indexAdd: index -2 is out of range/),
    row('a negative index into an Embedding', () => {
      const e = new nn.Embedding(4, 2);
      return { targets: [e.weight], act: () => e.forward(idx([0, -1])) };
    }, IndexError, /^Embedding: indexSelect: index -1 is out of range for a dim of size 4/),
    row('a negative crossEntropy target', () => {
      const logits = tensor([[1, 2, 3]], { requiresGrad: true });
      return { targets: [logits], act: () => nn.crossEntropy(logits, idx([-1])) };
    }, IndexError, /^crossEntropy: gather: index -1 is out of range for a dim of size 3/),
    call('cat of 0-d tensors', () => cat([tensor(1), tensor(2)]), ShapeError, /^cat: got a zero-dimensional tensor at position 0, which cannot be concatenated/),
    call('an optimizer option weight_decay', () => new optim.SGD(param().parameters(), { lr: 0.1, weight_decay: 0.1 } as never), ValueError, /^SGD: got an unknown option "weight_decay" \(did you mean weightDecay\?\)/),
    call('an optimizer option learningRate', () => new optim.Adam(param().parameters(), { learningRate: 0.1 } as never), ValueError, /^Adam: got an unknown option "learningRate", expected one of lr, betas, eps, weightDecay/),
    call('amsgrad, not implemented', () => new optim.Adam(param().parameters(), { amsgrad: true } as never), ValueError, /^Adam: got option amsgrad, which Skein does not implement/),
    call('an unknown key in a parameter group', () => new optim.SGD([{ params: param().parameters(), momentun: 0.9 } as never], { lr: 0.1 }), ValueError, /^SGD: got an unknown option "momentun"/),
    call('a string lr', () => new optim.SGD(param().parameters(), { lr: '0.1' as never }), ValueError, /^SGD: got lr "0\.1", expected a number/),
    call('a string lr in a group', () => new optim.SGD([{ params: param().parameters(), lr: '0.1' as never }], { lr: 0.1 }), ValueError, /^SGD: got lr "0\.1", expected a number/),
    row('a gradient of the wrong shape in step()', () => {
      const m = param();
      const opt = new optim.Adam(m.parameters());
      m.bias!.grad = ones([2]);
      m.weight.grad = ones([3, 2]);
      return { targets: [m.weight, m.bias!], act: () => opt.step() };
    }, ShapeError, /^Adam\.step: group 0 parameter 0 has shape \[2, 3\] but its \.grad has shape \[3, 2\]/),
    call('setNumThreads(1024) on this machine', () => setNumThreads(1024), ValueError, /^setNumThreads: got 1024, expected an integer from 1 to \d+ \(4 × the \d+ cores of this machine\)/),
  ];
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_, r) => {
    await check(r);
  });
});

describe('3. wrong values are fixed or refused', () => {
  it('infers float32 from numbers mixed with booleans, as PyTorch', async () => {
    const t = tensor([0.5, true, false] as never);
    expect(t.dtype).toBe('float32');
    expect(await t.toArray()).toEqual([0.5, 1, 0]);
    expect(tensor([true, false]).dtype).toBe('bool');
  });

  it('sums int32 exactly (in doubles), and refuses a sum that does not fit int32 rather than wrap', async () => {
    // 3 × 2³⁰ = 3221225472 > 2³¹ − 1: PyTorch's int64 sum; Skein has no int64.
    const big = tensor([2 ** 30, 2 ** 30, 2 ** 30], { dtype: 'int32' });
    await expect(big.sum().data()).rejects.toThrow(ValueError);
    await expect(big.sum().data()).rejects.toThrow(/^sum: the int32 result 3221225472 overflows int32 \(PyTorch sums integers in int64; Skein has no int64\)/);
    expect(await big.double().sum().item()).toBe(3221225472);
    // Cancelling terms stay exact: the partial sums may leave int32 as long as the total fits.
    expect(await tensor([2 ** 30, 2 ** 30, -(2 ** 30), -(2 ** 30), 7], { dtype: 'int32' }).sum().item()).toBe(7);
    expect(await big.toArray()).toEqual([2 ** 30, 2 ** 30, 2 ** 30]);
  });

  const overlap: Row[] = [
    row('x.add_(x.t())', () => {
      const x = tensor([[1, 2], [3, 4]]);
      return { targets: [x], act: () => x.add_(x.t()) };
    }, ValueError, /^add_: some elements of an input \(shape \[2, 2\], strides \[1, 2\], offset 0\) and the written-to tensor \(shape \[2, 2\], strides \[2, 1\], offset 0\) refer to the same memory/),
    row('copy_ between overlapping shifted views', () => {
      const x = tensor([1, 2, 3, 4]);
      return { targets: [x], act: () => x.narrow(0, 1, 3).copy_(x.narrow(0, 0, 3)) };
    }, ValueError, /^copy_: some elements of an input/),
    row('mul_ of a row broadcast from the target itself', () => {
      const x = tensor([[1, 2], [3, 4]]);
      return { targets: [x], act: () => x.mul_(x.narrow(0, 0, 1)) };
    }, ValueError, /^mul_: some elements/),
  ];
  it.each(overlap.map((r) => [r.name, r] as const))('refuses an in-place op whose input overlaps its output in another layout: %s', async (_, r) => {
    await check(r);
  });

  it('still allows the same layout, and disjoint views of one storage', async () => {
    const x = tensor([[1, 2], [3, 4]]);
    x.add_(x);
    expect(await x.toArray()).toEqual([[2, 4], [6, 8]]);
    // Interleaved columns share the storage but no element.
    x.narrow(1, 0, 1).copy_(x.narrow(1, 1, 1));
    expect(await x.toArray()).toEqual([[4, 4], [8, 8]]);
  });

  it('keeps a safetensors entry named __proto__', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skein-proto-'));
    const path = join(dir, 'x.safetensors');
    const dict: Record<string, Tensor> = {};
    Object.defineProperty(dict, '__proto__', { value: tensor([1, 2]), enumerable: true });
    dict.w = tensor([3]);
    await save(dict, path);
    const back = await load(path);
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'w']);
    expect(await (Object.getOwnPropertyDescriptor(back, '__proto__')!.value as Tensor).toArray()).toEqual([1, 2]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a failed op only to whoever owns it: not an unrelated Session.run, not another loop's synchronize", async () => {
    // An unread failure: an index out of range on the device, in a tensor nobody reads.
    const lost = tensor([1, 2, 3]).indexSelect(0, tensor([7], { dtype: 'int32' }));
    const g = new graph.Graph();
    const a = g.placeholder('float32', [2]);
    const sess = new graph.Session(g);
    const [out] = (await sess.run([a.mul(2)], [[a, tensor([1, 2])]])) as Tensor[];
    expect(await out.toArray()).toEqual([2, 4]);
    // Another loop's parameters: a scoped synchronize hears nothing of it.
    const w = ones([2]);
    w.add_(1);
    await expect(synchronize(w)).resolves.toBeUndefined();
    // The failure is still there for its own read.
    await expect(lost.data()).rejects.toThrow(/^indexSelect: index 7 is out of range/);
    await synchronize();
  });
});

describe('5. messages name what the user called, with what they passed', () => {
  const ROWS: Row[] = [
    row('softmax, not max', () => {
      const x = ones([2, 3]);
      return { targets: [x], act: () => x.softmax(5) };
    }, IndexError, /^softmax: got dim 5, expected an integer in \[-2, 1\] for a tensor of rank 2 \(in amax\)$/),
    call('softmax without a dim (PyTorch has no implicit dim either)', () => (ones([2, 3]) as unknown as { softmax(): Tensor }).softmax(), ValueError, /^softmax: got dim undefined, expected an integer$/),
    row('maskedFill, not where', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.maskedFill(tensor([1, 0]), 0) };
    }, DTypeError, /^maskedFill: got a condition of dtype float32, expected bool/),
    call('binaryCrossEntropy on a value outside [0, 1], refused as PyTorch does', async () => nn.functional.binaryCrossEntropy(tensor([0.3, 1.5]), tensor([1, 0])).item(), ValueError,
      /^binaryCrossEntropy: got 1\.5 at element 1 of the input \(probabilities\), expected values in \[0, 1\]$/),
    call('binaryCrossEntropy on NaN', async () => nn.functional.binaryCrossEntropy(tensor([NaN]), tensor([1])).item(), ValueError, /^binaryCrossEntropy: got NaN at element 0/),
    call('multinomial on a negative weight', async () => multinomial(tensor([0.5, -0.25]), 1).data(), ValueError,
      /^multinomial: got -0\.25 at element 1 of the weights, expected values in \[0, ∞\)$/),
    call('multinomial on an infinite weight', async () => multinomial(tensor([[1, 2], [Infinity, 1]]), 1).data(), ValueError, /^multinomial: got Infinity at element 2 of the weights/),
    call('logSoftmax without a dim', () => (ones([2, 3]) as unknown as { logSoftmax(): Tensor }).logSoftmax(), ValueError, /^logSoftmax: got dim undefined, expected an integer$/),
    call('stack, not cat', () => stack([ones([2]), ones([3])]), ShapeError, /^stack: got shapes \[2\] at position 0 and \[3\] at position 1/),
    row('copy_, not cast', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.copy_(ones([3])) };
    }, ShapeError, /^copy_: got an operand of shape \[3\] for a tensor of shape \[2\]/),
    row('crossEntropy, not gather', () => {
      const x = ones([2, 3]);
      return { targets: [x], act: () => nn.crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { reduction: 'avg' as never }) };
    }, ValueError, /^crossEntropy: got reduction "avg"/),
    row('crossEntropy of logits with a float target', () => {
      const x = ones([2, 3]);
      return { targets: [x], act: () => nn.crossEntropy(x, tensor([0, 1])) };
    }, DTypeError, /^crossEntropy: got a target of dtype float32, expected int32 class indices/),
    row('Embedding, not indexSelect', () => {
      const e = new nn.Embedding(4, 2);
      return { targets: [e.weight], act: () => e.forward(tensor([[0, 4]], { dtype: 'int32' })) };
    }, IndexError, /^Embedding: indexSelect: index 4 is out of range for a dim of size 4/),
    call('zeros(["2"]) shows the string', () => zeros(['2'] as never), ShapeError, /^zeros: got size \["2"\], expected non-negative integers$/),
    row('flatten(2, 0) is a bad pair of dims, not a failed reshape', () => {
      const x = ones([2, 3, 4]);
      return { targets: [x], act: () => x.flatten(2, 0) };
    }, IndexError, /^flatten: got startDim 2 and endDim 0; expected startDim not after endDim/),
    row('mean, not sum', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.mean('0' as never) };
    }, IndexError, /^mean: got dims "0", expected a dim/),
    row('logSoftmax, not max', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.logSoftmax(1) };
    }, IndexError, /^logSoftmax: got dim 1/),
    row('fill_ with a string', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.fill_('1' as never) };
    }, ValueError, /^fill_: got "1", expected a number/),
    row('maskedFill_, not where', () => {
      const x = ones([2]);
      return { targets: [x], act: () => x.maskedFill_(tensor([1, 0]) as never, 0) };
    }, DTypeError, /^maskedFill_: got a condition of dtype float32, expected bool/),
    row('Linear names itself inside Sequential', () => {
      const s = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(4, 1));
      return { targets: [], act: () => s.forward(ones([1, 3])) };
    }, ShapeError, /^Linear: got input shape \[1, 2\], expected a last dim of 4/),
    call('a dtype given as a number', () => full([2], 1, { dtype: 3 as never }), DTypeError, /^full: got dtype 3, expected one of/),
  ];
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_, r) => {
    await check(r);
  });
});

describe('1b. a .grad that is not a tensor', () => {
  it('is refused by backward before anything is accumulated', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    (w as { grad: unknown }).grad = 5;
    let caught: unknown = null;
    try {
      w.mul(2).sum().backward();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValueError);
    expect((caught as Error).message).toMatch(/^backward: a leaf of shape \[2\] has \.grad 5, expected a tensor or null/);
    expect(await w.toArray()).toEqual([1, 2]);
  });
});
