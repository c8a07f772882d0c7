// The sequence examples: char-rnn and char-transformer give the same losses and the same sample
// bit for bit on 1 and 2 threads (a few steps; their full runs check convergence themselves),
// and their seeded categorical sampler draws from the distribution it is given.
import { describe, expect, it } from 'vitest';
// The examples import 'skein'; import the runtime under the same name so both share one module.
import { manualSeed, noGrad, setNumThreads, tensor } from 'skein';
import { charRnn } from '../examples/char-rnn.js';
import { charTransformer } from '../examples/char-transformer.js';
import { readCorpus, sampleIndex, Streams } from '../examples/char-data.js';

const STEPS = 3;
/** A few steps of an LSTM over 2,048 tokens each, on a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 240_000;

describe.each([charRnn, charTransformer])('example $name', (example) => {
  it(`gives the same losses and sample on 1 and 2 threads (${STEPS} steps)`, async () => {
    const runs = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const lines: string[] = [];
      const result = await example.run({ steps: STEPS, quiet: true, seed: 0, threads, log: (line) => lines.push(line) });
      expect(result.losses).toHaveLength(STEPS);
      expect(result.losses.every(Number.isFinite)).toBe(true);
      expect(lines.join('\n')).toContain('the same seed gives the same sample');
      runs.push({ losses: result.losses, sample: lines.find((l) => l.startsWith('sample')) });
    }
    expect(runs[1]).toEqual(runs[0]);
    // One step of training from a uniform start: the first loss is near ln(vocabulary).
    expect(Math.abs(runs[0].losses[0] - Math.log(readCorpus().chars.length))).toBeLessThan(0.5);
  }, RUN_TIMEOUT_MS);
});

describe('the examples’ data', () => {
  it('cuts the text into streams whose targets are the next characters', async () => {
    const { ids } = readCorpus();
    const streams = new Streams(ids, 4, 8);
    const { x, y } = streams.window(1);
    const xs = Array.from(await x.data());
    const ys = Array.from(await y.data());
    expect(xs.slice(1, 8)).toEqual(ys.slice(0, 7));
    const length = Math.floor((ids.length - 1) / 4);
    expect(xs.slice(8, 16)).toEqual(Array.from(ids.subarray(length + 8, length + 16)));
  });

  it('samples indices with the probabilities given, and repeats from the same seed', async () => {
    const probs = tensor([0.1, 0.6, 0, 0.3], { dtype: 'float64' });
    manualSeed(7);
    const draws: number[] = [];
    for (let i = 0; i < 2000; i++) draws.push(await noGrad(() => sampleIndex(probs)).item());
    const freq = [0, 1, 2, 3].map((k) => draws.filter((d) => d === k).length / draws.length);
    // Binomial standard error at n = 2000 is ≤ 0.011; allow 4 of them.
    [0.1, 0.6, 0, 0.3].forEach((p, k) => expect(Math.abs(freq[k] - p), `index ${k}`).toBeLessThan(0.045));
    manualSeed(7);
    const again: number[] = [];
    for (let i = 0; i < 20; i++) again.push(await sampleIndex(probs).item());
    expect(again).toEqual(draws.slice(0, 20));
  });
});
