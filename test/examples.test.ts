// The tutorial's first two programs, run as the README promises: 500 steps, the loss falls by
// more than 1000×, and 1 and 2 threads give the same losses bit for bit. Then the CLI itself.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// The examples import 'skein'; import the runtime under the same name so both share one module.
import { getNumThreads, runtimeStats, setNumThreads } from 'skein';
import { customRelu } from '../examples/custom-relu.js';
import type { Example } from '../examples/example.js';
import { twoLayerAutograd } from '../examples/two-layer-autograd.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The tutorial's step count and its promise: the last loss is more than 1000× below the first. */
const STEPS = 500;
const MIN_FALL = 1000;
/** One example run on a loaded 2-core machine, with generous room. */
const RUN_TIMEOUT_MS = 120_000;

async function train(example: Example, threads: number): Promise<{ losses: number[]; ok: boolean; summary: string; splitLaunches: number }> {
  setNumThreads(threads);
  const lines: string[] = [];
  const split = () => runtimeStats().poolLaunches + runtimeStats().laneLaunches;
  const before = split();
  const result = await example.run({ steps: STEPS, quiet: true, seed: 0, threads, log: (line) => lines.push(line) });
  expect(lines).toEqual([]); // quiet prints nothing per step
  return { ...result, splitLaunches: split() - before };
}

describe.each([twoLayerAutograd, customRelu])('example $name', (example) => {
  it(`trains ${STEPS} steps at 1 and 2 threads: the loss falls more than ${MIN_FALL}× and the losses match bit for bit`, async () => {
    const one = await train(example, 1);
    const two = await train(example, 2);
    expect(getNumThreads()).toBe(2);
    for (const run of [one, two]) {
      expect(run.losses).toHaveLength(STEPS);
      expect(run.losses.every(Number.isFinite)).toBe(true);
      expect(run.losses[0] / run.losses[STEPS - 1]).toBeGreaterThan(MIN_FALL);
      expect(run.ok).toBe(true);
      expect(run.summary).toMatch(new RegExp(`^${example.name}: loss .* in ${STEPS} steps`));
    }
    // Thread invariance is equality, not a tolerance (fixed tile grid, fixed reduction order).
    expect(two.losses).toEqual(one.losses);
    // And launches really were split across threads (the lane's helpers or the pool) at 2 threads.
    expect(two.splitLaunches).toBeGreaterThan(0);
  }, RUN_TIMEOUT_MS);
});

/** Runs the compiled CLI (built by test/global-setup.ts) and collects its output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist/examples/run.js'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the example runner CLI', () => {
  it(`prints ${STEPS} "t loss" lines and a summary for two-layer-autograd --threads 2, and exits 0`, async () => {
    const { code, stdout, stderr } = await cli(['two-layer-autograd', '--threads', '2']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(STEPS + 1);
    lines.slice(0, STEPS).forEach((line, t) => expect(line).toMatch(new RegExp(`^${t} \\d+(\\.\\d+)?(e[-+]\\d+)?$`)));
    const first = Number(lines[0].split(' ')[1]);
    const last = Number(lines[STEPS - 1].split(' ')[1]);
    expect(first / last).toBeGreaterThan(MIN_FALL);
    expect(lines[STEPS]).toMatch(/^two-layer-autograd: loss .* in 500 steps, .* on 2 thread\(s\)$/);
  }, RUN_TIMEOUT_MS);

  it.each([
    { label: 'an unknown example name', args: ['no-such-example'], message: /unknown example "no-such-example"/ },
    { label: '--threads 0', args: ['two-layer-autograd', '--threads', '0'], message: /--threads: got "0", expected an integer ≥ 1/ },
    { label: '--threads abc', args: ['two-layer-autograd', '--threads', 'abc'], message: /--threads: got "abc", expected an integer ≥ 1/ },
    { label: 'an unknown option', args: ['two-layer-autograd', '--bogus'], message: /unknown option --bogus/ },
  ])('exits 2 with a message and the listing for $label', async ({ args, message }) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('two-layer-autograd');
    expect(stderr).toContain('custom-relu');
  }, 30_000);

  it('lists the examples and exits 0 when given no name', async () => {
    const { code, stdout } = await cli([]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run example -- <name>/);
    expect(stdout).toContain('two-layer-autograd');
    expect(stdout).toContain('custom-relu');
  }, 30_000);
});
