// All-reduce bus bandwidth, Skein (skein/distributed) against a plain C MPI_Allreduce loop in the
// same run, 1 KiB … 64 MiB of float32; and mnist-ddp's samples/s, 2 processes × 1 thread against
// 1 process × 2 threads.
//
//   node dist/bench/allreduce.js [--procs 2] [--btl self,tcp] [--ddp] [--steps 300] [--two-hosts] [--repeat 3]
//
// --repeat N runs the C loop and Skein alternately N times and keeps each size's best time, so a
// burst of load on a shared machine does not land on one side only.
//
// --two-hosts runs the two ranks on two emulated hosts (bench/two-hosts.sh: network namespaces
// and a veth pair, TCP only; root).
//
// Bus bandwidth is NCCL's: algorithm bandwidth (bytes / time) × 2(n − 1)/n, what each link
// carries in a ring all-reduce, so figures compare across rank counts. The C loop is built on the
// fly with mpicc in a temporary directory. Under mpirun this file is also the Skein side
// (--rank): each size is warmed up, then timed between barriers; rank 0 prints JSON lines.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distributed as dist, synchronize, zeros } from '../src/index.js';

const SIZES = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536].map((k) => k * 1024);
/** Enough iterations for ~0.2 s a size on shared memory, never fewer than 5. */
const iterations = (bytes: number) => Math.max(5, Math.min(500, Math.round(2e8 / 10 / Math.max(bytes, 4096))));

interface Row {
  bytes: number;
  iters: number;
  seconds: number;
}

const C_LOOP = `
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank; MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (int a = 1; a + 1 < argc; a += 2) {
    long bytes = atol(argv[a]); int iters = atoi(argv[a + 1]); int n = (int)(bytes / 4);
    float *x = calloc(n, 4);
    for (int w = 0; w < 2; w++) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double t = MPI_Wtime() - t0;
    if (rank == 0) printf("{\\"bytes\\": %ld, \\"iters\\": %d, \\"seconds\\": %.9f}\\n", bytes, iters, t);
    free(x);
  }
  MPI_Finalize();
  return 0;
}
`;

/** The Skein side, one rank of the job. */
async function rankMain(): Promise<void> {
  await dist.init();
  for (const bytes of SIZES) {
    const t = zeros([bytes / 4]);
    const iters = iterations(bytes);
    for (let w = 0; w < 2; w++) dist.allReduce(t);
    await dist.barrier();
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) dist.allReduce(t);
    await synchronize();
    const seconds = (performance.now() - t0) / 1000;
    if (dist.getRank() === 0) console.log(JSON.stringify({ bytes, iters, seconds }));
  }
  await dist.destroy();
}

const twoHosts = process.argv.includes('--two-hosts');
const TWO_HOSTS = fileURLToPath(new URL('../../bench/two-hosts.sh', import.meta.url));

/** The launcher and its arguments before the program. */
function launcher(procs: number, btl: string | undefined): [string, string[]] {
  return twoHosts ? [TWO_HOSTS, ['run']] : ['mpirun', mpirunArgs(procs, btl)];
}

function mpirunArgs(procs: number, btl: string | undefined): string[] {
  const args = ['-np', String(procs), '--bind-to', 'none'];
  if (procs > availableParallelism()) args.push('--oversubscribe');
  if (btl !== undefined) args.push('--mca', 'btl', btl);
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  return args;
}

function rows(stdout: string): Row[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
}

function busGBs(row: Row, procs: number): number {
  return ((row.bytes * row.iters) / row.seconds / 1e9) * ((2 * (procs - 1)) / procs);
}

function human(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
}

function bandwidth(procs: number, btl: string | undefined): void {
  const dir = mkdtempSync(join(tmpdir(), 'skein-allreduce-'));
  try {
    writeFileSync(join(dir, 'loop.c'), C_LOOP);
    execFileSync('mpicc', ['-O2', join(dir, 'loop.c'), '-o', join(dir, 'loop')]);
    const [cmd, args] = launcher(procs, btl);
    let cRows: Row[] = [];
    let sRows: Row[] = [];
    const best = (a: Row[], b: Row[]) => (a.length === 0 ? b : a.map((r, i) => (b[i].seconds / b[i].iters < r.seconds / r.iters ? b[i] : r)));
    for (let k = 0; k < Number(argValue('--repeat') ?? 1); k++) {
      const c = spawnSync(cmd, [...args, join(dir, 'loop'), ...SIZES.flatMap((b) => [String(b), String(iterations(b))])], { encoding: 'utf8' });
      const skein = spawnSync(cmd, [...args, process.execPath, fileURLToPath(import.meta.url), '--rank'], { encoding: 'utf8' });
      if (c.status !== 0 || skein.status !== 0) throw new Error(`allreduce bench: mpirun failed\n${c.stderr}\n${skein.stderr}`);
      cRows = best(cRows, rows(c.stdout));
      sRows = best(sRows, rows(skein.stdout));
    }
    const where = twoHosts ? 'two emulated hosts (netns + veth, TCP)' : `btl ${btl ?? "Open MPI's default (shared memory here)"}`;
    console.log(`all-reduce bus bandwidth, ${twoHosts ? 2 : procs} ranks, float32 sum, ${where}`);
    console.log('size       C MPI_Allreduce   Skein allReduce   Skein / C     C µs/op   Skein µs/op');
    const us = (r: Row) => ((r.seconds / r.iters) * 1e6).toFixed(1).padStart(10);
    for (let i = 0; i < SIZES.length; i++) {
      const [cb, sb] = [busGBs(cRows[i], procs), busGBs(sRows[i], procs)];
      console.log(`${human(SIZES[i]).padEnd(10)} ${cb.toFixed(2).padStart(9)} GB/s    ${sb.toFixed(2).padStart(9)} GB/s    ${(sb / cb).toFixed(2).padStart(8)}  ${us(cRows[i])}    ${us(sRows[i])}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** mnist-ddp's own samples/s line, at procs × threads. */
function ddpRate(procs: number, threads: number, steps: number): number {
  const runner = fileURLToPath(new URL('../examples/run.js', import.meta.url));
  const run = spawnSync(process.execPath, [runner, 'mnist-ddp', '--procs', String(procs), '--threads', String(threads), '--steps', String(steps), '--quiet'], { encoding: 'utf8' });
  const match = /\(([\d,]+) samples\/s\) on/.exec(run.stdout);
  if (match === null) throw new Error(`mnist-ddp at ${procs}×${threads} printed no rate:\n${run.stdout}\n${run.stderr}`);
  return Number(match[1].replace(/,/g, ''));
}

function argValue(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

if (process.argv.includes('--rank')) await rankMain();
else {
  const procs = twoHosts ? 2 : Number(argValue('--procs') ?? 2);
  bandwidth(procs, argValue('--btl'));
  if (process.argv.includes('--ddp')) {
    const steps = Number(argValue('--steps') ?? 300);
    const two = ddpRate(2, 1, steps);
    const one = ddpRate(1, 2, steps);
    console.log(`mnist-ddp, ${steps} steps of a global batch of 64: 2 processes × 1 thread ${two} samples/s, 1 process × 2 threads ${one} samples/s (${(two / one).toFixed(2)}×)`);
  }
}
