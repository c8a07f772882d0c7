// skein/distributed's collectives under mpirun: every collective, dtype and size (1 element to
// 16M) against a local reference, on 2 and 3 ranks, over shared memory and over TCP (16M elements
// on one run: 1M already takes MPI's large-message paths).
import { describe, expect, it } from 'vitest';
import { mpirun, requireMpi } from './mpirun.js';

const RUN_MS = 60_000;

describe.runIf(requireMpi())('distributed collectives', () => {
  it.each([
    [2, undefined, '1'],
    [3, undefined, '0'],
    [2, 'self,tcp', '0'],
  ])('match the local reference on %i ranks (btl %s, 16M elements: %s)', async (np, btl, big) => {
    const run = await mpirun(np, 'collectives.mjs', { btl, env: { SKEIN_TEST_BIG: big } });
    expect(run.stderr + run.stdout).not.toMatch(/failed: [1-9]|element \d+ is/);
    expect(run.code, run.stderr).toBe(0);
    for (let r = 0; r < np; r++) expect(run.stdout).toMatch(new RegExp(`rank ${r}/${np}: \\d+ checks, 0 failed`));
  }, RUN_MS);
});

describe.runIf(requireMpi())('a distributed script', () => {
  it('exits by itself without destroy(), MPI finalized (mpirun reports success)', async () => {
    const run = await mpirun(2, 'no-destroy.mjs', { killAfterMs: 30_000 });
    expect(run.signal, 'the job did not end by itself').toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('rank 0: 3');
    expect(run.stdout).toContain('rank 1: 3');
    expect(run.stderr).not.toMatch(/exited without calling finalize|MPI_FINALIZE/i);
  }, 30_000);
});
