// Runs a fixture under mpirun for the distributed tests, and decides whether they can run here:
// in CI (CI=true, or SKEIN_REQUIRE_NATIVE naming mpi, as .ci/run sets it) a missing mpirun or MPI
// addon is a failure; elsewhere the tests skip and say why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Why the distributed tests cannot run here, or null when they can. */
export function missingMpi(): string | null {
  if (spawnSync('sh', ['-c', 'command -v mpirun'], { encoding: 'utf8' }).status !== 0) return 'mpirun is not on PATH (apt-get install openmpi-bin libopenmpi-dev)';
  // SKEIN_NATIVE=off hides every addon (the fallback's run): then there is no MPI to test.
  if (process.env.SKEIN_NATIVE === 'off') return 'SKEIN_NATIVE=off hides the MPI addon';
  if (!existsSync(`${root}/dist/native/mpi.node`)) return 'dist/native/mpi.node was not built (npm run build says why; libopenmpi-dev brings mpicc and mpi.h)';
  return null;
}

/** Skip outside CI with a message; in CI, fail loudly. */
export function requireMpi(): boolean {
  const missing = missingMpi();
  if (missing === null) return true;
  const required = (process.env.SKEIN_REQUIRE_NATIVE ?? '').split(',').includes('mpi');
  if (required || process.env.CI === 'true' || process.env.CI === '1') throw new Error(`distributed tests: ${missing}; CI must run them`);
  console.warn(`distributed tests skipped: ${missing}`);
  return false;
}

export interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Open MPI's byte transfer layers, e.g. 'self,tcp' (default: its choice, shared memory here). */
  btl?: string;
  /** Kill mpirun after this long (the test then fails on a hang, rather than vitest's timeout). */
  killAfterMs?: number;
}

export function mpirun(np: number, fixture: string, { env = {}, btl, killAfterMs = 50_000 }: RunOptions = {}): Promise<Run> {
  const args = ['--oversubscribe', '--bind-to', 'none', '-np', String(np)];
  if (btl !== undefined) args.push('--mca', 'btl', btl);
  for (const key of Object.keys(env)) args.push('-x', key);
  args.push(process.execPath, `${root}/test/distributed/fixtures/${fixture}`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('mpirun', args, {
      cwd: root,
      env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
