// The tutorial's TensorFlow program (examples/static-graph.ts) against its eager twin
// (examples/two-layer-autograd.ts): from the same seed and data, the same loss trajectory, at 1
// and 2 threads.
import { describe, expect, it } from 'vitest';
// The examples import 'skein' and 'skein/graph'; import the runtime under the same names so the
// test and the examples share one module instance.
import { setNumThreads } from 'skein';
import type { Example } from '../../examples/example.js';
import { staticGraph } from '../../examples/static-graph.js';
import { twoLayerAutograd } from '../../examples/two-layer-autograd.js';

/** Enough steps for the loss to fall through several orders of magnitude. */
const STEPS = 120;
/** float32: the two modes run the same kernels, but may sum gradient contributions in another order. */
const LOSS_RTOL = 1e-4;
const RUN_TIMEOUT_MS = 120_000;

async function losses(example: Example, threads: number): Promise<number[]> {
  setNumThreads(threads);
  const lines: string[] = [];
  const result = await example.run({ steps: STEPS, quiet: true, seed: 0, threads, log: (line) => lines.push(line) });
  expect(lines).toEqual([]);
  return result.losses;
}

describe('the static-graph example', () => {
  it.each([1, 2])(
    'follows the eager two-layer loss trajectory within float32 tolerance on %i thread(s)',
    async (threads) => {
      const eager = await losses(twoLayerAutograd, threads);
      const graph = await losses(staticGraph, threads);
      expect(graph).toHaveLength(STEPS);
      expect(graph[0] / graph[STEPS - 1]).toBeGreaterThan(100);
      graph.forEach((loss, t) => expect(Math.abs(loss - eager[t])).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(eager[t])));
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'prints one "t loss" line per run and converges over the tutorial’s 500 runs',
    async () => {
      setNumThreads(2);
      const lines: string[] = [];
      const result = await staticGraph.run({ quiet: false, seed: 0, threads: 2, log: (line) => lines.push(line) });
      expect(lines).toHaveLength(500);
      lines.forEach((line, t) => expect(line).toMatch(new RegExp(`^${t} \\d`)));
      expect(result.ok).toBe(true);
      expect(result.losses[0] / result.losses[499]).toBeGreaterThan(1000);
    },
    RUN_TIMEOUT_MS,
  );
});
