// The mnist-mlp example on a short run: MNIST's real digits, the same losses at 1
// and 2 threads, and a checkpoint and plot in the --out directory. (The full run's ≥ 90% bar is
// the example's own exit status.)
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
// The example imports 'skein'; import it under the same name so both share one runtime.
import { load, loadMetadata, setNumThreads } from 'skein';
import { mnistMlp } from '../../examples/mnist-mlp.js';

/** A short run: it still evaluates, checkpoints and plots once. */
const STEPS = 40;
const RUN_TIMEOUT_MS = 120_000;

async function run(threads: number, out: string) {
  setNumThreads(threads);
  const lines: string[] = [];
  const result = await mnistMlp.run({ steps: STEPS, quiet: true, seed: 0, threads, log: (l) => lines.push(l), out });
  return { ...result, lines };
}

it(
  'trains on the real digits with the same losses at 1 and 2 threads, and writes a checkpoint and an SVG curve',
  async () => {
    const dirs = [await mkdtemp(join(tmpdir(), 'skein-mnist-1-')), await mkdtemp(join(tmpdir(), 'skein-mnist-2-'))];
    const one = await run(1, dirs[0]);
    const two = await run(2, dirs[1]);
    expect(one.losses).toHaveLength(STEPS);
    // Ten classes: the first loss is near ln 10 ≈ 2.30, and 40 Adam steps bring it well down.
    expect(one.losses[0]).toBeGreaterThan(2);
    expect(one.losses[0]).toBeLessThan(2.6);
    expect(one.losses[STEPS - 1]).toBeLessThan(1);
    expect(two.losses).toEqual(one.losses);
    expect(one.lines[0]).toMatch(/^epoch 1\/\d+ loss \d+\.\d+ test accuracy \d+\.\d+% /);
    expect(one.summary).toMatch(/^test accuracy \d+\.\d%$/);
    expect(await readdir(dirs[1])).toEqual(['mnist-mlp.safetensors', 'mnist-mlp.svg']);
    const checkpoint = await load(join(dirs[1], 'mnist-mlp.safetensors'));
    expect(checkpoint['model.0.weight'].shape).toEqual([256, 784]);
    expect(checkpoint['optimizer.state.0.expAvg'].shape).toEqual([256, 784]);
    expect((await loadMetadata(join(dirs[1], 'mnist-mlp.safetensors'))).example).toBe('mnist-mlp');
    expect(await readFile(join(dirs[1], 'mnist-mlp.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>$/);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  },
  RUN_TIMEOUT_MS,
);
