// A small causal transformer language model on the char-rnn text: character and learned position
// embeddings (64), two pre-norm TransformerEncoderLayers (4 heads, feed-forward 256) under a
// causal mask, a final LayerNorm and a linear decoder. Adam with gradient clipping on random
// 64-character windows, then a seeded sample. Fails unless the loss ends well below the uniform
// baseline and the sample repeats exactly.
import { arange, manualSeed, nn, noGrad, optim, tensor, type Tensor } from 'skein';
import { progress, readCorpus, sampleIndex, tailMean, UNIFORM_LOSS } from './char-data.js';
import type { Example } from './example.js';

const D_MODEL = 64;
const HEADS = 4;
const LAYERS = 2;
const FEEDFORWARD = 256;
const CONTEXT = 64;
const BATCH = 32;
const STEPS = 120;
const SAMPLE_LENGTH = 200;
/** "Well below ln 65": the mean of the last 10 losses must be under this many nats. */
const PASS_LOSS = 2.6;

class CharTransformer extends nn.Module {
  readonly tokens: nn.Embedding;
  readonly positions: nn.Embedding;
  readonly layers: nn.TransformerEncoderLayer[];
  readonly norm: nn.LayerNorm;
  readonly decoder: nn.Linear;

  constructor(vocab: number) {
    super();
    this.tokens = new nn.Embedding(vocab, D_MODEL);
    this.positions = new nn.Embedding(CONTEXT, D_MODEL);
    this.layers = Array.from({ length: LAYERS }, () => new nn.TransformerEncoderLayer(D_MODEL, HEADS, { dimFeedforward: FEEDFORWARD, dropout: 0, batchFirst: true, normFirst: true, activation: 'gelu' }));
    this.norm = new nn.LayerNorm(D_MODEL);
    this.decoder = new nn.Linear(D_MODEL, vocab);
  }

  /** ids [batch, T ≤ CONTEXT] → logits [batch, T, vocab]; position t sees positions ≤ t only. */
  forward(ids: Tensor): Tensor {
    const T = ids.shape[1] as number;
    let x = this.tokens.forward(ids).mul(0.25).add(this.positions.forward(arange(T)).mul(0.25));
    for (const layer of this.layers) x = layer.forward(x, { isCausal: true });
    return this.decoder.forward(this.norm.forward(x));
  }
}

/** Deterministic batch starts from a small LCG (the example's data order never touches Skein's RNG). */
function windowStarts(count: number, limit: number, step: number, seed: number): number[] {
  let s = (seed * 2654435761 + step * 40503 + 1) >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % limit;
  });
}

function batchAt(ids: Int32Array, starts: number[]): { x: Tensor; y: Tensor } {
  const x = new Int32Array(starts.length * CONTEXT);
  const y = new Int32Array(starts.length * CONTEXT);
  starts.forEach((s, b) => {
    x.set(ids.subarray(s, s + CONTEXT), b * CONTEXT);
    y.set(ids.subarray(s + 1, s + 1 + CONTEXT), b * CONTEXT);
  });
  return { x: tensor(x).reshape([starts.length, CONTEXT]), y: tensor(y).reshape([starts.length, CONTEXT]) };
}

async function sample(model: CharTransformer, chars: string[], prime: string, seed: number): Promise<string> {
  manualSeed(seed);
  model.eval();
  const index = new Map(chars.map((c, i) => [c, i]));
  const context = Array.from(prime, (c) => index.get(c) as number);
  let out = '';
  for (let i = 0; i < SAMPLE_LENGTH; i++) {
    const window = context.slice(-CONTEXT);
    const id = noGrad(() => {
      const logits = model.forward(tensor(Int32Array.from(window)).reshape([1, -1]));
      return sampleIndex(logits.narrow(1, window.length - 1, 1).reshape([-1]).softmax(0));
    });
    const next = await id.item();
    context.push(next);
    out += chars[next];
  }
  model.train();
  return out;
}

export const charTransformer: Example = {
  name: 'char-transformer',
  description: `a ${LAYERS}-layer causal transformer (d ${D_MODEL}, ${HEADS} heads) from TransformerEncoderLayer on the char-rnn text, loss < ${PASS_LOSS}; prints a seeded sample`,
  async run({ steps = STEPS, quiet, seed, threads, log }) {
    const { chars, ids } = readCorpus();
    manualSeed(seed);
    const model = new CharTransformer(chars.length);
    const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
    const bar = !quiet && process.stdout.isTTY === true;
    const losses: number[] = [];
    const started = performance.now();
    for (let step = 0; step < steps; step++) {
      const { x, y } = batchAt(ids, windowStarts(BATCH, ids.length - CONTEXT - 1, step, seed));
      const loss = nn.crossEntropy(model.forward(x).reshape([-1, chars.length]), y.reshape([-1]));
      optimizer.zeroGrad();
      loss.backward();
      optim.clipGradNorm(model.parameters(), 1);
      optimizer.step();
      losses.push(await loss.item());
      const rate = ((step + 1) * BATCH * CONTEXT) / ((performance.now() - started) / 1000);
      if (bar) process.stdout.write(`\r\x1b[2K${progress(step + 1, steps, losses[step], rate)}`);
      else if (!quiet && (step + 1) % 25 === 0) log(`step ${step + 1}/${steps} loss ${losses[step].toFixed(4)}`);
    }
    if (bar) process.stdout.write('\r\x1b[2K');
    const seconds = (performance.now() - started) / 1000;
    const text = await sample(model, chars, 'First Citizen:\n', seed + 1);
    const again = await sample(model, chars, 'First Citizen:\n', seed + 1);
    const final = tailMean(losses, 10);
    log(`sample (seed ${seed + 1}):\nFirst Citizen:\n${text}`);
    log(`the same seed gives ${again === text ? 'the same' : 'a DIFFERENT'} sample`);
    const rate = (losses.length * BATCH * CONTEXT) / seconds;
    return {
      ok: final < PASS_LOSS && again === text,
      losses,
      summary: `char-transformer: loss ${losses[0].toFixed(4)} → ${final.toFixed(4)} (uniform ${UNIFORM_LOSS.toFixed(2)}; needs < ${PASS_LOSS}) in ${losses.length} steps, ${seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} tokens/s on ${threads} thread(s)`,
    };
  },
};
