// The recurrent model's training step, eager and as a graph: a character-level GRU (the model of
// examples/char-rnn-graph.ts, from examples/gru-model.ts; tokens drawn at random) over SEQ steps
// of BATCH sequences, cross entropy, gradients clipped to a global norm of 5, Adam. `rnn` is the
// JavaScript loop with autograd and optim.Adam; `rnn-graph` the same step built once with scan
// and train.AdamOptimizer.
// bench/torch/rnn.py is the PyTorch twin of `rnn`.
import { cat, manualSeed, optim, randn, tensor, type Tensor } from '../../src/index.js';
import { Graph, Session, train, type SymbolicTensor } from '../../src/graph/index.js';
import { BATCH, CLIP, gruStep, HIDDEN, initialWeights, LR, projectInputs, SEQ, sequenceLoss } from '../../examples/gru-model.js';
import type { BenchModel } from './types.js';

const VOCAB = 48;

function setup(): { weights: Tensor[]; inputs: Tensor; targets: Tensor } {
  manualSeed(0);
  const weights = initialWeights(VOCAB, randn);
  const codes = (seed: number, n: number) => Int32Array.from({ length: n }, (_, i) => ((i + 1) * 2654435761 + seed * 40503) % VOCAB >>> 0);
  const inputs = tensor(codes(1, SEQ * BATCH), { dtype: 'int32' }).reshape([SEQ, BATCH]);
  const targets = tensor(codes(2, SEQ * BATCH), { dtype: 'int32' }).reshape([SEQ * BATCH, 1]);
  return { weights, inputs, targets };
}

export const model: BenchModel = {
  name: 'rnn',
  unit: 'tokens/s',
  work: SEQ * BATCH,
  async make() {
    const { weights, inputs, targets } = setup();
    const params = weights.map((w) => {
      w.requiresGrad = true;
      return w;
    });
    const [emb, w, u, b, bn, wo, bo] = params;
    const opt = new optim.Adam(params, { lr: LR });
    const h0 = tensor(new Float32Array(BATCH * HIDDEN)).reshape([BATCH, HIDDEN]);
    return {
      async step() {
        const xw = projectInputs(inputs, [emb, w, b]);
        let h = h0;
        const states: Tensor[] = [];
        for (let t = 0; t < SEQ; t++) {
          h = gruStep(h, xw.narrow(0, t, 1).reshape([BATCH, 3 * HIDDEN]), u, bn);
          states.push(h.reshape([1, BATCH, HIDDEN]));
        }
        const loss = sequenceLoss(cat(states, 0), targets, wo, bo);
        opt.zeroGrad();
        loss.backward();
        const [clipped] = train.clipByGlobalNorm(params.map((p) => p.grad as Tensor), CLIP);
        params.forEach((p, i) => (p.grad = clipped[i]));
        opt.step();
        await loss.item();
      },
      close() {},
    };
  },
};

export const graphModel: BenchModel = {
  name: 'rnn-graph',
  unit: 'tokens/s',
  work: SEQ * BATCH,
  async make() {
    const { weights, inputs, targets } = setup();
    const g = new Graph();
    const x = g.placeholder('int32', [SEQ, BATCH], 'inputs');
    const y = g.placeholder('int32', [SEQ * BATCH, 1], 'targets');
    const vars = weights.map((t) => g.variable(t));
    const [emb, w, u, b, bn, wo, bo] = vars;
    const states = g.scan((h, xt) => gruStep(h, xt, u, bn), projectInputs(x, [emb, w, b]), g.zeros([BATCH, HIDDEN]));
    const loss = sequenceLoss(states, y, wo, bo);
    const opt = new train.AdamOptimizer(LR);
    const pairs = opt.computeGradients(loss, { varList: vars });
    const [clipped] = train.clipByGlobalNorm(pairs.map(([grad]) => grad), CLIP);
    const update = opt.applyGradients(pairs.map(([, v], i) => [clipped[i], v]));
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    const feeds: [SymbolicTensor, Tensor][] = [[x, inputs], [y, targets]];
    return {
      async step() {
        const [l] = await sess.run([loss, update], feeds);
        await (l as Tensor).item();
      },
      close() {
        sess.close();
      },
    };
  },
};

export const models: BenchModel[] = [model, graphModel];
