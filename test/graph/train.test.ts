// train: TF1's optimizers on graphs follow Skein's eager optim step for step (same rules), slots
// are initialised by globalVariablesInitializer, each update is one in-place pass per variable,
// clipByGlobalNorm is TF1's, and every error a user can provoke.
import { describe, expect, it } from 'vitest';
import { optim, tensor, ValueError, type Tensor } from '../../src/index.js';
import { Graph, Session, train, type SymbolicTensor, type Variable } from '../../src/graph/index.js';
import type { TensorOps } from '../../src/ops/methods.js';
import { prng } from '../support/inputs.js';

/** float32, 15 steps: the modes differ by fused rounding of intermediates, ≈ 1e-7 a step. */
const F32_RTOL = 2e-4;
const F32_ATOL = 1e-5;
const STEPS = 15;
const N = 8;
const D = 3;
const H = 5;

const draw = (n: number, seed: number, scale = 0.6) => {
  const r = prng(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};
const shapes = [[D, H], [H], [H, 1], [1]];
const initial = () => shapes.map((s, i) => tensor(draw(s.reduce((a, b) => a * b, 1), 10 + i)).reshape(s));
const X = () => tensor(draw(N * D, 1, 1)).reshape([N, D]);
const Y = () => tensor(draw(N, 2, 1)).reshape([N, 1]);

/** One model for both modes: a tanh MLP with a mean squared error. */
function lossOf<T extends TensorOps<T>>(x: T, y: T, [w1, b1, w2, b2]: T[]): T {
  return x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).pow(2).mean();
}

interface Pair {
  name: string;
  graph: () => train.Optimizer;
  eager: (params: Tensor[]) => optim.Optimizer<any>;
}

const PAIRS: Pair[] = [
  { name: 'GradientDescentOptimizer / SGD', graph: () => new train.GradientDescentOptimizer(0.1), eager: (p) => new optim.SGD(p, { lr: 0.1 }) },
  { name: 'MomentumOptimizer / SGD with momentum', graph: () => new train.MomentumOptimizer(0.05, 0.9), eager: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }) },
  { name: 'MomentumOptimizer with Nesterov / SGD nesterov', graph: () => new train.MomentumOptimizer(0.05, 0.9, { useNesterov: true }), eager: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }) },
  { name: 'AdamOptimizer / Adam', graph: () => new train.AdamOptimizer(0.02), eager: (p) => new optim.Adam(p, { lr: 0.02 }) },
  { name: 'RMSPropOptimizer / RMSprop', graph: () => new train.RMSPropOptimizer(0.01, { decay: 0.9, epsilon: 1e-8 }), eager: (p) => new optim.RMSprop(p, { lr: 0.01, alpha: 0.9, eps: 1e-8 }) },
  {
    name: 'centred RMSPropOptimizer with momentum / RMSprop',
    graph: () => new train.RMSPropOptimizer(0.01, { decay: 0.9, epsilon: 1e-8, momentum: 0.5, centered: true }),
    eager: (p) => new optim.RMSprop(p, { lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true }),
  },
];

async function eagerRun(pair: Pair): Promise<{ losses: number[]; weights: number[][] }> {
  const params = initial().map((t) => {
    t.requiresGrad = true;
    return t;
  });
  const opt = pair.eager(params);
  const x = X();
  const y = Y();
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const loss = lossOf(x, y, params);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push((await loss.item()) as number);
  }
  return { losses, weights: await Promise.all(params.map(flat)) };
}

function graphModel(opt: train.Optimizer) {
  const g = new Graph();
  const x = g.placeholder('float32', [null, D], 'x');
  const y = g.placeholder('float32', [null, 1], 'y');
  const params = initial().map((t, i) => g.variable(t, { name: `w${i}` }));
  const loss = lossOf<SymbolicTensor>(x, y, params);
  const step = g.variable(0, { dtype: 'int32', trainable: false, name: 'global_step' });
  const update = opt.minimize(loss, { globalStep: step });
  return { g, x, y, params, loss, step, update };
}

async function graphRun(pair: Pair): Promise<{ losses: number[]; weights: number[][] }> {
  const { g, x, y, params, loss, update } = graphModel(pair.graph());
  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());
  const feeds: [SymbolicTensor, Tensor][] = [[x, X()], [y, Y()]];
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const [l] = await sess.run([loss, update], feeds);
    losses.push((await (l as Tensor).item()) as number);
  }
  return { losses, weights: await Promise.all((await sess.run(params)).map((t) => flat(t as Tensor))) };
}

async function flat(t: Tensor): Promise<number[]> {
  const v = (await t.detach().contiguous().reshape([-1]).toArray()) as number[];
  return Array.isArray(v) ? v : [v];
}

const close = (a: number, b: number) => Math.abs(a - b) <= F32_ATOL + F32_RTOL * Math.abs(b);

describe.each(PAIRS)('$name', (pair) => {
  it('gives the eager trajectory: losses and final weights', async () => {
    const [eager, graph] = [await eagerRun(pair), await graphRun(pair)];
    expect(eager.losses[STEPS - 1]).toBeLessThan(eager.losses[0]); // it trains at all
    graph.losses.forEach((l, s) => expect(close(l, eager.losses[s]), `step ${s}: ${l} vs ${eager.losses[s]}`).toBe(true));
    graph.weights.forEach((w, i) => w.forEach((v, k) => expect(close(v, eager.weights[i][k])).toBe(true)));
  });
});

describe('optimizer machinery', () => {
  it('slot variables start at zeros through globalVariablesInitializer, and globalStep counts updates', async () => {
    const opt = new train.AdamOptimizer(0.01);
    const { g, x, y, params, update, step } = graphModel(opt);
    expect(opt.getSlotNames()).toEqual(['m', 'v']);
    const m = opt.getSlot(params[0], 'm') as Variable;
    expect(m.name).toBe('w0/Adam/m');
    expect(m.trainable).toBe(false);
    expect(g.trainableVariables()).toEqual(params);
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    expect(await flat((await sess.run(m)) as Tensor)).toEqual(new Array(D * H).fill(0));
    for (let s = 0; s < 3; s++) await sess.run(update, [[x, X()], [y, Y()]]);
    expect(await ((await sess.run(step)) as Tensor).item()).toBe(3);
    expect((await flat((await sess.run(m)) as Tensor)).some((v) => v !== 0)).toBe(true);
  });

  it.each([
    ['GradientDescent', () => new train.GradientDescentOptimizer(0.1), ['']],
    ['Momentum', () => new train.MomentumOptimizer(0.1, 0.9), ['', '/Momentum/momentum']],
    ['Adam', () => new train.AdamOptimizer(0.1), ['', '/Adam/m', '/Adam/v']],
    ['RMSProp', () => new train.RMSPropOptimizer(0.1, { momentum: 0.9 }), ['', '/RMSProp/rms', '/RMSProp/momentum']],
  ] as const)('%s compiles each update to one fused pass writing its variable in place', async (_, make, suffixes) => {
    const { g, x, y, update } = graphModel(make());
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    const text = await sess.explain(update, [[x, X()], [y, Y()]]);
    for (let i = 0; i < shapes.length; i++) {
      for (const suffix of suffixes) {
        const name = `w${i}${suffix}`;
        const passes = text.split('\n').filter((l) => l.includes(`writes ${name} in place`));
        expect(passes.length, `${name} in\n${text}`).toBe(1);
        expect(text).not.toContain(`assign_${name} ←`);
      }
    }
  });

  it('computeGradients gives null for a variable the loss does not reach, and applyGradients skips it', async () => {
    const g = new Graph();
    const a = g.variable([1, 2], { name: 'a' });
    const unused = g.variable([3], { name: 'unused' });
    const loss = a.mul(a).sum();
    const opt = new train.GradientDescentOptimizer(0.5);
    const pairs = opt.computeGradients(loss, { varList: [a, unused] });
    expect(pairs[1]).toEqual([null, unused]);
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    await sess.run(opt.applyGradients(pairs));
    // a ← a − 0.5·2a = 0
    expect(await flat((await sess.run(a)) as Tensor)).toEqual([0, 0]);
    expect(await flat((await sess.run(unused)) as Tensor)).toEqual([3]);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales by clipNorm / max(N, clipNorm), passing nulls, in both modes', async () => {
    // N = √(3² + 4² + 0² + 12²) = 13; clipNorm 6.5 halves everything.
    const g = new Graph();
    const a = g.constant([3, 4]);
    const b = g.constant([[0], [12]]);
    const [clipped, norm] = train.clipByGlobalNorm([a, null, b], 6.5);
    expect(clipped[1]).toBeNull();
    const sess = new Session(g);
    const out = await sess.run([clipped[0] as SymbolicTensor, clipped[2] as SymbolicTensor, norm]);
    expect(await Promise.all(out.map((t) => (t as Tensor).toArray()))).toEqual([[1.5, 2], [[0], [6]], 13]);
    const [eager, eagerNorm] = train.clipByGlobalNorm([tensor([3, 4]), tensor([[0], [12]])], 6.5);
    expect(await (eager[0] as Tensor).toArray()).toEqual([1.5, 2]);
    expect(await eagerNorm.item()).toBe(13);
    // Under the limit nothing changes: 13 ≤ 20.
    const [same] = train.clipByGlobalNorm([tensor([3, 4]), tensor([[0], [12]])], 20);
    expect(await (same[1] as Tensor).toArray()).toEqual([[0], [12]]);
  });
});

describe('errors', () => {
  it('bad hyperparameters', () => {
    expect(() => new train.GradientDescentOptimizer(-1)).toThrow(ValueError);
    expect(() => new train.GradientDescentOptimizer(-1)).toThrow(/^GradientDescentOptimizer: got learningRate -1, expected a number ≥ 0/);
    expect(() => new train.AdamOptimizer(0.1, { beta1: 1 })).toThrow(/^AdamOptimizer: got beta1 1, expected a number in \[0, 1\)/);
    expect(() => new train.MomentumOptimizer(0.1, -0.5)).toThrow(/^MomentumOptimizer: got momentum -0.5, expected a number ≥ 0/);
    expect(() => new train.RMSPropOptimizer(0.1, { epsilon: -1 })).toThrow(/^RMSPropOptimizer: got epsilon -1, expected a number ≥ 0/);
    expect(() => train.clipByGlobalNorm([], 1)).toThrow(/^clipByGlobalNorm: got no tensors \(all null\)/);
    expect(() => train.clipByGlobalNorm([tensor([1])], 0)).toThrow(/^clipByGlobalNorm: got clipNorm 0, expected a number > 0/);
  });

  it('a loss that reaches no variable, a non-variable in varList, a non-float loss', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2]);
    const v = g.variable([1, 2], { name: 'v' });
    const opt = new train.GradientDescentOptimizer(0.1);
    expect(() => opt.minimize(x.sum(), { varList: [v] })).toThrow(/^GradientDescent.applyGradients: no gradients for any variable \(v\)/);
    expect(() => opt.minimize(x.sum(), { varList: [x as Variable] })).toThrow(/^GradientDescent.computeGradients: got SymbolicTensor at varList\[0\], expected a Variable/);
    expect(() => opt.minimize(x.gt(0))).toThrow(/^GradientDescent.computeGradients: got a loss of dtype bool, expected float32 or float64/);
    expect(() => new train.AdamOptimizer().minimize(new Graph().placeholder('float32', []))).toThrow(/^Adam.computeGradients: got no variables to train/);
    expect(() => opt.applyGradients([[v, v], [x]] as never)).toThrow(/^GradientDescent.applyGradients: got \[SymbolicTensor\] at 1, expected a \[gradient or null, Variable\] pair/);
    expect(() => opt.minimize(v.sum(), { globalStep: x as Variable })).toThrow(/^GradientDescent.applyGradients: got SymbolicTensor as globalStep, expected a Variable/);
  });
});
