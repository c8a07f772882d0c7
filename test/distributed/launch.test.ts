// The example runner's --procs N: the same command under mpirun -np N --bind-to none, run once
// per rank (mnist-ddp's own training under mpirun is what the DDP tests check).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireMpi } from './mpirun.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.runIf(requireMpi())('npm run example -- <name> --procs N', () => {
  it('runs the command under mpirun -np N --bind-to none, once per rank', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['dist/examples/run.js', '--procs', '2', '--seed', '3'], {
        cwd: root,
        env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' },
      });
      let [out, err] = ['', ''];
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    // Without an example name each rank lists the examples: two listings, the other flags passed on.
    expect(stderr).toMatch(/^mpirun -np 2 --bind-to none .*run\.js --seed 3$/m);
    expect(stdout.match(/^usage: npm run example -- <name>/gm)).toHaveLength(2);
    expect(stdout).toContain('mnist-ddp');
  }, 60_000);
});
