// A small causal transformer language model on the char-rnn text: character and learned position
// embeddings (64), two pre-norm TransformerEncoderLayers (4 heads, feed-forward 256) under a
// causal mask, a final LayerNorm and a linear decoder. Adam with gradient clipping on random
// 64-character windows, then a seeded sample. Fails unless the loss ends well below the uniform
// baseline and the sample repeats exactly.
import { arange, manualSeed, nn, noGrad, tensor, type Tensor } from 'skein';
import { PASS_LOSS, readCorpus, sampleIndex, trainChars } from './char-data.js';
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
  async run({ steps = STEPS, ...options }) {
    const { chars, ids } = readCorpus();
    manualSeed(options.seed);
    const model = new CharTransformer(chars.length);
    return trainChars({
      name: 'char-transformer',
      model,
      tokensPerStep: BATCH * CONTEXT,
      window: (step) => {
        const { x, y } = batchAt(ids, windowStarts(BATCH, ids.length - CONTEXT - 1, step, options.seed));
        return { logits: model.forward(x), y };
      },
      sample: (prime, seed) => sample(model, chars, prime, seed),
    }, chars.length, { ...options, steps });
  },
};
