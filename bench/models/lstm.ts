// The `lstm` workload: one training step of a character-level LSTM language model (vocab 65,
// embedding 64, hidden 256, sequence 64, batch 32), cross-entropy, Adam with gradient clipping.
// Its PyTorch twin is bench/torch/lstm.py. Work: tokens per step (batch × sequence).
import { manualSeed, nn, optim, synchronize, tensor, type Tensor } from '../../src/index.js';
import type { BenchModel } from './types.js';

const VOCAB = 65;
const EMBED = 64;
const HIDDEN = 256;
const SEQ = 64;
const BATCH = 32;

/** Fixed token ids (a small LCG), the same every run; values never affect the step's cost. */
function tokens(count: number, seed: number): Tensor {
  let s = seed;
  const ids = Int32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % VOCAB;
  });
  return tensor(ids).reshape([BATCH, SEQ]);
}

export const model: BenchModel = {
  name: 'lstm',
  unit: 'tokens/s',
  work: BATCH * SEQ,
  async make() {
    manualSeed(0);
    const embed = new nn.Embedding(VOCAB, EMBED);
    const lstm = new nn.LSTM(EMBED, HIDDEN, { batchFirst: true });
    const decoder = new nn.Linear(HIDDEN, VOCAB);
    const params = [...embed.parameters(), ...lstm.parameters(), ...decoder.parameters()];
    const optimizer = new optim.Adam(params, { lr: 1e-3 });
    const x = tokens(BATCH * SEQ, 1);
    const y = tokens(BATCH * SEQ, 2).reshape([-1]);
    await synchronize();
    return {
      async step() {
        const [out] = lstm.forward(embed.forward(x));
        const loss = nn.crossEntropy(decoder.forward(out).reshape([-1, VOCAB]), y);
        optimizer.zeroGrad();
        loss.backward();
        optim.clipGradNorm(params, 1);
        optimizer.step();
        await loss.item();
      },
      close() {},
    };
  },
};
