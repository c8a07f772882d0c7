// A character-level GRU, built once as a graph with scan and trained with train.AdamOptimizer and
// clipByGlobalNorm; and its eager twin (the same cell, seed and data, with optim.Adam), so the two
// can be shown to follow one loss trajectory. The text is traditional nursery rhymes.
import { readFileSync } from 'node:fs';
import { cat, manualSeed, optim, randn, tensor, type Tensor } from 'skein';
import { Graph, Session, train, type SymbolicTensor } from 'skein/graph';
import type { Example, ExampleOptions, ExampleResult } from './example.js';
import { BATCH, CLIP, gruStep, HIDDEN, initialWeights as drawWeights, LR, projectInputs, SEQ, sequenceLoss } from './gru-model.js';

export { BATCH, CLIP, HIDDEN, LR, SEQ } from './gru-model.js';

/** The model's weights drawn from the current seed. */
export const initialWeights = (vocab: number): Tensor[] => drawWeights(vocab, randn);

/** The example promises a mean loss over its last steps this far below ln(vocabulary). */
const BASELINE_FRACTION = 0.7;

/** The text, as int32 codes of a sorted alphabet. */
export function corpus(): { codes: Int32Array; vocab: string[] } {
  // Next to the source (examples/), or two levels up from the compiled file (dist/examples/).
  const candidates = [new URL('./data/graph-text.txt', import.meta.url), new URL('../../examples/data/graph-text.txt', import.meta.url)];
  let text: string | null = null;
  for (const c of candidates) {
    try {
      text = readFileSync(c, 'utf8');
      break;
    } catch {
      // try the next place
    }
  }
  if (text === null) throw new Error('char-rnn-graph: examples/data/graph-text.txt not found');
  const vocab = [...new Set(text)].sort();
  const index = new Map(vocab.map((ch, i) => [ch, i]));
  return { codes: Int32Array.from(text, (ch) => index.get(ch) as number), vocab };
}

/** Step s's batch: BATCH windows of SEQ + 1 characters at fixed offsets, time-major [SEQ, BATCH]. */
export function batch(codes: Int32Array, s: number): { inputs: Tensor; targets: Tensor } {
  const span = codes.length - SEQ - 1;
  const inputs = new Int32Array(SEQ * BATCH);
  const targets = new Int32Array(SEQ * BATCH);
  for (let b = 0; b < BATCH; b++) {
    const start = ((s * BATCH + b) * 97) % span;
    for (let t = 0; t < SEQ; t++) {
      inputs[t * BATCH + b] = codes[start + t];
      targets[t * BATCH + b] = codes[start + t + 1];
    }
  }
  return { inputs: tensor(inputs, { dtype: 'int32' }).reshape([SEQ, BATCH]), targets: tensor(targets, { dtype: 'int32' }).reshape([SEQ * BATCH, 1]) };
}

/** The graph: built once (one scan), then each step is one run. */
export async function graphTrainer(weights: Tensor[]): Promise<{ step(s: number, codes: Int32Array): Promise<number>; sess: Session; update: SymbolicTensor; feeds(s: number, codes: Int32Array): [SymbolicTensor, Tensor][] }> {
  const g = new Graph();
  const inputs = g.placeholder('int32', [SEQ, BATCH], 'inputs');
  const targets = g.placeholder('int32', [SEQ * BATCH, 1], 'targets');
  const vars = weights.map((w, i) => g.variable(w, { name: ['embedding', 'w_input', 'u_hidden', 'b_input', 'b_hidden', 'w_out', 'b_out'][i] }));
  const [emb, w, u, b, bn, wo, bo] = vars;
  const xw = projectInputs(inputs, [emb, w, b]);
  const states = g.scan((h, x) => gruStep(h, x, u, bn), xw, g.zeros([BATCH, HIDDEN]));
  const loss = sequenceLoss(states, targets, wo, bo);
  const opt = new train.AdamOptimizer(LR);
  const pairs = opt.computeGradients(loss, { varList: vars });
  const [clipped] = train.clipByGlobalNorm(pairs.map(([grad]) => grad), CLIP);
  const update = opt.applyGradients(pairs.map(([, v], i) => [clipped[i], v]));
  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());
  const feeds = (s: number, codes: Int32Array): [SymbolicTensor, Tensor][] => {
    const d = batch(codes, s);
    return [[inputs, d.inputs], [targets, d.targets]];
  };
  return {
    sess,
    update,
    feeds,
    async step(s, codes) {
      const [l] = await sess.run([loss, update], feeds(s, codes));
      return (await (l as Tensor).item()) as number;
    },
  };
}

/** The eager twin: the same functions in a JavaScript loop, backward, the same clipping, optim.Adam. */
export function eagerTrainer(weights: Tensor[]): { step(s: number, codes: Int32Array): Promise<number> } {
  const params = weights.map((w) => {
    const p = w.detach().clone();
    p.requiresGrad = true;
    return p;
  });
  const [emb, w, u, b, bn, wo, bo] = params;
  const opt = new optim.Adam(params, { lr: LR });
  return {
    async step(s, codes) {
      const d = batch(codes, s);
      const xw = projectInputs(d.inputs, [emb, w, b]);
      let h = tensor(new Float32Array(BATCH * HIDDEN)).reshape([BATCH, HIDDEN]);
      const states: Tensor[] = [];
      for (let t = 0; t < SEQ; t++) {
        h = gruStep(h, xw.narrow(0, t, 1).reshape([BATCH, 3 * HIDDEN]), u, bn);
        states.push(h.reshape([1, BATCH, HIDDEN]));
      }
      const loss = sequenceLoss(cat(states, 0), d.targets, wo, bo);
      opt.zeroGrad();
      loss.backward();
      const [clipped] = train.clipByGlobalNorm(params.map((p) => p.grad as Tensor), CLIP);
      params.forEach((p, i) => (p.grad = clipped[i]));
      opt.step();
      return (await loss.item()) as number;
    },
  };
}

async function runTrainer(name: string, make: (w: Tensor[]) => Promise<{ step(s: number, codes: Int32Array): Promise<number> }>, { steps = 150, quiet, seed, threads, log }: ExampleOptions): Promise<ExampleResult> {
  manualSeed(seed);
  const { codes, vocab } = corpus();
  const trainer = await make(initialWeights(vocab.length));
  const losses: number[] = [];
  const started = performance.now();
  for (let s = 0; s < steps; s++) {
    losses.push(await trainer.step(s, codes));
    if (!quiet && (s % 10 === 0 || s === steps - 1)) log(`${s} ${losses[s].toFixed(4)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const baseline = Math.log(vocab.length);
  const tail = losses.slice(-Math.min(20, losses.length));
  const recent = tail.reduce((a, b) => a + b, 0) / tail.length;
  const ok = Number.isFinite(recent) && recent < BASELINE_FRACTION * baseline;
  return {
    ok,
    losses,
    summary: `${name}: loss ${losses[0].toFixed(4)} → ${recent.toFixed(4)} (mean of the last ${tail.length}; uniform baseline ln ${vocab.length} = ${baseline.toFixed(4)}, needs < ${(BASELINE_FRACTION * baseline).toFixed(4)}) in ${steps} steps, ${seconds.toFixed(2)} s, ${(steps / seconds).toFixed(1)} steps/s on ${threads} thread(s)`,
  };
}

export const charRnnGraph: Example = {
  name: 'char-rnn-graph',
  description: 'a character-level GRU built once with scan, trained with train.AdamOptimizer and clipByGlobalNorm (150 steps, 32×16 characters each)',
  run(options) {
    return runTrainer(this.name, graphTrainer, options);
  },
};

export const charRnnGraphEager: Example = {
  name: 'char-rnn-graph-eager',
  description: "char-rnn-graph's eager twin: the same GRU, seed and data in a JavaScript loop, optim.Adam",
  run(options) {
    return runTrainer(this.name, async (w) => eagerTrainer(w), options);
  },
};
