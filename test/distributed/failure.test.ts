// A rank that dies, stops answering or throws makes the others fail with a DistributedError within
// the (shortened) timeout, and the job ends: never a hang.
import { describe, expect, it } from 'vitest';
import { mpirun, requireMpi } from './mpirun.js';

const TIMEOUT_MS = 2000;
/** Start-up, the timeout, and MPI_Abort tearing the job down, on a busy machine. */
const JOB_ENDS_WITHIN_MS = 30_000;

describe.runIf(requireMpi())('a failed rank', () => {
  it.each([
    ['kill', 2, undefined],
    ['kill', 3, 'self,tcp'],
    ['stop', 2, undefined],
    ['stop', 3, 'self,tcp'],
    ['throw', 2, undefined],
  ])('(%s) gives the others a DistributedError on %i ranks (btl %s)', async (mode, np, btl) => {
    const run = await mpirun(np, 'failure.mjs', { env: { MODE: mode, TIMEOUT_MS: String(TIMEOUT_MS) }, btl, killAfterMs: JOB_ENDS_WITHIN_MS });
    expect(run.signal, 'mpirun hung and was killed').toBeNull();
    expect(run.code).not.toBe(0);
    const errors = [...run.stdout.matchAll(/rank (\d+): (\w+) after (\d+) ms: (.*)/g)];
    // Every survivor reports, with a DistributedError naming the collective, in time. A stopped
    // rank reports too once mpirun wakes it to end the job (SIGCONT, then SIGTERM).
    const reporters = new Set(errors.map((m) => Number(m[1])));
    for (let r = 0; r < np - 1; r++) expect(reporters.has(r), `rank ${r} did not report:\n${run.stdout}`).toBe(true);
    for (const [, , name, ms, message] of errors) {
      expect(name).toBe('DistributedError');
      expect(message).toMatch(/^allReduce: /);
      expect(Number(ms)).toBeLessThan(TIMEOUT_MS + 5000);
    }
    // An uncaught error aborts the job at once (the process's exit), not at the timeout.
    if (mode === 'throw') for (const [, , , ms] of errors) expect(Number(ms)).toBeLessThan(TIMEOUT_MS);
    // …and the error itself still reaches the user (Node prints it after 'exit', which aborts).
    if (mode === 'throw') expect(run.stderr + run.stdout).toContain(`Error: rank ${np - 1} has a bug`);
  }, JOB_ENDS_WITHIN_MS + 5000);
});
