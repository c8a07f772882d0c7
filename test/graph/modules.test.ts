// One model, both modes: nn modules called on a graph's placeholders use that graph's variables
// (made from the module's values), train as a graph, and write back to the module, so a
// graph-trained model saves and loads like an eager one.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, tensor, ValueError, type Tensor } from '../../src/index.js';
import { ClosedSessionError, Graph, Session, train, type SymbolicTensor } from '../../src/graph/index.js';
import { prng } from '../support/inputs.js';

/** float32 over 12 Adam steps: the modes differ by fused rounding, ≈ 1e-7 a step. */
const F32_RTOL = 2e-4;
const F32_ATOL = 1e-5;
const STEPS = 12;

const draw = (n: number, seed: number) => {
  const r = prng(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};
const X = () => tensor(draw(6 * 4, 1)).reshape([6, 4]);
const Y = () => tensor(draw(6 * 3, 2)).reshape([6, 3]);

function mlp(): nn.Sequential {
  manualSeed(7);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.LayerNorm(8), new nn.Linear(8, 8), new nn.GELU(), new nn.Linear(8, 3));
}

async function flat(t: Tensor): Promise<number[]> {
  const v = (await t.detach().contiguous().reshape([-1]).toArray()) as number[];
  return Array.isArray(v) ? v : [v];
}

async function expectClose(a: nn.StateDict, b: nn.StateDict): Promise<void> {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    const [x, y] = [await flat(a[k]), await flat(b[k])];
    x.forEach((v, i) => expect(Math.abs(v - y[i]), `${k}[${i}]`).toBeLessThanOrEqual(F32_ATOL + F32_RTOL * Math.abs(y[i])));
  }
}

describe('nn modules on a graph', () => {
  it('run forward like eager, each layer kind', async () => {
    manualSeed(3);
    const layers: [string, nn.Module, Tensor][] = [
      ['Linear', new nn.Linear(4, 3), X()],
      ['LayerNorm', new nn.LayerNorm(4), X()],
      ['Embedding', new nn.Embedding(5, 2), tensor([[0, 4], [2, 2]], { dtype: 'int32' })],
      ['ReLU', new nn.ReLU(), X()],
      ['Sigmoid', new nn.Sigmoid(), X()],
      ['Dropout in eval', new nn.Dropout(0.5).eval(), X()],
      ['Sequential', mlp(), X()],
    ];
    for (const [name, layer, input] of layers) {
      const g = new Graph();
      const x = g.placeholder(input.dtype, input.shape, 'x');
      const y = layer.forward(x as never) as SymbolicTensor;
      const sess = new Session(g);
      await sess.run(g.globalVariablesInitializer());
      const got = await flat((await sess.run(y, [[x, input]])) as Tensor);
      const want = await flat(layer.forward(input) as Tensor);
      got.forEach((v, i) => expect(Math.abs(v - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]))));
    }
  });

  it('make one variable per parameter per graph, and leave the module eager', async () => {
    const model = mlp();
    const g1 = new Graph();
    const g2 = new Graph();
    model.forward(g1.placeholder('float32', [null, 4]));
    model.forward(g1.placeholder('float32', [null, 4]));
    model.forward(g2.placeholder('float32', [2, 4]));
    expect(g1.trainableVariables().length).toBe(model.parameters().length);
    expect(g2.trainableVariables().length).toBe(model.parameters().length);
    expect(g1.variableOf(model.parameters()[0])).not.toBe(g2.variableOf(model.parameters()[0]));
    expect(g1.trainableVariables()[0].name).toBe('Linear.weight');
    // Fields are the module's own tensors again: an eager call still gives an eager tensor.
    expect(model.parameters().every((p) => p.constructor.name === 'Tensor')).toBe(true);
    expect((model.forward(X()) as Tensor).shape).toEqual([6, 3]);
  });

  it('train as a graph to the eager state dict, and load into each other', async () => {
    // Eager: optim.Adam.
    const eager = mlp();
    const opt = new optim.Adam(eager.parameters(), { lr: 0.01 });
    for (let s = 0; s < STEPS; s++) {
      const loss = (eager.forward(X()) as Tensor).sub(Y()).pow(2).mean();
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    // Graph: the same module definition, train.AdamOptimizer.
    const model = mlp();
    const g = new Graph();
    const x = g.placeholder('float32', [null, 4], 'x');
    const y = g.placeholder('float32', [null, 3], 'y');
    const loss = (model.forward(x) as SymbolicTensor).sub(y).pow(2).mean();
    const update = new train.AdamOptimizer(0.01).minimize(loss);
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    for (let s = 0; s < STEPS; s++) await sess.run(update, [[x, X()], [y, Y()]]);

    const trained = await sess.stateDict(model);
    await expectClose(trained, eager.stateDict());
    // The module itself still holds its initial values until writeBack.
    await expectClose(model.stateDict(), mlp().stateDict());
    await sess.writeBack(model);
    await expectClose(model.stateDict(), eager.stateDict());

    // Into each other: the graph's state into a fresh eager model; an eager state into the session.
    const fresh = mlp();
    fresh.loadStateDict(trained);
    await expectClose(fresh.stateDict(), eager.stateDict());
    await sess.loadStateDict(model, mlp().stateDict());
    await expectClose(await sess.stateDict(model), mlp().stateDict());
  });

  it('errors: a session given something other than a module, or closed', async () => {
    const sess = new Session(new Graph());
    await expect(sess.stateDict({} as nn.Module)).rejects.toThrow(ValueError);
    await expect(sess.writeBack(null as never)).rejects.toThrow(/^Session.writeBack: got null, expected an nn.Module/);
    await expect(sess.loadStateDict(3 as never, {})).rejects.toThrow(/^Session.loadStateDict: got number, expected an nn.Module/);
    sess.close();
    await expect(sess.stateDict(mlp())).rejects.toThrow(ClosedSessionError);
  });
});
