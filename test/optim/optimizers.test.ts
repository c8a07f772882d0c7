// Optimizers against PyTorch's update rules: the first three steps of each configuration match a
// scalar float64 transcription of the rule (itself checked against hand-worked numbers).
import { describe, expect, it } from 'vitest';
import { optim, tensor, type Tensor } from '../../src/index.js';

/** Three float32 steps against float64 maths: a few rounding units of the weights' size. */
const F32_TOLERANCE = 2e-6;

type Rule = (w: number, g: number, s: Record<string, number>, t: number) => number;

// Each rule updates one element: w (weight), g (gradient), s (its state, starting empty), t (step from 1).
const sgd = (lr: number, { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = {}): Rule => (w, g, s, t) => {
  g += weightDecay * w;
  if (momentum !== 0) {
    s.b = t === 1 ? g : momentum * s.b + (1 - dampening) * g;
    g = nesterov ? g + momentum * s.b : s.b;
  }
  return w - lr * g;
};
const adam = (lr: number, { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = {}): Rule => (w, g, s, t) => {
  if (decoupled) w *= 1 - lr * weightDecay;
  else g += weightDecay * w;
  s.m = beta1 * (s.m ?? 0) + (1 - beta1) * g;
  s.v = beta2 * (s.v ?? 0) + (1 - beta2) * g * g;
  const mHat = s.m / (1 - beta1 ** t);
  const vHat = s.v / (1 - beta2 ** t);
  return w - (lr * mHat) / (Math.sqrt(vHat) + eps);
};
const rmsprop = (lr: number, { alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = {}): Rule => (w, g, s) => {
  g += weightDecay * w;
  s.sq = alpha * (s.sq ?? 0) + (1 - alpha) * g * g;
  let avg = s.sq;
  if (centered) {
    s.ga = alpha * (s.ga ?? 0) + (1 - alpha) * g;
    avg -= s.ga * s.ga;
  }
  const d = Math.sqrt(avg) + eps;
  if (momentum > 0) {
    s.b = momentum * (s.b ?? 0) + g / d;
    return w - lr * s.b;
  }
  return w - (lr * g) / d;
};

/** Weights after each of three steps on the loss Σ(w − c)², whose gradient is 2(w − c). */
function reference(rule: Rule, w0: number[], c: number[]): number[][] {
  const states = w0.map(() => ({}) as Record<string, number>);
  const w = [...w0];
  const out: number[][] = [];
  for (let t = 1; t <= 3; t++) {
    for (let i = 0; i < w.length; i++) w[i] = rule(w[i], 2 * (w[i] - c[i]), states[i], t);
    out.push([...w]);
  }
  return out;
}

const W0 = [1, -2, 0.5];
const C = [0.3, 0.1, -0.2];

describe('the scalar transcriptions', () => {
  it('give the hand-worked SGD momentum steps on w² from w = 1 (lr 0.1, μ 0.9)', () => {
    // g = 2w.  t1: b = 2, w = 0.8.  t2: g = 1.6, b = 1.8 + 1.6 = 3.4, w = 0.46.  t3: g = 0.92, b = 3.06 + 0.92 = 3.98, w = 0.062
    const steps = reference(sgd(0.1, { momentum: 0.9 }), [1], [0]).map(([w]) => w);
    steps.forEach((w, i) => expect(w).toBeCloseTo([0.8, 0.46, 0.062][i], 12));
  });

  it('give the hand-worked Adam steps on w² from w = 1 (lr 0.1)', () => {
    // t1: m̂ = g = 2, v̂ = g² = 4, w = 1 − 0.1·2/2 = 0.9.
    // t2: g = 1.8, m = 0.18 + 0.18 = 0.36, v = 0.003996 + 0.00324 = 0.007236,
    //     m̂ = 0.36/0.19, v̂ = 0.007236/0.001999, w = 0.9 − 0.1·1.8947368/1.9025797 = 0.8004122
    const steps = reference(adam(0.1), [1], [0]).map(([w]) => w);
    expect(steps[0]).toBeCloseTo(0.9, 7);
    expect(steps[1]).toBeCloseTo(0.8004122, 6);
  });
});

type Make = (params: Tensor[]) => optim.Optimizer<any>;
const configs: [string, Make, Rule][] = [
  ['SGD', (p) => new optim.SGD(p, { lr: 0.1 }), sgd(0.1)],
  ['SGD with weight decay', (p) => new optim.SGD(p, { lr: 0.1, weightDecay: 0.1 }), sgd(0.1, { weightDecay: 0.1 })],
  ['SGD with momentum and dampening', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1 }), sgd(0.1, { momentum: 0.9, dampening: 0.1 })],
  ['SGD with Nesterov momentum and weight decay', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), sgd(0.05, { momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['Adam', (p) => new optim.Adam(p, { lr: 0.1 }), adam(0.1)],
  ['Adam with L2 weight decay and other betas', (p) => new optim.Adam(p, { lr: 0.01, betas: [0.8, 0.9], weightDecay: 0.1 }), adam(0.01, { beta1: 0.8, beta2: 0.9, weightDecay: 0.1 })],
  ['AdamW', (p) => new optim.AdamW(p, { lr: 0.1, weightDecay: 0.1 }), adam(0.1, { weightDecay: 0.1, decoupled: true })],
  ['RMSprop', (p) => new optim.RMSprop(p, { lr: 0.01 }), rmsprop(0.01)],
  ['RMSprop centred with momentum and weight decay', (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }), rmsprop(0.01, { centered: true, momentum: 0.5, weightDecay: 0.1 })],
];

describe.each(configs)('%s', (_, make, rule) => {
  it("matches PyTorch's rule for its first three steps", async () => {
    const w = tensor(W0, { requiresGrad: true });
    const c = tensor(C);
    const opt = make([w]);
    const want = reference(rule, W0, C);
    for (let t = 0; t < 3; t++) {
      opt.zeroGrad();
      w.sub(c).pow(2).sum().backward();
      opt.step();
      const got = Array.from(await w.data());
      got.forEach((v, i) => expect(Math.abs(v - want[t][i]), `step ${t + 1}, element ${i}`).toBeLessThan(F32_TOLERANCE * Math.max(1, Math.abs(want[t][i]))));
    }
  });

  it('skips parameters without a gradient', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = make([w]);
    opt.step();
    expect(await w.toArray()).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
  });
});

describe('Optimizer', () => {
  it('uses per-group hyper-parameters over the defaults', async () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    a.mul(b).sum().backward();
    opt.step();
    // ∂(ab)/∂a = b = 1, ∂/∂b = a = 1
    expect(await a.item()).toBeCloseTo(0.9, 7);
    expect(await b.item()).toBeCloseTo(0.5, 7);
  });

  it('drops gradients with zeroGrad() and zeroes them in place with setToNone false', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.sum().backward();
    const g = w.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(w.grad).toBe(g);
    expect(await g.toArray()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
  });

  it('continues identically after loading another optimizer’s state dict', async () => {
    const run = async (swapAt: number | null) => {
      const w = tensor(W0, { requiresGrad: true });
      let opt = new optim.Adam([w], { lr: 0.1, weightDecay: 0.01 });
      for (let t = 0; t < 5; t++) {
        if (t === swapAt) {
          const fresh = new optim.Adam([w], { lr: 999 });
          await fresh.loadStateDict(opt.stateDict());
          opt = fresh;
        }
        opt.zeroGrad();
        w.sub(tensor(C)).pow(2).sum().backward();
        opt.step();
      }
      return Array.from(await w.data());
    };
    expect(await run(2)).toEqual(await run(null));
  });

  const rejections: [string, () => unknown, RegExp][] = [
    ['Nesterov without momentum', () => new optim.SGD([tensor([1], { requiresGrad: true })], { lr: 0.1, nesterov: true }), /SGD: got nesterov with momentum 0/],
    ['a negative learning rate', () => new optim.Adam([tensor([1], { requiresGrad: true })], { lr: -1 }), /Adam: got lr -1, expected a number ≥ 0/],
    ['betas outside [0, 1)', () => new optim.AdamW([tensor([1], { requiresGrad: true })], { betas: [0.9, 1] }), /AdamW: got betas \[0.9, 1\]/],
    ['an unknown option', () => new optim.SGD([{ params: [tensor([1], { requiresGrad: true })], momentom: 0.9 } as never], { lr: 0.1 }), /SGD: got an unknown option "momentom"/],
    ['a tensor that does not require grad', () => new optim.SGD([tensor([1])], { lr: 0.1 }), /SGD: parameter 0 \(shape \[1\], dtype float32\) cannot be optimized/],
    ['the same parameter twice', () => { const w = tensor([1], { requiresGrad: true }); return new optim.SGD([w, w], { lr: 0.1 }); }, /appears in more than one place/],
    ['no parameters', () => new optim.RMSprop([]), /RMSprop: got an empty parameter list/],
  ];
  it.each(rejections)('rejects %s with a clear error', (_, make, message) => {
    expect(make).toThrow(message);
  });

  it('rejects a state dict with a mis-shaped buffer or a missing key, naming them, and keeps its state', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    w.sum().backward();
    opt.step();
    const sd = opt.stateDict();
    sd['state.0.momentumBuffer'] = tensor([1, 2, 3]);
    delete sd['group.0.lr'];
    sd['group.0.extra'] = tensor(1);
    const fresh = new optim.SGD([w], { lr: 0.2, momentum: 0.9 });
    // loadStateDict is synchronous, as Module's and PyTorch's.
    expect(() => fresh.loadStateDict(sd)).toThrow(/state\.0\.momentumBuffer: got float32 \[3\], expected float32 \[2\].*missing key group\.0\.lr|missing key group\.0\.lr.*state\.0\.momentumBuffer/);
    expect(() => fresh.loadStateDict(sd)).toThrow(/unexpected keys: group\.0\.extra/);
    expect(fresh.paramGroups[0].lr).toBe(0.2);
    expect(fresh.state.size).toBe(0);
  });
});

describe('clipGradNorm', () => {
  it('scales gradients to the max norm when the total norm exceeds it, and returns the total norm', async () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1, 1], { requiresGrad: true });
    // grads 3 and (4, 0): ‖g‖ = 5; scale 1/(5 + 1e-6)
    a.mul(3).sum().add(b.mul(tensor([4, 0])).sum()).backward();
    const total = optim.clipGradNorm([a, b], 1);
    expect(await total!.item()).toBeCloseTo(5, 6);
    expect(await a.grad!.item()).toBeCloseTo(0.6, 6);
    expect(await b.grad!.toArray()).toEqual([expect.closeTo(0.8, 6), 0]);
  });

  it('leaves gradients below the max norm alone, and uses the largest |g| for the infinity norm', async () => {
    const a = tensor([1, 1], { requiresGrad: true });
    a.mul(tensor([-3, 2])).sum().backward();
    expect(await optim.clipGradNorm([a], 10)!.item()).toBeCloseTo(Math.sqrt(13), 6);
    expect(await a.grad!.toArray()).toEqual([-3, 2]);
    expect(await optim.clipGradNorm([a], 1.5, { normType: Infinity })!.item()).toBe(3);
    expect(await a.grad!.toArray()).toEqual([expect.closeTo(-1.5, 5), expect.closeTo(1, 5)]);
  });
});
