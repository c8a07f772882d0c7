// The mnist-cnn example on a short run: the real digits through PyTorch's examples/mnist network,
// the same losses at 1 and 2 threads (convolution, pooling and their gradients are tiled on a
// fixed grid). The full run's ≥ 98.5% bar is the example's own exit status.
import { expect, it } from 'vitest';
// The example imports 'skein'; import it under the same name so both share one runtime.
import { setNumThreads } from 'skein';
import { mnistCnn } from '../../examples/mnist-cnn.js';

/** A short run: it still scores the 10,000 test digits once. */
const STEPS = 6;
const RUN_TIMEOUT_MS = 300_000;

async function run(threads: number) {
  setNumThreads(threads);
  const lines: string[] = [];
  const result = await mnistCnn.run({ steps: STEPS, quiet: true, seed: 0, threads, log: (l) => lines.push(l) });
  return { ...result, lines };
}

it(
  'trains on the real digits with the same losses at 1 and 2 threads, and reports accuracy and samples/s',
  async () => {
    const one = await run(1);
    const two = await run(2);
    expect(one.losses).toHaveLength(STEPS);
    // Ten classes: the first loss is near ln 10 ≈ 2.30, and a few Adam steps bring it down.
    expect(one.losses[0]).toBeGreaterThan(2);
    expect(one.losses[0]).toBeLessThan(2.6);
    expect(Math.min(...one.losses.slice(-2))).toBeLessThan(one.losses[0]);
    expect(two.losses).toEqual(one.losses);
    expect(one.lines[0]).toMatch(/^epoch 1\/3 loss \d+\.\d+ test accuracy \d+\.\d+% /);
    expect(one.lines).toContainEqual(expect.stringMatching(/^\d+ samples\/s$/));
    expect(one.summary).toMatch(/^test accuracy \d+\.\d+%$/);
    expect(one.ok).toBe(false); // six steps are far from the 98.5% bar
  },
  RUN_TIMEOUT_MS,
);
