// The example runner: `npm run example -- <name> [--threads N] [--steps N] [--quiet] [--seed N] [--out DIR] [--procs N]`.
// With no name it lists the examples. Exits 1 when training does not do what it promises.
// --procs N runs the example in N processes under MPI (mpirun -np N --bind-to none …).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setNumThreads } from 'skein';
import type { ExampleOptions } from './example.js';
import { EXAMPLES } from './registry.js';

class UsageError extends Error {}

function positiveInt(flag: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag}: got ${value === undefined ? 'nothing' : JSON.stringify(value)}, expected an integer ≥ ${min}`);
  }
  return n;
}

function outDir(value: string | undefined): string {
  if (value === undefined || value === '' || value.startsWith('--')) throw new UsageError('--out: got nothing, expected a directory');
  return value;
}

/**
 * --procs N: the same command under `mpirun -np N --bind-to none` (binding would pin each rank's
 * pool to one core), with --oversubscribe when N exceeds the cores, and as root where mpirun
 * refuses root by default (containers). Returns the exit status, or null without --procs.
 */
function relaunch(argv: string[]): number | null {
  const at = argv.findIndex((a) => a === '--procs' || a.startsWith('--procs='));
  if (at < 0) return null;
  const inline = argv[at].includes('=') ? argv[at].slice('--procs='.length) : undefined;
  const procs = positiveInt('--procs', inline ?? argv[at + 1], 1);
  const rest = argv.filter((_, i) => i !== at && (inline !== undefined || i !== at + 1));
  const args = ['-np', String(procs), '--bind-to', 'none'];
  if (procs > availableParallelism()) args.push('--oversubscribe');
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  args.push(process.execPath, fileURLToPath(import.meta.url), ...rest);
  console.error(`mpirun ${args.join(' ')}`);
  const run = spawnSync('mpirun', args, { stdio: 'inherit' });
  if (run.error !== undefined) throw new UsageError(`--procs: could not start mpirun (${run.error.message}); install Open MPI (apt-get install openmpi-bin libopenmpi-dev)`);
  return run.status ?? 1;
}

function parse(argv: string[]): { name?: string; options: ExampleOptions } {
  const options: ExampleOptions = { quiet: false, seed: 0, threads: 0, log: (line) => console.log(line) };
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--threads') options.threads = positiveInt('--threads', value(), 1);
    else if (flag === '--steps') options.steps = positiveInt('--steps', value(), 1);
    else if (flag === '--seed') options.seed = positiveInt('--seed', value(), 0);
    else if (flag === '--quiet') options.quiet = true;
    else if (flag === '--out') options.out = outDir(value());
    else if (flag.startsWith('--')) throw new UsageError(`unknown option ${flag}; expected --threads, --steps, --seed, --out, --quiet or --procs`);
    else if (name === undefined) name = arg;
    else throw new UsageError(`got a second example name ${JSON.stringify(arg)}; expected one`);
  }
  return { name, options };
}

function listing(): string {
  const width = Math.max(...EXAMPLES.map((e) => e.name.length));
  return ['usage: npm run example -- <name> [--threads N] [--steps N] [--quiet] [--seed N] [--out DIR] [--procs N]', '', 'examples:', ...EXAMPLES.map((e) => `  ${e.name.padEnd(width)}  ${e.description}`)].join('\n');
}

async function main(): Promise<number> {
  let parsed;
  try {
    const status = relaunch(process.argv.slice(2));
    if (status !== null) return status;
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${listing()}`);
    return 2;
  }
  const { name, options } = parsed;
  if (name === undefined) {
    console.log(listing());
    return 0;
  }
  const example = EXAMPLES.find((e) => e.name === name);
  if (example === undefined) {
    console.error(`unknown example ${JSON.stringify(name)}\n\n${listing()}`);
    return 2;
  }
  if (options.threads > 0) setNumThreads(options.threads);
  else options.threads = (await import('skein')).getNumThreads();
  const result = await example.run(options);
  console.log(result.summary);
  if (!result.ok) console.error(`${example.name}: FAILED — training did not converge as promised`);
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
