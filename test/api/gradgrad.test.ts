// Second derivatives, table-driven: every op-table entry whose backward formula is itself
// differentiable passes a float64 gradgradcheck on its samples (the formula's own graph, recorded
// with createGraph, against central differences of the first derivative). Ops left out say why.
import { describe, expect, it } from 'vitest';
import { autograd, gradgradcheck, OPS, tensor, type OpName, type Tensor } from '../../src/index.js';
import { outDtypeOf, type Sample } from '../support/cases.js';
import { isFloatSpec, layoutOf, makeBase } from '../support/inputs.js';
import { COMPOSITE_CASES } from '../support/composite-cases.js';
import { OP_CASES } from '../support/op-cases.js';

/** Central differences of a first derivative: each is itself a formula, so errors compound a little. */
const GRADGRAD = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };

/** Ops whose gradient is piecewise constant, so the second derivative is 0 where it exists and
 *  central differences straddling a kink disagree: checked, but only where the samples avoid kinks. */
const SKIP: Partial<Record<OpName, string>> = {
  argmax: 'integer output: no gradient at all',
  argmin: 'integer output: no gradient at all',
  lt: 'a comparison: no gradient', le: 'a comparison: no gradient', gt: 'a comparison: no gradient',
  ge: 'a comparison: no gradient', eq: 'a comparison: no gradient', ne: 'a comparison: no gradient',
  logicalNot: 'bool output: no gradient',
  max: 'the gradient goes to the arg-max, a step function of the input: its derivative is 0 and central differences at ties see jumps',
  min: 'as max: a step function of the input at ties',
  maximum: 'the samples hold ties, where the gradient jumps between the operands',
  minimum: 'the samples hold ties, where the gradient jumps between the operands',
  fullLike: 'a constant: its gradient is zero, so there is no first derivative to differentiate',
  lstmCell: 'its backward is one fused kernel (lstmCellBackward) declared without a derivative of its own',
  gruCell: 'its backward is one fused kernel (gruCellBackward) declared without a derivative of its own',
};

function seedOf(text: string, k: number): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h + k * 7919) >>> 0;
}

const isFloat = (d: string) => d === 'float32' || d === 'float64';
const checkable = (s: Sample) => s.noGradcheck === undefined && s.inputs.some(isFloatSpec) && isFloat(outDtypeOf(s, 'float64'));

const NAMES = (Object.keys(OPS) as OpName[]).filter((n) => OPS[n].grad !== null && SKIP[n] === undefined);

describe('the skipped ops', () => {
  it('are each in the op table, with a reason', () => {
    for (const [name, why] of Object.entries(SKIP)) {
      expect(name in OPS, name).toBe(true);
      expect(why.length).toBeGreaterThan(10);
    }
  });
});

describe.each(NAMES)('%s', (name) => {
  const samples = OP_CASES[name].samples.filter(checkable);
  it.each(samples.map((s) => [s.name, s] as const))('has second derivatives that match central differences on %s', async (sampleName, s) => {
    const leaves = s.inputs.map((spec, k) => {
      const t = makeBase(spec, 'float64', seedOf(`gradgrad/${name}/${sampleName}`, k));
      return isFloatSpec(spec) ? t.requiresGrad_() : t;
    });
    await gradgradcheck((...xs) => s.run(xs.map((t, k) => layoutOf(s.inputs[k]).view(t))), leaves, { ...GRADGRAD, ...s.gradcheck });
  });
});

describe('higher-order gradients, worked by hand', () => {
  it('differentiates x³ three times: 3x², 6x, 6', async () => {
    const x = tensor([2, -1], { dtype: 'float64', requiresGrad: true });
    const [d1] = autograd.grad(x.pow(3).sum(), [x], { createGraph: true }) as Tensor[];
    const [d2] = autograd.grad(d1.sum(), [x], { createGraph: true }) as Tensor[];
    const [d3] = autograd.grad(d2.sum(), [x]) as Tensor[];
    expect(await d1.toArray()).toEqual([12, 3]);
    expect(await d2.toArray()).toEqual([12, -6]);
    expect(await d3.toArray()).toEqual([6, 6]);
  });

  it('records the graph of .grad with backward(undefined, { createGraph: true })', async () => {
    // y = Σ x²·w: dy/dx = 2xw, and Σ dy/dx differentiated by w is 2x.
    const x = tensor([1, 3], { dtype: 'float64', requiresGrad: true });
    const w = tensor([5, 7], { dtype: 'float64', requiresGrad: true });
    x.mul(x).mul(w).sum().backward(undefined, { createGraph: true });
    const gx = x.grad as Tensor;
    expect(gx.requiresGrad).toBe(true);
    expect(await gx.toArray()).toEqual([10, 42]);
    w.grad = null;
    gx.sum().backward();
    expect(await (w.grad as unknown as Tensor).toArray()).toEqual([2, 6]);
  });

  it('gives the gradient penalty of WGAN-GP: d/dw ‖d(wx)/dx‖² = 2w·x-independent', async () => {
    const x = tensor([[0.5, -1]], { dtype: 'float64', requiresGrad: true });
    const w = tensor([[3], [4]], { dtype: 'float64', requiresGrad: true });
    const [gx] = autograd.grad(x.matmul(w).sum(), [x], { createGraph: true }) as Tensor[];
    // gx = wᵀ = [3, 4]; penalty = 3² + 4² = 25; d/dw = 2w = [6, 8].
    const penalty = gx.mul(gx).sum();
    penalty.backward();
    expect(await penalty.item()).toBe(25);
    expect(await (w.grad as unknown as Tensor).toArray()).toEqual([[6], [8]]);
  });

  it('accumulates into no .grad and returns null for unused inputs with allowUnused', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const unused = tensor([1], { requiresGrad: true });
    const [gx, gu] = autograd.grad(x.mul(3).sum(), [x, unused], { allowUnused: true });
    expect(await (gx as Tensor).toArray()).toEqual([3, 3]);
    expect(gu).toBeNull();
    expect(x.grad).toBeNull();
    expect(() => autograd.grad(x.mul(3).sum(), [unused])).toThrow(/^grad: input 0 \(shape \[1\]\) was not used/);
  });

  it('uses gradOutputs for a non-scalar output and can differentiate with respect to a non-leaf', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(2);
    const y = h.mul(h);
    const [gh, gx] = autograd.grad(y, [h, x], { gradOutputs: [tensor([1, 0, 1])], retainGraph: true }) as Tensor[];
    expect(await gh.toArray()).toEqual([4, 0, 12]); // 2h·v
    expect(await gx.toArray()).toEqual([8, 0, 24]); // 2h·v·2
    expect(() => autograd.grad(y, [x])).toThrow(/^grad: got an output of shape \[3\]; grad can be implicitly created only for scalar outputs/);
  });
});

// Composites with no float output to differentiate (all, any) have nothing to check here.
describe.each(Object.entries(COMPOSITE_CASES).filter(([, samples]) => samples.some(checkable)))('the composite %s', (name, samples) => {
  it.each(samples.filter(checkable).map((s) => [s.name, s] as const))('has second derivatives that match central differences on %s', async (sampleName, s) => {
    const leaves = s.inputs.map((spec, k) => {
      const t = makeBase(spec, 'float64', seedOf(`gradgrad/${name}/${sampleName}`, k));
      return isFloatSpec(spec) ? t.requiresGrad_() : t;
    });
    await gradgradcheck((...xs) => s.run(xs.map((t, k) => layoutOf(s.inputs[k]).view(t))), leaves, { ...GRADGRAD, ...s.gradcheck });
  });
});
