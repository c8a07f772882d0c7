// Autograd as PyTorch users know it: the leaf/non-leaf model, accumulation, un-broadcasting,
// grad modes, and the errors a misuse must raise (by class and by what the message names).
import { describe, expect, it } from 'vitest';
import { AutogradError, DTypeError, enableGrad, isGradEnabled, noGrad, ShapeError, SkeinError, tensor, ValueError, type Tensor } from '../src/index.js';

/** Everything below is a small integer or a power of two: float32 gives these exactly. */
const values = (t: Tensor | null) => {
  if (t === null) throw new Error('expected a gradient, got null');
  return t.toArray();
};

describe('leaves, non-leaves and .grad', () => {
  it('marks a created tensor with requiresGrad as a leaf with no gradFn and no grad yet', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
    expect(w.gradFn).toBeNull();
    expect(w.grad).toBeNull();
  });

  it('gives the result of an op on it a gradFn named after the op, making it a non-leaf', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const y = w.mul(2);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn?.name).toBe('mul');
    expect(y.sum().gradFn?.name).toBe('sum');
  });

  it('records nothing when no input requires grad', () => {
    const y = tensor([1, 2]).mul(tensor([3, 4]));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
  });

  it('fills .grad of the leaf with d(loss)/d(leaf) after backward', async () => {
    // loss = Σ x², d/dx = 2x
    const x = tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(await values(x.grad)).toEqual([2, -4, 6]);
  });

  it('leaves .grad of a non-leaf null unless retainGrad() asked for it', async () => {
    // y = 2x, loss = Σ y²: dloss/dy = 2y = 4x, dloss/dx = 2·dloss/dy = 8x
    const x = tensor([3, 4], { requiresGrad: true });
    const kept = x.mul(2);
    const dropped = x.mul(2);
    kept.retainGrad();
    kept.mul(kept).sum().add(dropped.sum()).backward();
    expect(await values(kept.grad)).toEqual([12, 16]);
    expect(dropped.grad).toBeNull();
    expect(await values(x.grad)).toEqual([3 * 8 + 2, 4 * 8 + 2]);
  });

  it('treats retainGrad() on a leaf as a no-op: leaves keep their gradient anyway', async () => {
    const x = tensor([5], { requiresGrad: true });
    x.retainGrad();
    x.mul(3).sum().backward();
    expect(await values(x.grad)).toEqual([3]);
  });

  it('turns requiresGrad on in place with requiresGrad_() and returns the same tensor', async () => {
    const x = tensor([1, 2]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    x.mul(x).sum().backward();
    expect(await values(x.grad)).toEqual([2, 4]);
    expect(x.requiresGrad_(false).requiresGrad).toBe(false);
  });

  it('refuses requiresGrad on an integer tensor with a DTypeError naming the dtype', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => i.requiresGrad_()).toThrow(DTypeError);
    expect(() => i.requiresGrad_()).toThrow(/requiresGrad.*int32.*float32 and float64/);
  });

  it('refuses to turn requiresGrad off on a non-leaf and points at detach()', () => {
    const y = tensor([1], { requiresGrad: true }).mul(2);
    expect(() => y.requiresGrad_(false)).toThrow(AutogradError);
    expect(() => y.requiresGrad_(false)).toThrow(/requiresGrad.*leaf.*detach\(\)/);
  });
});

describe('accumulation', () => {
  it('adds the gradients of two backward passes into .grad, as PyTorch does', async () => {
    // Σ 3x twice: 3 + 3 = 6 per element
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    expect(await values(x.grad)).toEqual([3, 3]);
    x.mul(3).sum().backward();
    expect(await values(x.grad)).toEqual([6, 6]);
  });

  it('starts again from zero after a manual grad.zero_()', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    const first = x.grad as Tensor;
    noGrad(() => first.zero_());
    x.mul(5).sum().backward();
    // Accumulation writes into the existing .grad, so the zeroed tensor is the one that is updated.
    expect(x.grad).toBe(first);
    expect(await values(x.grad)).toEqual([5, 5]);
  });

  it('sums both paths when a tensor is used twice in one expression', async () => {
    // f = x·x + x: df/dx = 2x + 1; at x = [3, -1]: [7, -1]
    const x = tensor([3, -1], { requiresGrad: true });
    x.mul(x).add(x).sum().backward();
    expect(await values(x.grad)).toEqual([7, -1]);
  });

  it('sums the paths of a diamond: two branches from one intermediate rejoin', async () => {
    // h = 2x; f = h·h + 3h: df/dh = 2h + 3, df/dx = 2(2h + 3) = 8x + 6; at x = [1, 2]: [14, 22]
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.mul(h).add(h.mul(3)).sum().backward();
    expect(await values(x.grad)).toEqual([14, 22]);
  });

  it('never hands a user the seed gradient itself as .grad (mutating one must not change the other)', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(1);
    const seed = tensor([10, 20]);
    y.backward(seed);
    noGrad(() => (x.grad as Tensor).add_(1));
    expect(await seed.toArray()).toEqual([10, 20]);
    expect(await values(x.grad)).toEqual([11, 21]);
  });
});

describe('broadcasting, undone in the engine', () => {
  it('gives a [3] bias added to a [2, 3] input a [3] gradient summed over the rows', async () => {
    // out = x + b (b broadcast over 2 rows); weights g; db_j = Σ_i g_ij
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = tensor([10, 20, 30], { requiresGrad: true });
    const g = tensor([[1, 2, 4], [8, 16, 32]]);
    x.add(b).mul(g).sum().backward();
    expect(b.grad?.shape).toEqual([3]);
    expect(await values(b.grad)).toEqual([1 + 8, 2 + 16, 4 + 32]);
    expect(await values(x.grad)).toEqual([[1, 2, 4], [8, 16, 32]]);
  });

  it('gives a [2, 1] column multiplied into a [2, 3] input a [2, 1] gradient summed over columns', async () => {
    // out = c·x, d/dc_i = Σ_j x_ij: [1+2+3, 4+5+6] = [6, 15]
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const c = tensor([[2], [3]], { requiresGrad: true });
    c.mul(x).sum().backward();
    expect(c.grad?.shape).toEqual([2, 1]);
    expect(await values(c.grad)).toEqual([[6], [15]]);
  });

  it('gives a scalar mixed with a tensor no gradient and the tensor the right one', async () => {
    // Σ (x − 1)² at x = [3, 0]: 2(x − 1) = [4, -2]
    const x = tensor([3, 0], { requiresGrad: true });
    x.sub(1).pow(2).sum().backward();
    expect(await values(x.grad)).toEqual([4, -2]);
  });
});

describe('grad modes and detach', () => {
  it('records nothing inside noGrad and restores recording afterwards', () => {
    const x = tensor([1], { requiresGrad: true });
    const inside = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(inside.requiresGrad).toBe(false);
    expect(inside.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('restores recording even when the noGrad body throws', () => {
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('records again inside enableGrad nested in noGrad', async () => {
    const x = tensor([2], { requiresGrad: true });
    const y = noGrad(() => enableGrad(() => x.mul(x)));
    expect(y.gradFn?.name).toBe('mul');
    y.sum().backward();
    expect(await values(x.grad)).toEqual([4]);
  });

  it('lets detach() share memory but cut the graph: no gradient flows through the detached branch', async () => {
    // f = x·detach(x): only the first factor is differentiated, so df/dx = detach(x) = x
    const x = tensor([3, 5], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.storage).toBe(x.storage);
    x.mul(d).sum().backward();
    expect(await values(x.grad)).toEqual([3, 5]);
  });
});

describe('backward arguments', () => {
  it('takes an explicit gradient for a non-scalar output (a vector-Jacobian product)', async () => {
    // y = x², v = [1, 10]: vᵀ·J = v·2x = [1·6, 10·8] at x = [3, 4]
    const x = tensor([3, 4], { requiresGrad: true });
    x.mul(x).backward(tensor([1, 10]));
    expect(await values(x.grad)).toEqual([6, 80]);
  });

  it('runs a second backward through the same graph when the first kept it with retainGraph', async () => {
    // Σ x² twice: 2·2x
    const x = tensor([3, 4], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(await values(x.grad)).toEqual([12, 16]);
  });

  it('raises from a tensor that does not require grad, saying what it expected', () => {
    expect(() => tensor([1, 2]).sum().backward()).toThrow(AutogradError);
    expect(() => tensor([1, 2]).sum().backward()).toThrow(/backward.*does not require grad.*expected/);
  });

  it('raises a ValueError when the explicit gradient is not a tensor, saying what it got', () => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    const act = () => y.backward([1, 1] as unknown as Tensor);
    expect(act).toThrow(ValueError);
    expect(act).toThrow(/backward: got an array as the gradient, expected a tensor of the output's shape \[2\]/);
  });

  it('raises a ShapeError when the explicit gradient has the wrong shape, giving both shapes', () => {
    const y = tensor([1, 2, 3], { requiresGrad: true }).mul(2);
    const act = () => y.backward(tensor([1, 2]));
    expect(act).toThrow(ShapeError);
    expect(act).toThrow(/backward.*gradient of shape \[2\].*output of shape \[3\]/);
  });
});

/** Each misuse PyTorch reports, with what the message must name: the op, what it got, what it expected. */
const MISUSES: { name: string; act: () => void; error: typeof SkeinError; message: RegExp[] }[] = [
  {
    name: 'backward twice through a graph the first backward freed',
    act: () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const loss = x.exp().sum();
      loss.backward();
      loss.backward();
    },
    error: AutogradError,
    message: [/^sum: /, /backward through the graph a second time/, /freed/, /expected backward\(\{ retainGraph: true \}\)/],
  },
  {
    name: 'backward from a non-scalar output without a gradient',
    act: () => tensor([1, 2, 3], { requiresGrad: true }).mul(2).backward(),
    error: AutogradError,
    message: [/^backward: /, /got an output of shape \[3\]/, /only for scalar outputs/, /expected a gradient argument/],
  },
  {
    name: 'an in-place add_ on the output of exp, which exp saved for its backward',
    act: () => {
      // d exp(x)/dx = exp(x): exp keeps its output, so changing it in place breaks backward.
      const x = tensor([0, 1], { requiresGrad: true });
      const y = x.exp();
      y.add_(1);
      y.sum().backward();
    },
    error: AutogradError,
    message: [/^exp: /, /shape \[2\]/, /saved for backward was modified by an in-place operation/, /version 1; expected version 0/],
  },
  {
    name: 'an in-place mul_ on a factor that mul saved for the other factor’s gradient',
    act: () => {
      // b = a·w needs a for dw; a.mul_(2) changes a after it was saved.
      const a = tensor([1, 2, 3]);
      const w = tensor([4, 5, 6], { requiresGrad: true });
      const b = a.mul(w);
      a.mul_(2);
      b.sum().backward();
    },
    error: AutogradError,
    message: [/^mul: /, /shape \[3\]/, /modified by an in-place operation/, /version 1; expected version 0/],
  },
  {
    name: 'backward through sign, which is declared non-differentiable',
    act: () => {
      const x = tensor([1, -2], { requiresGrad: true });
      x.sign().mul(x).sum().backward();
    },
    error: AutogradError,
    message: [/^sign: /, /no gradient/, /non-differentiable/, /expected detach\(\) or noGrad\(\)/],
  },
  {
    name: 'an in-place op on a leaf that requires grad, outside noGrad',
    act: () => tensor([1, 2], { requiresGrad: true }).add_(1),
    error: AutogradError,
    message: [/^add_: /, /leaf tensor that requires grad/, /expected the update inside noGrad/],
  },
  {
    name: 'an in-place op on a view of a leaf that requires grad',
    act: () => tensor([1, 2, 3], { requiresGrad: true }).narrow(0, 0, 2).add_(1),
    error: AutogradError,
    message: [/^add_: /, /got a view \(made by narrow\) of a tensor that requires grad/, /expected clone\(\)/],
  },
  {
    name: 'an in-place op through a view of a non-leaf (its base’s gradient would silently miss the write)',
    act: () => {
      // PyTorch rebases y's history (CopySlices) and gives dx = [10, 10, 1]; without that, the
      // gradient would come out [1, 1, 1], so Skein refuses instead of answering wrongly.
      const x = tensor([1, 2, 3], { requiresGrad: true });
      const y = x.mul(1);
      y.narrow(0, 0, 2).mul_(10);
      y.sum().backward();
    },
    error: AutogradError,
    message: [/^mul_: /, /view \(made by narrow\)/, /not tracked/, /expected clone\(\)/],
  },
];

describe('misuse raises PyTorch’s errors', () => {
  it.each(MISUSES)('raises $error.name for $name', ({ act, error, message }) => {
    let caught: unknown;
    try {
      act();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(error);
    expect(caught).toBeInstanceOf(SkeinError);
    for (const m of message) expect((caught as Error).message).toMatch(m);
  });

  it('allows the in-place update of a leaf inside noGrad and bumps its version', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const before = w.storage.version;
    noGrad(() => w.add_(1));
    expect(w.storage.version).toBe(before + 1);
    expect(await w.toArray()).toEqual([2, 3]);
  });

  it('refuses an in-place op on an expanded tensor, whose elements share one memory cell', async () => {
    // [1] expanded to [3] has stride 0: add_([1, 2, 3]) would write 1+1, then +2, then +3 into one cell.
    const x = tensor([1]);
    const act = () => x.expand([3]).add_(tensor([1, 2, 3]));
    expect(act).toThrow(ValueError);
    expect(act).toThrow(/^add_: got a tensor of shape \[3\] whose elements share memory \(strides \[0\].*clone\(\) it first/);
    expect(await x.toArray()).toEqual([1]);
    // A size-1 dim with stride 0 is harmless: each element still has its own cell.
    const y = tensor([[5]]).expand([1, 1]);
    y.add_(1);
    expect(await y.toArray()).toEqual([[6]]);
  });

  it('differentiates through an in-place op on a clone of a view', async () => {
    // v = 10·x[0:2]: dΣv/dx = [10, 10, 0]
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const v = x.narrow(0, 0, 2).clone();
    v.mul_(10);
    v.sum().backward();
    expect(await values(x.grad)).toEqual([10, 10, 0]);
  });

  it('allows an in-place write through a view inside noGrad, as an optimizer update does', async () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    noGrad(() => w.t().mul_(2));
    expect(await w.toArray()).toEqual([[2, 4], [6, 8]]);
  });

  it('differentiates through an in-place op on a non-leaf when nothing saved the old value', async () => {
    // y = 2x; y += 1 (add saves nothing it needs); loss = Σ 3y: dloss/dx = 3·2 = 6
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.add_(1);
    expect(y.gradFn?.name).toBe('add');
    y.mul(3).sum().backward();
    expect(await values(x.grad)).toEqual([6, 6]);
    expect(await y.toArray()).toEqual([3, 5]);
  });
});

describe('the backward walk is iterative', () => {
  /** Deep enough that any recursion over nodes would overflow V8's default stack (≈ 10k frames). */
  const DEPTH = 100_000;

  it('backpropagates through a 100k-node chain without a stack overflow', async () => {
    // reshape nodes allocate no storage, so the test measures the walk, not the allocator.
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < DEPTH; i++) y = i % 2 === 0 ? y.reshape([4]) : y.reshape([2, 2]);
    // loss = Σ x² through the chain: 2x
    y.mul(y).sum().backward();
    expect(await values(x.grad)).toEqual([[2, 4], [6, 8]]);
  });

  it('backpropagates through a 100k-node chain of arithmetic with the right value', async () => {
    // y = x + 1 + 1 + … (DEPTH times): dy/dx = 1; a neg every 10k flips the sign 10 times → +1.
    const x = tensor([0.5], { requiresGrad: true });
    let y = x;
    for (let i = 1; i <= DEPTH; i++) y = i % 10_000 === 0 ? y.neg() : y.add(1);
    y.sum().backward();
    expect(await values(x.grad)).toEqual([1]);
  }, 60_000);
});
