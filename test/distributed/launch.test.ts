// The example runner's --procs N: the same command under mpirun -np N --bind-to none, one
// example run per rank.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireMpi } from './mpirun.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe.runIf(requireMpi())('npm run example -- <name> --procs N', () => {
  it('runs the example under mpirun -np N --bind-to none, once per rank', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['dist/examples/run.js', 'two-layer-autograd', '--procs', '2', '--quiet', '--threads', '1'], {
        cwd: root,
        env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' },
      });
      let [out, err] = ['', ''];
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^mpirun -np 2 --bind-to none .*run\.js two-layer-autograd --quiet --threads 1/m);
    expect(stdout.match(/^two-layer-autograd: loss .* on 1 thread\(s\)$/gm)).toHaveLength(2);
  }, 60_000);
});
