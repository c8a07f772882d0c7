// Traps met while porting PyTorch programs (issue 12), and hooks: each does what PyTorch does,
// or refuses with a SkeinError.
import { afterEach, describe, expect, it } from 'vitest';
import { isGradEnabled, nn, noGrad, ones, optim, randn, setPrintOptions, tensor, ValueError, type Tensor } from '../../src/index.js';

describe('clamp', () => {
  const x = () => tensor([-2, 0.5, 3, 9]);
  const table: [string, (t: Tensor) => Tensor, number[]][] = [
    ['positional bounds, as PyTorch', (t) => t.clamp(0, 5), [0, 0.5, 3, 5]],
    ['a positional min only', (t) => t.clamp(1), [1, 1, 3, 9]],
    ['a null min and a max', (t) => t.clamp(null, 2), [-2, 0.5, 2, 2]],
    ['the options form', (t) => t.clamp({ min: 0, max: 5 }), [0, 0.5, 3, 5]],
    ['in place, positional', (t) => t.clamp_(0, 5), [0, 0.5, 3, 5]],
  ];
  it.each(table)('takes %s', async (_, f, want) => {
    expect(await f(x()).toArray()).toEqual(want);
  });

  it('refuses options together with a second bound, and strings', () => {
    expect(() => x().clamp({ min: 0 }, 5)).toThrow(/^clamp: got options an object and a second bound 5/);
    expect(() => x().clamp('0' as never)).toThrow(/^clamp: got min "0" and max Infinity, expected numbers/);
  });

  it('refuses no bound at all, as PyTorch does', () => {
    expect(() => x().clamp()).toThrow(/^clamp: got neither min nor max, expected at least one bound/);
    expect(() => x().clamp({})).toThrow(/^clamp: got neither min nor max/);
    expect(() => x().clamp_(null, null)).toThrow(/^clamp_: got neither min nor max/);
  });
});

describe('noGrad', () => {
  it('keeps gradients off across the awaits of an async function, and other tasks keep theirs', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let during: boolean[] = [];
    const other = (async () => {
      await new Promise((r) => setImmediate(r));
      // Meanwhile, another task records as usual.
      return w.mul(2).requiresGrad;
    })();
    const y = await noGrad(async () => {
      during.push(isGradEnabled());
      await new Promise((r) => setImmediate(r));
      during.push(isGradEnabled());
      const out = w.mul(3);
      await out.data();
      during.push(isGradEnabled());
      return out;
    });
    expect(during).toEqual([false, false, false]);
    expect(y.requiresGrad).toBe(false);
    expect(await other).toBe(true);
    expect(isGradEnabled()).toBe(true);
    during = [];
  });

  it('refuses a plain function that returns a promise (its continuation would record)', () => {
    const f = () => Promise.resolve(1);
    expect(() => noGrad(f)).toThrow(ValueError);
    expect(() => noGrad(f)).toThrow(/^noGrad: got a function that returned a promise/);
    expect(isGradEnabled()).toBe(true);
  });
});

describe('nn.Linear', () => {
  it('drops its bias with a positional false, as PyTorch, or with { bias: false }', () => {
    expect(new nn.Linear(3, 2, false).bias).toBeNull();
    expect(new nn.Linear(3, 2, { bias: false }).bias).toBeNull();
    expect(new nn.Linear(3, 2, false).parameters()).toHaveLength(1);
    expect(new nn.Linear(3, 2, true).bias).not.toBeNull();
    expect(() => new nn.Linear(3, 2, { bais: false } as never)).toThrow(/^Linear: got an unknown option "bais"/);
  });
});

describe('loadStateDict has one shape for modules, optimizers and schedulers', () => {
  it('is synchronous for all three, taking a record of tensors', () => {
    const m = new nn.Linear(2, 1);
    const opt = new optim.SGD(m.parameters(), { lr: 0.5, momentum: 0.9 });
    const sched = new optim.StepLR(opt, 1, 0.5);
    m.weight.grad = ones([1, 2]);
    m.bias!.grad = ones([1]);
    opt.step();
    sched.step();
    const m2 = new nn.Linear(2, 1);
    const opt2 = new optim.SGD(m2.parameters(), { lr: 0.5, momentum: 0.9 });
    const sched2 = new optim.StepLR(opt2, 1, 0.5);
    const results = [m2.loadStateDict(m.stateDict()), opt2.loadStateDict(opt.stateDict()), sched2.loadStateDict(sched.stateDict())];
    expect(results.some((r) => r instanceof Promise)).toBe(false);
    expect(opt2.paramGroups[0].lr).toBe(0.25);
    expect(sched2.lastEpoch).toBe(1);
    expect(opt2.state.size).toBe(2);
  });
});

describe('printing', () => {
  afterEach(() => setPrintOptions({ threshold: 1000, edgeitems: 3, precision: null }));

  it('summarises a big tensor as PyTorch, reading only the edges', () => {
    const big = ones([1000, 1000]);
    const text = String(big);
    expect(text.length).toBeLessThan(200);
    expect(text).toBe('Tensor(shape=[1000, 1000], dtype=float32, values=[[1,1,1,...,1,1,1],[1,1,1,...,1,1,1],[1,1,1,...,1,1,1],...,[1,1,1,...,1,1,1],[1,1,1,...,1,1,1],[1,1,1,...,1,1,1]])');
  });

  it('follows setPrintOptions: threshold, edgeitems and precision', () => {
    setPrintOptions({ threshold: 4, edgeitems: 1, precision: 2 });
    expect(String(tensor([1, 2.345, 3, 4, 5]))).toBe('Tensor(shape=[5], dtype=float32, values=[1.00,...,5.00])');
    expect(String(tensor([1, 2], { dtype: 'int32' }))).toBe('Tensor(shape=[2], dtype=int32, values=[1,2])');
    expect(() => setPrintOptions({ threshhold: 3 } as never)).toThrow(/^setPrintOptions: got an unknown option "threshhold"/);
    expect(() => setPrintOptions({ precision: -1 })).toThrow(/^setPrintOptions: got precision -1/);
  });

  it('prints the same whether the kernel ran inline or on the pool', () => {
    const small = randn([4, 4]).matmul(ones([4, 4]));
    expect(String(small)).toMatch(/values=\[\[/);
  });
});

describe('hooks', () => {
  it('Tensor.registerHook sees the gradient, may replace it, and stops after remove()', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seen: Promise<unknown>[] = [];
    const h = x.registerHook((g) => {
      seen.push(g.toArray());
      return g.mul(10);
    });
    x.mul(3).sum().backward();
    expect(await (x.grad as Tensor).toArray()).toEqual([30, 30]);
    h.remove();
    x.grad = null;
    x.mul(3).sum().backward();
    expect(await (x.grad as unknown as Tensor).toArray()).toEqual([3, 3]);
    expect(await Promise.all(seen)).toEqual([[3, 3]]);
  });

  it('registerHook on a non-leaf runs before its retained grad', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.retainGrad();
    h.registerHook((g) => g.add(1));
    h.sum().backward();
    expect(await (h.grad as unknown as Tensor).toArray()).toEqual([2, 2]);
    expect(await (x.grad as unknown as Tensor).toArray()).toEqual([4, 4]);
    expect(() => tensor([1]).registerHook((g) => g)).toThrow(/^registerHook: cannot register a hook on a tensor that doesn't require gradient/);
  });

  it('forward pre-hooks and forward hooks run around forward, may replace args and output, and can be removed', async () => {
    const m = new nn.Linear(2, 1, false);
    noGrad(() => m.weight.fill_(1));
    const calls: string[] = [];
    const pre = m.registerForwardPreHook((_, args) => {
      calls.push('pre');
      return [(args[0] as Tensor).mul(2)];
    });
    const post = m.registerForwardHook((_, __, out) => {
      calls.push('post');
      return (out as Tensor).add(1);
    });
    expect(await m.forward(tensor([[1, 2]])).toArray()).toEqual([[7]]); // (2 + 4)·1 + 1
    pre.remove();
    post.remove();
    expect(await m.forward(tensor([[1, 2]])).toArray()).toEqual([[3]]);
    expect(calls).toEqual(['pre', 'post']);
  });

  it('registerFullBackwardHook gives gradInput and gradOutput, and may replace gradInput', async () => {
    const m = new nn.Linear(2, 1, false);
    noGrad(() => m.weight.copy_(tensor([[3, 4]])));
    const x = tensor([[1, 1]], { requiresGrad: true });
    const got: { gin: Promise<unknown>[]; gout: Promise<unknown>[] } = { gin: [], gout: [] };
    m.registerFullBackwardHook((_, gradInput, gradOutput) => {
      got.gin.push((gradInput[0] as Tensor).toArray());
      got.gout.push((gradOutput[0] as Tensor).toArray());
      return [(gradInput[0] as Tensor).mul(0.5)];
    });
    m.forward(x).mul(2).sum().backward();
    expect(await Promise.all(got.gout)).toEqual([[[2]]]);
    expect(await Promise.all(got.gin)).toEqual([[[6, 8]]]); // 2·W
    expect(await (x.grad as unknown as Tensor).toArray()).toEqual([[3, 4]]);
    expect(await (m.weight.grad as unknown as Tensor).toArray()).toEqual([[2, 2]]);
  });

  it('refuses a hook that is not a function', () => {
    expect(() => new nn.Linear(2, 1).registerForwardHook(5 as never)).toThrow(/^registerForwardHook: got 5, expected a function/);
  });
});
