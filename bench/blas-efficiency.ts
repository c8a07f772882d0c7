// Per-thread efficiency of Skein's matmul against OpenBLAS called directly (numpy.matmul, which
// calls cblas_sgemm with nothing in between, through bench/torch/blas-direct.py --lib numpy), in
// interleaved rounds so a drifting machine load hits both alike. Float32, N×N, 1 and 2 threads.
//   npm run build && node dist/bench/blas-efficiency.js [--size 1024] [--rounds 5] [--seconds 2] [--lib numpy|torch]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randn, runtimeStats, setNumThreads, shutdown, synchronize } from '../src/index.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}

const size = Number(option('size', '1024'));
const rounds = Number(option('rounds', '5'));
const seconds = Number(option('seconds', '2'));
const lib = option('lib', 'numpy');
const threads = [1, 2];
const flopsPerStep = 2 * size ** 3;
const twin = fileURLToPath(new URL('../../bench/torch/blas-direct.py', import.meta.url));

const a = randn([size, size]);
const b = randn([size, size]);

/** Skein's GFLOP/s over `seconds` of back-to-back products, after two warm-up calls. */
async function skein(t: number): Promise<number> {
  setNumThreads(t);
  for (let i = 0; i < 2; i++) await a.matmul(b).data();
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    a.matmul(b);
    await synchronize();
    steps++;
  }
  return (steps * flopsPerStep) / ((performance.now() - start) * 1e6);
}

function direct(t: number): number {
  const env = { ...process.env, SKEIN_BENCH_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) };
  const r = spawnSync('/usr/bin/python3', [twin, '--size', String(size), '--seconds', String(seconds), '--lib', lib], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: ${twin} failed: ${r.stderr}`);
  const { work, seconds: elapsed } = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { work: number; seconds: number };
  return work / elapsed;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const samples = new Map<string, number[]>();
const record = (key: string, v: number) => samples.set(key, [...(samples.get(key) ?? []), v]);
for (let r = 0; r < rounds; r++) {
  for (const t of threads) {
    record(`skein×${t}`, await skein(t));
    record(`${lib}×${t}`, direct(t));
  }
}
console.log(`matmul-${size}, float32, Skein matmul kernel: ${runtimeStats().matmulKernel}; ${lib === 'numpy' ? 'numpy (OpenBLAS called directly)' : 'PyTorch (OpenBLAS through torch.mm)'}; medians of ${rounds} interleaved rounds of ${seconds} s`);
for (const t of threads) {
  const s = median(samples.get(`skein×${t}`) as number[]);
  const d = median(samples.get(`${lib}×${t}`) as number[]);
  console.log(`  ${t} thread(s): Skein ${s.toFixed(1)} GFLOP/s (${(s / t).toFixed(1)} per thread), ${lib} ${d.toFixed(1)} (${(d / t).toFixed(1)} per thread): ${(s / d).toFixed(2)}×`);
}
await shutdown();
