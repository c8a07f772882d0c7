// skein/distributed's collectives under mpirun: every collective, dtype and size (1 element to
// 16M) against a local reference, on 2 and 3 ranks, over shared memory and over TCP.
import { describe, expect, it } from 'vitest';
import { mpirun, requireMpi } from './mpirun.js';

const RUN_MS = 60_000;

describe.runIf(requireMpi())('distributed collectives', () => {
  it.each([
    [2, undefined],
    [3, undefined],
    [2, 'self,tcp'],
  ])('match the local reference on %i ranks (btl %s)', async (np, btl) => {
    const run = await mpirun(np, 'collectives.mjs', { btl });
    expect(run.stderr + run.stdout).not.toMatch(/failed: [1-9]|element \d+ is/);
    expect(run.code, run.stderr).toBe(0);
    for (let r = 0; r < np; r++) expect(run.stdout).toMatch(new RegExp(`rank ${r}/${np}: \\d+ checks, 0 failed`));
  }, RUN_MS);
});
