// The throughput bench: `npm run bench -- [--threads 1,2] [--json FILE] [--only w1,matmul-512] [--quick]`.
// Skein (eager and graph mode) at every requested thread count, TensorFlow.js's CPU
// and WASM backends on one thread, in one run; prints a table and optionally writes JSON.
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, arch } from 'node:os';
import { setNumThreads, shutdown } from '../src/index.js';
import { getKernelConfig } from '../src/runtime/pool.js';
import { graphRunner } from './skein-graph.js';
import { DEFAULT_BUDGET, QUICK_BUDGET, measure, type Budget } from './measure.js';
import { formatTable, type Row } from './report.js';
import { skeinRunner } from './skein.js';
import { dispatchRoundTripUs, w1Dispatches } from './stats.js';
import { tfjsRunner, tfjsVersion, useTfjsBackend } from './tfjs.js';
import { WORKLOADS, type Impl, type Runner, type Workload } from './workloads.js';

class UsageError extends Error {}

interface Options {
  threads: number[];
  json: string | null;
  only: Workload[];
  budget: Budget;
}

const USAGE = 'usage: npm run bench -- [--threads 1,2] [--json FILE] [--only w1,matmul-512,…] [--quick]';

function parse(argv: string[]): Options {
  const options: Options = { threads: [...new Set([1, availableParallelism()])], json: null, only: [...WORKLOADS], budget: DEFAULT_BUDGET };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag}: got nothing, expected a value`);
      return v;
    };
    if (flag === '--threads') {
      const v = value();
      const list = v.split(',').map(Number);
      if (list.some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) throw new UsageError(`--threads: got ${JSON.stringify(v)}, expected a comma-separated list of integers from 1 to 1024`);
      options.threads = [...new Set(list)];
    } else if (flag === '--json') options.json = value();
    else if (flag === '--only') {
      const names = value().split(',');
      const unknown = names.filter((n) => !WORKLOADS.some((w) => w.name === n));
      if (unknown.length > 0) throw new UsageError(`--only: got unknown workload(s) ${unknown.join(', ')}; expected some of ${WORKLOADS.map((w) => w.name).join(', ')}`);
      options.only = WORKLOADS.filter((w) => names.includes(w.name));
    } else if (flag === '--quick') options.budget = QUICK_BUDGET;
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return options;
}

function machineFacts(): string[] {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
    `machine: node ${process.version} · ${cpu} · ${availableParallelism()} cores · ${platform()} ${arch()} · Skein kernels: matmul ${getKernelConfig().matmul}, elementwise ${getKernelConfig().elementwise} · TensorFlow.js ${tfjsVersion()}`,
  ];
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function timeRow(workload: Workload, impl: Impl, threads: number, runner: Runner, budget: Budget, notes: string[]): Promise<Row | null> {
  try {
    const m = await measure(`${workload.name} ${impl}×${threads}`, runner, workload.warmupCalls, budget);
    if ('skipped' in m) {
      progress(`  ${m.skipped}`);
      notes.push(m.skipped);
      return null;
    }
    const row: Row = { workload: workload.name, impl, threads, unit: workload.unit, value: workload.work / (m.medianMs / 1000), medianMs: m.medianMs, samples: m.samples, rme: m.rme, warmupCalls: m.warmupCalls };
    progress(`  ${workload.name.padEnd(20)} ${`${impl}×${threads}`.padEnd(14)} ${row.value.toPrecision(4).padStart(9)} ${workload.unit}  (median ${m.medianMs.toPrecision(3)} ms, ${m.samples} samples, ±${m.rme.toFixed(1)}%)`);
    return row;
  } finally {
    runner.close();
  }
}

/**
 * What the pool costs per W1 step: launches counted by the runtime over a few steps, priced by an
 * empty round trip to every worker. Adds the figures to the row; returns them as a note.
 */
async function addDispatches(row: Row, runner: Runner, budget: Budget): Promise<string> {
  const d = await w1Dispatches(runner, budget.statSteps);
  const roundTripUs = await dispatchRoundTripUs(budget.roundTrips);
  Object.assign(row, { ...d, dispatchRoundTripUs: roundTripUs });
  const share = (d.poolLaunchesPerStep * roundTripUs) / 1000;
  return (
    `${row.impl} w1 on ${row.threads} thread(s): ${d.msPerStep.toFixed(2)} ms/step; per step ${d.poolLaunchesPerStep.toFixed(1)} pool dispatches ` +
    `(${d.poolTasksPerStep.toFixed(1)} worker tasks), ${d.laneLaunchesPerStep.toFixed(1)} lane launches and ${d.inlineLaunchesPerStep.toFixed(1)} inline launches; an empty round trip ` +
    `to ${row.threads} worker(s) takes ${roundTripUs.toFixed(0)} µs, so piscina costs ≈ ${share.toFixed(2)} ms/step (${((100 * share) / d.msPerStep).toFixed(0)}%)`
  );
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const { threads: threadCounts, only, budget } = options;
  const rows: Row[] = [];
  const notes: string[] = [];
  const wants = (impl: Impl) => only.filter((w) => w.impls.includes(impl));
  for (const w of only) for (const reason of Object.values(w.leftOut ?? {})) notes.push(reason);
  const started = performance.now();

  for (const threads of threadCounts) {
    setNumThreads(threads);
    progress(`skein on ${threads} thread(s)`);
    for (const w of wants('skein')) {
      const row = await timeRow(w, 'skein', threads, skeinRunner(w.spec), budget, notes);
      if (row === null) continue;
      if (w.name === 'w1') notes.push(await addDispatches(row, skeinRunner(w.spec), budget));
      rows.push(row);
    }
    // Graph mode right after eager mode, on the same pool: the comparison issue 3 asks for.
    if (wants('skein-graph').length > 0) progress(`skein-graph on ${threads} thread(s)`);
    for (const w of wants('skein-graph')) {
      const row = await timeRow(w, 'skein-graph', threads, await graphRunner(w.spec), budget, notes);
      if (row === null) continue;
      if (w.name === 'w1') notes.push(await addDispatches(row, await graphRunner(w.spec), budget));
      rows.push(row);
    }
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    const impl: Impl = `tfjs-${backend}`;
    await useTfjsBackend(backend);
    progress(`${impl} (single-threaded)`);
    for (const w of wants(impl)) {
      const row = await timeRow(w, impl, 1, tfjsRunner(w.spec), budget, notes);
      if (row !== null) rows.push(row);
    }
  }
  await shutdown();
  for (const r of rows.filter((row) => row.impl === 'skein-graph')) {
    const eager = rows.find((row) => row.impl === 'skein' && row.workload === r.workload && row.threads === r.threads);
    if (eager !== undefined) notes.push(`skein-graph ÷ skein on ${r.workload} at ${r.threads} thread(s): ${(r.value / eager.value).toFixed(2)}×`);
  }

  const facts = machineFacts();
  const minutes = (performance.now() - started) / 60_000;
  console.log([...facts, '', formatTable(rows, only), '', ...notes.map((n) => `note: ${n}`), `(bench took ${minutes.toFixed(1)} min; each figure is the median of the timed samples)`].join('\n'));
  if (options.json !== null) {
    writeFileSync(options.json, JSON.stringify({ command: facts[0].slice('command: '.length), machine: facts[1].slice('machine: '.length), notes, results: rows }, null, 2) + '\n');
    console.log(`wrote ${options.json}`);
  }
  return 0;
}

process.exitCode = await main();
