// The PyTorch twins: `/usr/bin/python3 bench/torch/<script> --seconds S …` in a child process,
// with its threads set through the environment, parsed from the one JSON line it prints.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter by its full path: another python3 may come first on PATH. */
export const PYTHON = '/usr/bin/python3';

/** What a twin prints: work units done in `seconds` of wall time (and its median call, s). */
export interface TorchResult {
  workload: string;
  unit: string;
  work: number;
  seconds: number;
  median_seconds?: number;
  calls?: number;
}

/** The repository root: the nearest directory above this file holding package.json (bench/ or dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: no package.json above bench/');
    dir = up;
  }
  return dir;
}

export function torchScript(script: string): string {
  return join(repoRoot(), 'bench', 'torch', script);
}

/** OpenBLAS, OpenMP and torch.set_num_threads all get N; idle OpenMP threads sleep above one thread. */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OPENBLAS_NUM_THREADS: `${threads}`, SKEIN_BENCH_THREADS: `${threads}`, OMP_NUM_THREADS: `${threads}` };
  if (threads > 1) env.OMP_WAIT_POLICY = 'PASSIVE';
  else delete env.OMP_WAIT_POLICY;
  return env;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${file} ${args.join(' ')}: ${err.message}${stderr ? `\n${stderr.trim()}` : ''}`));
      else resolve({ stdout, stderr });
    });
  });
}

let available: Promise<boolean> | null = null;

/** Can Debian's Python import torch? Asked once per process. */
export function torchAvailable(): Promise<boolean> {
  available ??= run(PYTHON, ['-c', 'import torch'], process.env, 60_000).then(
    () => true,
    () => false,
  );
  return available;
}

/** The last line of `stdout` that parses as a twin's result; throws naming the script otherwise. */
export function parseTorchLine(script: string, stdout: string): TorchResult {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const r = value as TorchResult;
    if (typeof r === 'object' && r !== null && typeof r.workload === 'string' && typeof r.unit === 'string' && Number.isFinite(r.work) && r.work > 0 && Number.isFinite(r.seconds) && r.seconds > 0) return r;
  }
  throw new Error(`bench: ${script} printed no result line {"workload","unit","work","seconds"}; it printed ${JSON.stringify(stdout.slice(0, 200))}`);
}

/** Runs one twin at `threads` threads for at least `seconds` of timed wall time. */
export async function runTorch(script: string, args: readonly string[], threads: number, seconds: number, file = PYTHON): Promise<TorchResult> {
  const path = torchScript(script);
  const { stdout } = await run(file, [path, '--seconds', `${seconds}`, ...args], torchEnv(threads), 120_000 + 20_000 * seconds);
  return parseTorchLine(script, stdout);
}
