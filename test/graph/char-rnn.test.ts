// char-rnn-graph against its eager twin: the same GRU, seed and data, one built once with scan and
// trained with train.AdamOptimizer, the other a JavaScript loop with optim.Adam; and the bench's
// two rnn steps run.
import { describe, expect, it } from 'vitest';
// The example imports 'skein'; import the runtime under the same name so both share one module.
import { setNumThreads } from 'skein';
import { charRnnGraph, charRnnGraphEager } from '../../examples/char-rnn-graph.js';
import type { Example } from '../../examples/example.js';

/** float32 through 12 Adam steps of a 32-step GRU: the modes differ by fused rounding only. */
const F32_RTOL = 1e-4;
const STEPS = 12;
const RUN_TIMEOUT_MS = 120_000;

async function losses(example: Example, threads: number, steps = STEPS): Promise<{ losses: number[]; ok: boolean; summary: string }> {
  setNumThreads(threads);
  return example.run({ steps, quiet: true, seed: 0, threads, log: () => {} });
}

describe('char-rnn-graph', () => {
  it(
    'follows the eager twin’s loss trajectory within float32 tolerance, and gives the same bits on 1 and 2 threads',
    async () => {
      const eager = await losses(charRnnGraphEager, 2);
      const graph = await losses(charRnnGraph, 2);
      const one = await losses(charRnnGraph, 1);
      expect(graph.losses).toHaveLength(STEPS);
      graph.losses.forEach((l, s) => expect(Math.abs(l - eager.losses[s]), `step ${s}: ${l} vs ${eager.losses[s]}`).toBeLessThanOrEqual(F32_RTOL * eager.losses[s]));
      expect(graph.losses[STEPS - 1]).toBeLessThan(graph.losses[0]);
      expect(one.losses).toEqual(graph.losses);
      setNumThreads(2);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'trains well below the uniform baseline in its default run',
    async () => {
      const run = await charRnnGraph.run({ quiet: true, seed: 0, threads: 2, log: () => {} });
      expect(run.ok, run.summary).toBe(true);
      expect(run.summary).toMatch(/^char-rnn-graph: loss .* needs < .* in 150 steps/);
    },
    RUN_TIMEOUT_MS,
  );
});
