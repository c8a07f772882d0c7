// A character-level LSTM language model (Karpathy's char-rnn, in Skein): embedding 64, one LSTM
// layer of 256, a linear decoder, on examples/data/shakespeare.txt. Truncated BPTT over windows
// of 64 characters in 32 parallel streams, Adam with gradient clipping, then a seeded sample.
// Fails unless the loss ends well below the uniform baseline and the sample repeats exactly.
import { manualSeed, nn, noGrad, tensor, type Tensor } from 'skein';
import { PASS_LOSS, readCorpus, sampleIndex, Streams, trainChars } from './char-data.js';
import type { Example } from './example.js';

const EMBED = 64;
const HIDDEN = 256;
const SEQ = 64;
const BATCH = 32;
const STEPS = 80;
const SAMPLE_LENGTH = 200;
/** "Well below ln 65": the mean of the last 10 losses must be under this many nats. */

class CharRNN extends nn.Module {
  readonly embed: nn.Embedding;
  readonly lstm: nn.LSTM;
  readonly decoder: nn.Linear;

  constructor(vocab: number) {
    super();
    this.embed = new nn.Embedding(vocab, EMBED);
    this.lstm = new nn.LSTM(EMBED, HIDDEN, { batchFirst: true });
    this.decoder = new nn.Linear(HIDDEN, vocab);
  }

  /** ids [batch, seq] → logits [batch, seq, vocab], and the state after the last character. */
  forward(ids: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [out, next] = this.lstm.forward(this.embed.forward(ids), state);
    return [this.decoder.forward(out), next];
  }
}

/** SAMPLE_LENGTH characters after `prime`, each drawn from the model's softmax (seeded). */
async function sample(model: CharRNN, chars: string[], prime: string, seed: number): Promise<string> {
  manualSeed(seed);
  model.eval();
  const index = new Map(chars.map((c, i) => [c, i]));
  let out = '';
  const primeIds = tensor(Int32Array.from(prime, (c) => index.get(c) as number)).reshape([1, -1]);
  let [logits, state] = noGrad(() => model.forward(primeIds));
  for (let i = 0; i < SAMPLE_LENGTH; i++) {
    const id = noGrad(() => sampleIndex(logits.narrow(1, (logits.shape[1] as number) - 1, 1).reshape([-1]).softmax(0)));
    out += chars[await id.item()];
    [logits, state] = noGrad(() => model.forward(id.reshape([1, 1]), state));
  }
  model.train();
  return out;
}

export const charRnn: Example = {
  name: 'char-rnn',
  description: `an LSTM language model (embedding ${EMBED}, hidden ${HIDDEN}) on Shakespeare, truncated BPTT over ${SEQ} characters, loss < ${PASS_LOSS}; prints a seeded sample`,
  async run({ steps = STEPS, ...options }) {
    const { chars, ids } = readCorpus();
    const streams = new Streams(ids, BATCH, SEQ);
    manualSeed(options.seed);
    const model = new CharRNN(chars.length);
    let state: [Tensor, Tensor] | undefined;
    return trainChars({
      name: 'char-rnn',
      model,
      tokensPerStep: BATCH * SEQ,
      window: (step) => {
        const w = step % streams.windows;
        if (w === 0) state = undefined; // each pass over the text starts from a zero state
        const { x, y } = streams.window(w);
        const [logits, next] = model.forward(x, state);
        // The state carries over, its history cut: back-propagation stops at the window's start.
        state = [next[0].detach(), next[1].detach()];
        return { logits, y };
      },
      sample: (prime, seed) => sample(model, chars, prime, seed),
    }, chars.length, { ...options, steps });
  },
};
