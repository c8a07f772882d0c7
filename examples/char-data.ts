// What the two character-level examples share: the text (examples/data/shakespeare.txt), its
// vocabulary, batches for truncated back-propagation through time, seeded sampling from a
// distribution, and the progress bar.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arange, nn, optim, rand, tensor, type Tensor } from 'skein';
import type { ExampleOptions, ExampleResult } from './example.js';

/** The uniform baseline over the 65-character vocabulary: ln 65 ≈ 4.17 nats. */
export const UNIFORM_LOSS = Math.log(65);

/** examples/data/<file>, found from here whether this runs as TypeScript or from dist/examples. */
function dataPath(file: string): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, up = 0; up < 5; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'examples', 'data', file);
    if (existsSync(candidate)) return candidate;
    const here = join(dir, 'data', file);
    if (existsSync(here)) return here;
  }
  throw new Error(`examples/data/${file} not found above ${start}`);
}

export interface Corpus {
  text: string;
  chars: string[];
  /** Every character of the text as its vocabulary index. */
  ids: Int32Array;
}

export function readCorpus(): Corpus {
  const text = readFileSync(dataPath('shakespeare.txt'), 'utf8');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return { text, chars, ids: Int32Array.from(text, (c) => index.get(c) as number) };
}

/**
 * The text cut into `batch` parallel streams, read `seq` characters at a time: window w gives
 * inputs [batch, seq] and next-character targets [batch, seq]. Consecutive windows continue each
 * stream, so a recurrent state carried over (detached) sees the text in order: truncated BPTT.
 */
export class Streams {
  readonly windows: number;
  private readonly length: number;

  constructor(
    private readonly ids: Int32Array,
    readonly batch: number,
    readonly seq: number,
  ) {
    this.length = Math.floor((ids.length - 1) / batch);
    this.windows = Math.floor(this.length / seq);
  }

  window(w: number): { x: Tensor; y: Tensor } {
    const at = (w % this.windows) * this.seq;
    const x = new Int32Array(this.batch * this.seq);
    const y = new Int32Array(this.batch * this.seq);
    for (let b = 0; b < this.batch; b++) {
      for (let t = 0; t < this.seq; t++) {
        const i = b * this.length + at + t;
        x[b * this.seq + t] = this.ids[i];
        y[b * this.seq + t] = this.ids[i + 1];
      }
    }
    return { x: tensor(x).reshape([this.batch, this.seq]), y: tensor(y).reshape([this.batch, this.seq]) };
  }
}

/**
 * One draw from the categorical distribution probs [V], by inverse CDF on a uniform draw from
 * Skein's seeded generator: the index is the number of cumulative sums below u. The cumulative
 * sums are one product with the upper-triangular ones, so the draw is the same on any thread count.
 */
export function sampleIndex(probs: Tensor): Tensor {
  const v = probs.shape[0] as number;
  const upper = arange(v).unsqueeze(1).le(arange(v).unsqueeze(0)).to(probs.dtype);
  const cdf = probs.unsqueeze(0).matmul(upper).squeeze(0);
  const u = rand([1], { dtype: probs.dtype }).mul(cdf.narrow(0, v - 1, 1));
  return cdf.lt(u).int().sum().clamp({ max: v - 1 });
}

/** A one-line bar redrawn in place: `[#####.....] 63/200 loss 2.3100 · 21,000 tokens/s`. */
export function progress(step: number, steps: number, loss: number, rate: number): string {
  const width = 24;
  const filled = Math.round((width * step) / steps);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${steps} loss ${loss.toFixed(4)} · ${Math.round(rate).toLocaleString('en-US')} tokens/s`;
}

/** Mean of the last n losses: the example's result, less noisy than one batch's. */
export function tailMean(losses: number[], n: number): number {
  const tail = losses.slice(-n);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** Both char examples pass below this loss (the uniform baseline is ln 65 ≈ 4.17). */
export const PASS_LOSS = 2.6;

export interface CharRun {
  name: string;
  model: nn.Module;
  tokensPerStep: number;
  /** One window's logits [.., vocab] and targets: the only part the two models do differently. */
  window(step: number): { logits: Tensor; y: Tensor };
  /** A seeded sample after the prime. */
  sample(prime: string, seed: number): Promise<string>;
}

/**
 * The char examples' loop: Adam with gradient clipping, a progress bar, then the same seeded
 * sample twice, which must repeat exactly, and a loss below PASS_LOSS.
 */
export async function trainChars(run: CharRun, vocab: number, { steps, quiet, seed, threads, log }: ExampleOptions & { steps: number }): Promise<ExampleResult> {
  const optimizer = new optim.Adam(run.model.parameters(), { lr: 3e-3 });
  const bar = !quiet && process.stdout.isTTY === true;
  const losses: number[] = [];
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const { logits, y } = run.window(step);
    const loss = nn.crossEntropy(logits.reshape([-1, vocab]), y.reshape([-1]));
    optimizer.zeroGrad();
    loss.backward();
    optim.clipGradNorm(run.model.parameters(), 1);
    optimizer.step();
    losses.push(await loss.item());
    const rate = ((step + 1) * run.tokensPerStep) / ((performance.now() - started) / 1000);
    if (bar) process.stdout.write(`\r\x1b[2K${progress(step + 1, steps, losses[step], rate)}`);
    else if (!quiet && (step + 1) % 25 === 0) log(`step ${step + 1}/${steps} loss ${losses[step].toFixed(4)}`);
  }
  if (bar) process.stdout.write('\r\x1b[2K');
  const seconds = (performance.now() - started) / 1000;
  const prime = 'First Citizen:\n';
  const text = await run.sample(prime, seed + 1);
  const again = await run.sample(prime, seed + 1);
  const final = tailMean(losses, 10);
  log(`sample (seed ${seed + 1}):\n${prime}${text}`);
  log(`the same seed gives ${again === text ? 'the same' : 'a DIFFERENT'} sample`);
  const rate = (losses.length * run.tokensPerStep) / seconds;
  return {
    ok: final < PASS_LOSS && again === text,
    losses,
    summary: `${run.name}: loss ${losses[0].toFixed(4)} → ${final.toFixed(4)} (uniform ${UNIFORM_LOSS.toFixed(2)}; needs < ${PASS_LOSS}) in ${losses.length} steps, ${seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} tokens/s on ${threads} thread(s)`,
  };
}
