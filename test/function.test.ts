// Custom autograd Functions (torch.autograd.Function's counterpart): forward/backward with a ctx,
// saved tensors, dirty and non-differentiable outputs, several inputs and outputs, and the errors
// a wrong backward must raise.
import { describe, expect, it } from 'vitest';
import { autograd, AutogradError, FunctionCtx, gradcheck, GradcheckError, noGrad, ShapeError, tensor, type Tensor } from '../src/index.js';

/** gradcheck's tolerances for float64 inputs with central differences of step EPS. */
const EPS = 1e-6;
const ATOL = 1e-6;
const RTOL = 1e-4;

const values = (t: Tensor | null) => {
  if (t === null) throw new Error('expected a gradient, got null');
  return t.toArray();
};

/** The tutorial's ReLU with a hand-written backward. */
class MyReLU extends autograd.Function {
  static override forward(ctx: FunctionCtx, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return input.clamp({ min: 0 });
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    const gradInput = gradOutput.clone();
    gradInput.maskedFill_(input.lt(0), 0);
    return gradInput;
  }
}

/** k·x with k a plain number kept on ctx; the number gets no gradient (null). */
class Scale extends autograd.Function {
  static seen: boolean[][] = [];
  static override forward(ctx: FunctionCtx, x: Tensor, k: number): Tensor {
    ctx.k = k;
    Scale.seen.push([...ctx.needsInputGrad]);
    return x.mul(k);
  }

  static override backward(ctx: FunctionCtx, g: Tensor): (Tensor | null)[] {
    return [g.mul(ctx.k as number), null];
  }
}

/** Two inputs, two outputs: (a·b, a + b). Backward computes only what needsInputGrad asks for. */
class MulAndAdd extends autograd.Function {
  static computed: string[] = [];
  static override forward(ctx: FunctionCtx, a: Tensor, b: Tensor): Tensor[] {
    ctx.saveForBackward(a, b);
    return [a.mul(b), a.add(b)];
  }

  static override backward(ctx: FunctionCtx, gProduct: Tensor, gSum: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    // d(ab)/da = b, d(a+b)/da = 1; symmetric for b.
    const ga = ctx.needsInputGrad[0] ? gProduct.mul(b).add(gSum) : null;
    const gb = ctx.needsInputGrad[1] ? gProduct.mul(a).add(gSum) : null;
    MulAndAdd.computed.push(`${ga === null ? '-' : 'a'}${gb === null ? '-' : 'b'}`);
    return [ga, gb];
  }
}

/** In-place x += 1, declared with markDirty: the input itself is the output. */
class AddOneInPlace extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
    x.add_(1);
    ctx.markDirty(x);
    return x;
  }

  static override backward(_ctx: FunctionCtx, g: Tensor): Tensor {
    return g; // d(x + 1)/dx = 1
  }
}

/** A max with its index, like a one-element sort: the index is an int and has no gradient. */
class MaxWithIndex extends autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor[] {
    const index = x.argmax(0, true);
    ctx.saveForBackward(index);
    ctx.size = x.shape[0];
    ctx.markNonDifferentiable(index);
    return [x.amax(0), index];
  }

  static override backward(ctx: FunctionCtx, gMax: Tensor, _gIndex: Tensor): Tensor {
    const [index] = ctx.savedTensors;
    // The gradient lands on the winning element only: a one-hot at index, times gMax.
    return gMax.zerosLike().expand([ctx.size as number]).contiguous().scatterAdd(0, index, gMax.reshape([1]));
  }
}

describe('autograd.Function', () => {
  it('runs the tutorial’s MyReLU forward and backward', async () => {
    // relu([-1, 2, -3, 4]) = [0, 2, 0, 4]; d/dx of Σ w·relu(x) = w where x > 0
    const x = tensor([-1, 2, -3, 4], { requiresGrad: true });
    const y = MyReLU.apply(x);
    expect(await y.toArray()).toEqual([0, 2, 0, 4]);
    expect(y.gradFn?.name).toBe('MyReLU');
    expect(y.isLeaf).toBe(false);
    y.mul(tensor([1, 2, 3, 4])).sum().backward();
    expect(await values(x.grad)).toEqual([0, 2, 0, 4]);
  });

  it('passes a gradcheck on MyReLU composed with ordinary ops (float64)', async () => {
    // Points away from the kink at 0, where central differences are not a derivative.
    const x = tensor([[1.5, -0.7, 0.3], [-2, 0.9, -0.4]], { dtype: 'float64', requiresGrad: true });
    const w = tensor([0.5, -1.25, 2], { dtype: 'float64', requiresGrad: true });
    await expect(gradcheck((a, b) => MyReLU.apply(a.mul(b)).exp(), [x, w], { eps: EPS, atol: ATOL, rtol: RTOL })).resolves.toBe(true);
  });

  it('makes gradcheck reject a Function whose backward is wrong, naming the mismatch', async () => {
    class WrongSlope extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x.mul(3); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g.mul(2); }
    }
    const x = tensor([1, -5], { dtype: 'float64', requiresGrad: true });
    const check = gradcheck((a) => WrongSlope.apply(a), [x], { eps: EPS, atol: ATOL, rtol: RTOL });
    await expect(check).rejects.toThrow(GradcheckError);
    await expect(gradcheck((a) => WrongSlope.apply(a), [x])).rejects.toThrow(/input 0, element 0, output 0: analytic 2 vs numerical 2\.99/);
  });

  it('says a float32 input is why a correct backward fails, as PyTorch warns', async () => {
    const x = tensor([0.3, -1.1], { requiresGrad: true });
    await expect(gradcheck((a) => a.exp(), [x])).rejects.toThrow(/analytic .* vs numerical .*; input 0 is float32, expected float64/);
  });

  it('keeps non-tensor attributes on ctx and returns null for a non-tensor input', async () => {
    // 3x: d/dx = 3
    Scale.seen = [];
    const x = tensor([1, 2], { requiresGrad: true });
    Scale.apply(x, 3).sum().backward();
    expect(await values(x.grad)).toEqual([3, 3]);
    expect(Scale.seen).toEqual([[true, false]]);
  });

  it('tells forward which inputs need a gradient, and accepts null for those that do not', async () => {
    // p = a·b, s = a + b; loss = Σ (p + 10s): dloss/da = b + 10 = [13, 14]
    MulAndAdd.computed = [];
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4]);
    const [p, s] = MulAndAdd.apply(a, b);
    expect(p.gradFn).toBe(s.gradFn);
    expect([p.outputIndex, s.outputIndex]).toEqual([0, 1]);
    p.add(s.mul(10)).sum().backward();
    expect(await values(a.grad)).toEqual([13, 14]);
    expect(b.grad).toBeNull();
    expect(MulAndAdd.computed).toEqual(['a-']);
  });

  it('gives an output the loss does not use a zero gradient (several inputs, several outputs)', async () => {
    // only p = a·b is used: dloss/da = b, dloss/db = a; s's gradient arrives as zeros
    MulAndAdd.computed = [];
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const [p] = MulAndAdd.apply(a, b);
    p.sum().backward();
    expect(await values(a.grad)).toEqual([3, 4]);
    expect(await values(b.grad)).toEqual([1, 2]);
    expect(MulAndAdd.computed).toEqual(['ab']);
  });

  it('passes a gradcheck on a Function with two inputs and two outputs', async () => {
    const a = tensor([0.5, -1.5, 2], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1.25, 0.75, -0.5], { dtype: 'float64', requiresGrad: true });
    const fn = (x: Tensor, y: Tensor) => {
      const [p, s] = MulAndAdd.apply(x, y);
      return p.mul(s.tanh());
    };
    await expect(gradcheck(fn, [a, b], { eps: EPS, atol: ATOL, rtol: RTOL })).resolves.toBe(true);
  });

  it('makes the input itself the output of an in-place forward declared with markDirty', async () => {
    // a = [1, 2]; b = 2a = [2, 4]; b += 1 → [3, 5]; loss = Σ b²: db = 2b = [6, 10], da = 2·db
    const a = tensor([1, 2], { requiresGrad: true });
    const b = a.mul(2);
    const c = AddOneInPlace.apply(b);
    expect(c).toBe(b);
    expect(b.gradFn?.name).toBe('AddOneInPlace');
    expect(b.storage.version).toBe(1);
    c.mul(c).sum().backward();
    expect(await c.toArray()).toEqual([3, 5]);
    expect(await values(a.grad)).toEqual([12, 20]);
  });

  it('refuses markDirty on a leaf that requires grad, as an in-place op on it would be', () => {
    const leaf = tensor([1, 2], { requiresGrad: true });
    const act = () => AddOneInPlace.apply(leaf);
    expect(act).toThrow(AutogradError);
    expect(act).toThrow(/AddOneInPlace: .*leaf tensor that requires grad.*in-place/);
  });

  it('returns an undeclared input as a new tensor, so the input stays a leaf', async () => {
    class Identity extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x; }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g.mul(2); }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Identity.apply(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    y.sum().backward();
    expect(await values(x.grad)).toEqual([2, 2]);
  });

  it('leaves an output marked non-differentiable without requiresGrad (an int index)', async () => {
    // max([1, 5, 2]) = 5 at index 1: the gradient is one-hot there
    const x = tensor([1, 5, 2], { requiresGrad: true });
    const [m, index] = MaxWithIndex.apply(x);
    expect(m.requiresGrad).toBe(true);
    expect(index.requiresGrad).toBe(false);
    expect(index.gradFn).toBeNull();
    expect(index.dtype).toBe('int32');
    expect(await index.toArray()).toEqual([1]);
    m.mul(7).backward();
    expect(await values(x.grad)).toEqual([0, 7, 0]);
  });

  it('records nothing when applied inside noGrad', () => {
    const x = tensor([-1, 1], { requiresGrad: true });
    const y = noGrad(() => MyReLU.apply(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('catches an in-place change to a tensor the Function saved, at backward time', () => {
    const x = tensor([-1, 2, 3], { requiresGrad: true });
    const h = x.mul(1);
    const y = MyReLU.apply(h);
    noGrad(() => h.mul_(2));
    const act = () => y.sum().backward();
    expect(act).toThrow(AutogradError);
    expect(act).toThrow(/MyReLU: a tensor of shape \[3\] saved for backward was modified by an in-place operation/);
  });
});

describe('autograd.Function errors', () => {
  it('raises when backward returns more gradients than forward had inputs', () => {
    class TwoGrads extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x.mul(2); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor[] { return [g, g]; }
    }
    const act = () => TwoGrads.apply(tensor([1, 2], { requiresGrad: true })).sum().backward();
    expect(act).toThrow(AutogradError);
    expect(act).toThrow(/TwoGrads\.backward: returned 2 gradient\(s\), expected 1 \(one per forward input/);
  });

  it('raises a ShapeError when a gradient’s shape is not its input’s, giving both shapes', () => {
    class SumWithScalarGrad extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x.sum(); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g; } // should expand to x's shape
    }
    const act = () => SumWithScalarGrad.apply(tensor([1, 2, 3], { requiresGrad: true })).backward();
    expect(act).toThrow(ShapeError);
    expect(act).toThrow(/SumWithScalarGrad\.backward: gradient 0 has shape \[\], expected the input's shape \[3\]/);
  });

  it('raises when backward returns something that is not a tensor, saying what it got', () => {
    class NumberGrad extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x.mul(2); }
      static override backward(): number { return 2; }
    }
    const act = () => NumberGrad.apply(tensor([1, 2], { requiresGrad: true })).sum().backward();
    expect(act).toThrow(AutogradError);
    expect(act).toThrow(/NumberGrad\.backward: gradient 0 is a number, expected a tensor or null/);
  });

  it('raises when forward returns something that is not a tensor', () => {
    class NoTensor extends autograd.Function {
      static override forward(): number { return 1; }
    }
    expect(() => NoTensor.apply(tensor([1], { requiresGrad: true }))).toThrow(/NoTensor\.forward: expected to return a tensor or an array of tensors/);
  });

  it('raises when a Function without a backward is differentiated', () => {
    class ForwardOnly extends autograd.Function {
      static override forward(_ctx: FunctionCtx, x: Tensor): Tensor { return x.mul(2); }
    }
    const act = () => ForwardOnly.apply(tensor([1], { requiresGrad: true })).sum().backward();
    expect(act).toThrow(AutogradError);
    expect(act).toThrow(/ForwardOnly: backward is not implemented; expected a static backward/);
  });

  it('raises on savedTensors after the graph was freed, pointing at retainGraph', () => {
    let kept: FunctionCtx | null = null;
    class Keeper extends autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        kept = ctx;
        return x.mul(2);
      }
      static override backward(ctx: FunctionCtx, g: Tensor): Tensor {
        expect(ctx.savedTensors).toHaveLength(1);
        return g.mul(2);
      }
    }
    Keeper.apply(tensor([1, 2], { requiresGrad: true })).sum().backward();
    const ctx = kept as unknown as FunctionCtx;
    expect(() => ctx.savedTensors).toThrow(AutogradError);
    expect(() => ctx.savedTensors).toThrow(/Keeper: savedTensors were freed by a previous backward; expected backward\(\{ retainGraph: true \}\)/);
  });

  it('raises on a second backward through a freed Function node, and allows it with retainGraph', async () => {
    const x = tensor([-1, 2], { requiresGrad: true });
    const loss = MyReLU.apply(x).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(await values(x.grad)).toEqual([0, 2]);
    // The second call freed it; a third must fail.
    expect(() => loss.backward()).toThrow(AutogradError);
    expect(() => loss.backward()).toThrow(/backward through the graph a second time/);
  });
});
