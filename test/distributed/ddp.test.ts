// DistributedDataParallel under mpirun: 2 ranks with batch B follow 1 rank with batch 2B over 20
// steps (and 3 ranks over TCP with B·2/3), parameters stay bit-identical across ranks after every
// step, and noSync accumulates.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mpirun, requireMpi } from './mpirun.js';

/** float32 rounding differs between a sum of two half-batch means and one full-batch mean. */
const FLOAT32_TOLERANCE = 1e-5;
const RUN_MS = 60_000;

interface History {
  world: number;
  buckets: number[];
  history: number[][];
}

async function train(np: number, btl?: string): Promise<History> {
  const out = join(mkdtempSync(join(tmpdir(), 'skein-ddp-')), 'params.json');
  const run = await mpirun(np, 'ddp.mjs', { env: { OUT: out }, btl });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  for (let r = 0; r < np; r++) expect(run.stdout).toContain(`rank ${r}/${np}: buckets [197,640], 0 mismatches, grads are bucket views: true, noSync: true`);
  return JSON.parse(readFileSync(out, 'utf8')) as History;
}

describe.runIf(requireMpi())('DistributedDataParallel', () => {
  it('on 2 ranks with batch B matches 1 rank with batch 2B over 20 steps, bit-identical across ranks', async () => {
    const [one, two] = [await train(1), await train(2)];
    expect(two.history).toHaveLength(20);
    let worst = 0;
    two.history.forEach((params, step) => params.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - one.history[step][i])))));
    expect(worst).toBeLessThan(FLOAT32_TOLERANCE);
    // The runs really trained: the parameters moved.
    expect(Math.abs(two.history[19][0] - two.history[0][0]) + Math.abs(two.history[19][700] - two.history[0][700])).toBeGreaterThan(1e-4);
  }, 2 * RUN_MS);

  it('on 3 ranks over TCP matches 1 rank too', async () => {
    const [one, three] = [await train(1), await train(3, 'self,tcp')];
    let worst = 0;
    three.history.forEach((params, step) => params.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - one.history[step][i])))));
    expect(worst).toBeLessThan(FLOAT32_TOLERANCE);
  }, 2 * RUN_MS);
});

describe.runIf(requireMpi())('DistributedDataParallel buckets', () => {
  it('fill in reverse parameter order: a first bucket of at most 1 MiB, then up to bucketCapMB', async () => {
    const run = await mpirun(1, 'buckets.mjs');
    expect(run.code, run.stderr).toBe(0);
    // Reversed: b3 (10), w3 (10240), b2 (1024), w2 (524288 = 2 MiB), b1 (512), w1 (262144 = 1 MiB).
    // Default: [b3 w3 b2] (44 KiB; w2 would pass 1 MiB), then [w2 b1 w1] (3 MiB ≤ 25 MiB).
    // bucketCapMB 1: w2 alone (over the cap by itself), then b1, then w1 (b1 + w1 > 1 MiB).
    expect(JSON.parse(run.stdout.trim().split('\n').pop() as string)).toEqual({
      default: [10 + 10240 + 1024, 524288 + 512 + 262144],
      cap1: [10 + 10240 + 1024, 524288, 512, 262144],
    });
  }, 30_000);
});
