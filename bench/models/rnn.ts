// The recurrent model's training step, eager and as a graph: a character-level GRU (the model of
// examples/char-rnn-graph.ts, tokens drawn at random) over SEQ steps of BATCH sequences, cross
// entropy, gradients clipped to a global norm of 5, Adam. `rnn` is the JavaScript loop with
// autograd and optim.Adam; `rnn-graph` the same step built once with scan and train.AdamOptimizer.
// bench/torch/rnn.py is the PyTorch twin of `rnn`.
import { cat, manualSeed, optim, randn, tensor, type Tensor } from '../../src/index.js';
import { Graph, Session, train, type SymbolicTensor } from '../../src/graph/index.js';
import type { BenchModel } from './types.js';

const VOCAB = 48;
const EMBED = 16;
const HIDDEN = 64;
const SEQ = 32;
const BATCH = 16;
const LR = 0.01;
const CLIP = 5;

interface Ops<T> {
  add(o: T | number): T;
  mul(o: T | number): T;
  neg(): T;
  tanh(): T;
  sigmoid(): T;
  matmul(o: T): T;
  narrow(dim: number, start: number, length: number): T;
  reshape(shape: readonly (number | null)[]): T;
  indexSelect(dim: number, index: T): T;
  logSoftmax(dim: number): T;
  gather(dim: number, index: T): T;
  mean(): T;
}

/** GRU, PyTorch's form: z, r, n gates; the input projection is done for all steps before the loop. */
function gruStep<T extends Ops<T>>(h: T, xw: T, u: T, bn: T): T {
  const hu = h.matmul(u);
  const part = (x: T, k: number) => x.narrow(1, k * HIDDEN, HIDDEN);
  const z = part(xw, 0).add(part(hu, 0)).sigmoid();
  const r = part(xw, 1).add(part(hu, 1)).sigmoid();
  const n = part(xw, 2).add(r.mul(part(hu, 2).add(bn))).tanh();
  return z.neg().add(1).mul(n).add(z.mul(h));
}

function project<T extends Ops<T>>(inputs: T, emb: T, w: T, b: T): T {
  return emb.indexSelect(0, inputs.reshape([-1])).matmul(w).add(b).reshape([SEQ, BATCH, 3 * HIDDEN]);
}

function lossOf<T extends Ops<T>>(states: T, targets: T, wo: T, bo: T): T {
  return states.reshape([SEQ * BATCH, HIDDEN]).matmul(wo).add(bo).logSoftmax(1).gather(1, targets).neg().mean();
}

function setup(): { weights: Tensor[]; inputs: Tensor; targets: Tensor } {
  manualSeed(0);
  const s = 1 / Math.sqrt(HIDDEN);
  const weights = [randn([VOCAB, EMBED]).mul(0.5), randn([EMBED, 3 * HIDDEN]).mul(s), randn([HIDDEN, 3 * HIDDEN]).mul(s), randn([3 * HIDDEN]).mul(0.1), randn([HIDDEN]).mul(0.1), randn([HIDDEN, VOCAB]).mul(s), randn([VOCAB]).mul(0.1)];
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
        const xw = project(inputs, emb, w, b);
        let h = h0;
        const states: Tensor[] = [];
        for (let t = 0; t < SEQ; t++) {
          h = gruStep(h, xw.narrow(0, t, 1).reshape([BATCH, 3 * HIDDEN]), u, bn);
          states.push(h.reshape([1, BATCH, HIDDEN]));
        }
        const loss = lossOf(cat(states, 0), targets, wo, bo);
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
    const states = g.scan((h, xt) => gruStep(h, xt, u, bn), project(x, emb, w, b), g.zeros([BATCH, HIDDEN]));
    const loss = lossOf(states, y, wo, bo);
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
