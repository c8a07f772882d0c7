// Attention against PyTorch: scaledDotProductAttention (2.x semantics, written out in torch 1.13
// by test/nn/torch/attention_reference.py), MultiheadAttention and TransformerEncoderLayer for
// fixed weights, a hand-worked case, gradients by central differences, names, init and errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DTypeError, gradcheck, manualSeed, nn, noGrad, ShapeError, tensor, ValueError, zeros, type Tensor } from '../../src/index.js';

interface Reference {
  out: number[];
  outShape?: number[];
  weights?: number[] | null;
  weightsShape?: number[] | null;
  grads: number[][] | Record<string, number[]>;
  input_grads?: number[][];
  x_grad?: number[];
}
const REF = JSON.parse(readFileSync(new URL('./torch/attention-reference.json', import.meta.url), 'utf8')) as Record<string, Reference>;

/** float64 throughout: only the order of sums differs from PyTorch's. */
const F64 = 1e-10;
const GRADCHECK = { eps: 1e-6, atol: 1e-6, rtol: 1e-4 };
const f64 = { dtype: 'float64' as const };
const F = nn.functional;

function fill(shape: number[], salt: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => (((i * 37 + salt * 11) % 17) - 8) / 16), f64).reshape(shape);
}

function setParams(m: nn.Module): void {
  noGrad(() => m.namedParameters().forEach(([, p], k) => p.copy_(fill([...p.shape] as number[], k + 1))));
}

async function expectValues(t: Tensor, want: number[], what: string): Promise<void> {
  const got = Array.from(await t.data());
  expect(got.length, `${what}: element count`).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `${what}[${i}]: ${v} vs PyTorch's ${want[i]}`).toBeLessThan(F64 * (1 + Math.abs(want[i]))));
}

describe('scaledDotProductAttention', () => {
  it('matches a hand-worked case: one query, two keys', async () => {
    // q = [1, 0], k = [[1, 0], [0, 1]], scale 1/√2: scores [1/√2, 0], softmax [σ(1/√2), 1 − σ(1/√2)].
    // With v = [[10], [20]], out = 10·p + 20·(1 − p), p = σ(1/√2) ≈ 0.66976.
    const q = tensor([[1, 0]], f64);
    const k = tensor([[1, 0], [0, 1]], f64);
    const v = tensor([[10], [20]], f64);
    const p = 1 / (1 + Math.exp(-1 / Math.SQRT2));
    expect((await F.scaledDotProductAttention(q, k, v).data())[0]).toBeCloseTo(10 * p + 20 * (1 - p), 12);
    // Causal: query 0 sees key 0 only.
    expect((await F.scaledDotProductAttention(q, k, v, { isCausal: true }).data())[0]).toBe(10);
    // A boolean mask's true means attend (PyTorch 2.x): only key 1 here.
    expect((await F.scaledDotProductAttention(q, k, v, { attnMask: tensor([[false, true]], { dtype: 'bool' }) }).data())[0]).toBe(20);
  });

  const cases: [string, (q: Tensor, k: Tensor, v: Tensor) => Tensor][] = [
    ['sdpaPlain', (q, k, v) => F.scaledDotProductAttention(q, k, v)],
    ['sdpaCausal', (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true })],
    ['sdpaBool', (q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: tensor([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [1, 1, 1, 1, 1]]).to('bool') })],
    ['sdpaFloat', (q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: fill([3, 5], 4) })],
  ];
  it.each(cases)("%s matches PyTorch 2.x's definition, values and gradients", async (name, run) => {
    const ref = REF[name];
    const [q, k, v] = [fill([2, 3, 4], 1), fill([2, 5, 4], 2), fill([2, 5, 3], 3)].map((t) => t.requiresGrad_());
    const out = run(q, k, v);
    await expectValues(out, ref.out, 'output');
    out.mul(out).sum().backward();
    const grads = ref.grads as number[][];
    for (const [i, t] of [q, k, v].entries()) await expectValues(t.grad as Tensor, grads[i], `grad ${i}`);
  });

  it('has gradients that match central differences with a causal mask', async () => {
    const xs = [fill([1, 3, 2], 5), fill([1, 3, 2], 6), fill([1, 3, 2], 7)].map((t) => t.requiresGrad_());
    await gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }), xs, GRADCHECK);
  });

  it('drops attention weights with dropoutP, seeded', async () => {
    const q = fill([4, 8, 4], 1).to('float32');
    manualSeed(5);
    const a = Array.from(await F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).data());
    manualSeed(5);
    const b = Array.from(await F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).data());
    expect(a).toEqual(b);
    expect(a).not.toEqual(Array.from(await F.scaledDotProductAttention(q, q, q).data()));
  });

  it.each([
    ['mismatched head dims', () => F.scaledDotProductAttention(zeros([2, 3, 4]), zeros([2, 5, 3]), zeros([2, 5, 3])), ShapeError, /^scaledDotProductAttention: got query \[2, 3, 4\], key \[2, 5, 3\]/],
    ['a mask together with isCausal', () => F.scaledDotProductAttention(zeros([3, 4]), zeros([3, 4]), zeros([3, 4]), { attnMask: zeros([3, 3]), isCausal: true }), ValueError, /got both an attnMask and isCausal/],
    ['an int32 mask', () => F.scaledDotProductAttention(zeros([3, 4]), zeros([3, 4]), zeros([3, 4]), { attnMask: zeros([3, 3], { dtype: 'int32' }) }), DTypeError, /got attnMask of dtype int32, expected bool or a float dtype/],
    ['a dropoutP of 2', () => F.scaledDotProductAttention(zeros([3, 4]), zeros([3, 4]), zeros([3, 4]), { dropoutP: 2 }), ValueError, /got dropoutP 2/],
  ])('rejects %s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe('MultiheadAttention', () => {
  it("matches PyTorch's self-attention with a bool mask (true = do not attend) and key padding", async () => {
    const ref = REF.mhaSelf;
    const m = new nn.MultiheadAttention(4, 2, f64);
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(ref.grads));
    setParams(m);
    const x = fill([3, 2, 4], 50).requiresGrad_();
    const attnMask = tensor([[0, 1, 0], [0, 0, 1], [1, 0, 0]]).to('bool');
    const keyPaddingMask = tensor([[0, 0, 1], [0, 0, 0]]).to('bool');
    const [out, w] = m.forward(x, x, x, { attnMask, keyPaddingMask });
    expect(out.shape).toEqual(ref.outShape);
    expect((w as Tensor).shape).toEqual(ref.weightsShape);
    await expectValues(out, ref.out, 'output');
    await expectValues(w as Tensor, ref.weights as number[], 'weights');
    out.mul(out).sum().add((w as Tensor).sum()).backward();
    await expectValues(x.grad as Tensor, (ref.input_grads as number[][])[0], 'x.grad');
    for (const [n, p] of m.namedParameters()) await expectValues(p.grad as Tensor, (ref.grads as Record<string, number[]>)[n], `${n}.grad`);
  });

  it("matches PyTorch's batch-first cross attention with a float mask and per-head weights", async () => {
    const ref = REF.mhaCross;
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true, ...f64 });
    setParams(m);
    const inputs = [fill([2, 2, 4], 51), fill([2, 3, 4], 52), fill([2, 3, 4], 53)].map((t) => t.requiresGrad_());
    const [out, w] = m.forward(inputs[0], inputs[1], inputs[2], { attnMask: fill([2, 3], 5), averageAttnWeights: false });
    expect(out.shape).toEqual(ref.outShape);
    expect((w as Tensor).shape).toEqual(ref.weightsShape);
    await expectValues(out, ref.out, 'output');
    await expectValues(w as Tensor, ref.weights as number[], 'weights');
    out.mul(out).sum().add((w as Tensor).sum()).backward();
    for (const [i, t] of inputs.entries()) await expectValues(t.grad as Tensor, (ref.input_grads as number[][])[i], `input ${i} grad`);
    for (const [n, p] of m.namedParameters()) await expectValues(p.grad as Tensor, (ref.grads as Record<string, number[]>)[n], `${n}.grad`);
  });

  it("matches PyTorch unbatched, without bias, and returns null weights when not needed", async () => {
    const ref = REF.mhaUnbatched;
    const m = new nn.MultiheadAttention(4, 1, { bias: false, ...f64 });
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(ref.grads));
    setParams(m);
    const x = fill([3, 4], 54).requiresGrad_();
    const [out, w] = m.forward(x, x, x, { needWeights: false });
    expect(w).toBeNull();
    await expectValues(out, ref.out, 'output');
    out.mul(out).sum().backward();
    await expectValues(x.grad as Tensor, (ref.input_grads as number[][])[0], 'x.grad');
  });

  it("starts as PyTorch: Xavier-uniform in_proj_weight, zero biases", async () => {
    manualSeed(0);
    const m = new nn.MultiheadAttention(64, 4);
    const bound = Math.sqrt(6 / (64 + 3 * 64));
    const w = Array.from(await m.in_proj_weight.data());
    expect(Math.max(...w)).toBeLessThan(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound);
    expect(Array.from(await (m.in_proj_bias as Tensor).data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await (m.out_proj.bias as Tensor).data()).every((v) => v === 0)).toBe(true);
    expect(m.in_proj_weight.shape).toEqual([192, 64]);
  });

  it('has gradients that match central differences in its inputs and parameters', async () => {
    manualSeed(1);
    const m = new nn.MultiheadAttention(4, 2, f64);
    const names = m.namedParameters().map(([n]) => n);
    const q = fill([2, 1, 4], 3).requiresGrad_();
    const kv = fill([3, 1, 4], 4).requiresGrad_();
    await gradcheck((qq, kk, ...ps) => {
      const r = m as unknown as Record<string, unknown>;
      r.in_proj_weight = ps[0];
      r.in_proj_bias = ps[1];
      (m.out_proj as unknown as Record<string, unknown>).weight = ps[2];
      (m.out_proj as unknown as Record<string, unknown>).bias = ps[3];
      return m.forward(qq, kk, kk)[0];
    }, [q, kv, ...names.map((n) => m.stateDict()[n].requiresGrad_())], GRADCHECK);
  }, 60_000);

  it.each([
    ['a head count that does not divide embedDim', () => new nn.MultiheadAttention(6, 4), ValueError, /^MultiheadAttention: got numHeads 4 for embedDim 6, expected a positive divisor/],
    ['inputs of the wrong width', () => new nn.MultiheadAttention(4, 2).forward(zeros([3, 2, 5]), zeros([3, 2, 5]), zeros([3, 2, 5])), ShapeError, /^MultiheadAttention: got query \[3, 2, 5\]/],
    ['a mis-shaped attnMask', () => new nn.MultiheadAttention(4, 2).forward(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4]), { attnMask: zeros([2, 2]) }), ShapeError, /^MultiheadAttention: got attnMask a tensor of shape \[2, 2\], expected \[3, 3\] or \[4, 3, 3\]/],
    ['a mis-shaped keyPaddingMask', () => new nn.MultiheadAttention(4, 2).forward(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4]), { keyPaddingMask: zeros([3, 2]) }), ShapeError, /^MultiheadAttention: got keyPaddingMask a tensor of shape \[3, 2\], expected \[2, 3\]/],
    ['keys of another batch size', () => new nn.MultiheadAttention(4, 2).forward(zeros([3, 2, 4]), zeros([3, 1, 4]), zeros([3, 1, 4])), ShapeError, /expected one batch size/],
  ])('rejects %s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe('TransformerEncoderLayer', () => {
  const cases: [string, () => nn.TransformerEncoderLayer, number[], Tensor | null][] = [
    ['encPost', () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, ...f64 }), [3, 2, 4], tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]]).to('bool')],
    ['encPreBatchFirst', () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, normFirst: true, batchFirst: true, ...f64 }), [2, 3, 4], null],
  ];
  it.each(cases)("%s matches PyTorch's output and gradients, parameter names included", async (name, make, shape, mask) => {
    const ref = REF[name];
    const layer = make();
    expect(layer.namedParameters().map(([n]) => n)).toEqual(Object.keys(ref.grads));
    setParams(layer);
    layer.eval();
    const x = fill(shape, 60).requiresGrad_();
    const out = layer.forward(x, { srcMask: mask });
    await expectValues(out, ref.out, 'output');
    out.mul(out).sum().backward();
    await expectValues(x.grad as Tensor, ref.x_grad as number[], 'x.grad');
    for (const [n, p] of layer.namedParameters()) await expectValues(p.grad as Tensor, (ref.grads as Record<string, number[]>)[n], `${n}.grad`);
  });

  it('gives the same output for isCausal as for the causal mask', async () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true });
    const x = fill([2, 5, 8], 3).to('float32');
    const causal = tensor(Array.from({ length: 25 }, (_, i) => (i % 5 > Math.floor(i / 5) ? 1 : 0))).reshape([5, 5]).to('bool');
    const a = Array.from(await layer.forward(x, { isCausal: true }).data());
    expect(a).toEqual(Array.from(await layer.forward(x, { srcMask: causal }).data()));
  });

  it('applies dropout only while training', async () => {
    manualSeed(2);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5 });
    const x = fill([4, 2, 8], 3).to('float32');
    const t1 = Array.from(await layer.forward(x).data());
    expect(Array.from(await layer.forward(x).data())).not.toEqual(t1);
    layer.eval();
    const e1 = Array.from(await layer.forward(x).data());
    expect(Array.from(await layer.forward(x).data())).toEqual(e1);
  });

  it('rejects an unknown activation', () => {
    expect(() => new nn.TransformerEncoderLayer(4, 2, { activation: 'swish' as never })).toThrow(/^TransformerEncoderLayer: got activation "swish", expected 'relu', 'gelu' or a function/);
  });
});
