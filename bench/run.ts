// The throughput bench: `npm run bench -- [--threads 1,2] [--json FILE] [--only w1,cold,…] [--seconds S] [--quick] [--tfjs] [--no-torch]`.
// One workload at a time (the table's, then every model in bench/models): Skein, eager and graph
// mode, at each requested thread count, then its PyTorch twin at each thread count in the same
// invocation (when Debian's Python can import torch); TensorFlow.js on one thread behind --tfjs. Every figure is work ÷
// wall time over a run of at least S seconds, collections included; the median call is beside it.
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, arch } from 'node:os';
import { runtimeStats, setNumThreads, shutdown, synchronize } from '../src/index.js';
import { getKernelConfig } from '../src/runtime/pool.js';
import { coldRun } from './cold.js';
import { graphRunner } from './skein-graph.js';
import { DEFAULT_BUDGET, QUICK_BUDGET, measure, type Budget } from './measure.js';
import { MODELS } from './models/index.js';
import { best, figureOf, formatRuns, formatSummary, type Row } from './report.js';
import { skeinRunner } from './skein.js';
import { dispatchRoundTripUs, w1Dispatches } from './stats.js';
import { runTorch, torchAvailable, torchScript } from './torch-runner.js';
import { WORKLOADS, type Impl, type Runner, type Workload } from './workloads.js';

class UsageError extends Error {}

interface Options {
  threads: number[];
  json: string | null;
  only: string[] | null;
  budget: Budget;
  tfjs: boolean;
  torch: boolean;
}

const USAGE = 'usage: npm run bench -- [--threads 1,2] [--json FILE] [--only w1,cold,…] [--seconds S] [--quick] [--tfjs] [--no-torch]';
const ALL_NAMES = [...WORKLOADS.map((w) => w.name), ...MODELS.map((m) => m.name)];

function parse(argv: string[]): Options {
  const options: Options = { threads: [...new Set([1, availableParallelism()])], json: null, only: null, budget: DEFAULT_BUDGET, tfjs: false, torch: true };
  let seconds: number | null = null;
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
      const unknown = names.filter((n) => !ALL_NAMES.includes(n));
      if (unknown.length > 0) throw new UsageError(`--only: got unknown workload(s) ${unknown.join(', ')}; expected some of ${ALL_NAMES.join(', ')}`);
      options.only = names;
    } else if (flag === '--seconds') {
      const v = value();
      seconds = Number(v);
      if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds: got ${JSON.stringify(v)}, expected a number of seconds in (0, 600]`);
    } else if (flag === '--quick') options.budget = QUICK_BUDGET;
    else if (flag === '--tfjs') options.tfjs = true;
    else if (flag === '--no-torch') options.torch = false;
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (seconds !== null) options.budget = { ...options.budget, seconds };
  return options;
}

function machineFacts(torch: boolean, tfjs: string | null): string[] {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const kernels = Object.entries(getKernelConfig())
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k} ${v as string}`)
    .join(', ');
  return [
    `command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
    `machine: node ${process.version} · ${cpu} · ${availableParallelism()} cores · ${platform()} ${arch()}`,
    `kernels: Skein ${kernels} · PyTorch twins ${torch ? 'run (Debian /usr/bin/python3, OPENBLAS_NUM_THREADS = threads, OMP_WAIT_POLICY=PASSIVE above 1)' : 'not run'}${tfjs === null ? '' : ` · TensorFlow.js ${tfjs}`}`,
  ];
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

function show(row: Row): Row {
  const gc = row.gcCount === null ? '' : `, ${row.gcCount} GCs ${row.gcMs!.toFixed(0)} ms`;
  progress(`  ${row.workload.padEnd(20)} ${`${row.impl}×${row.threads}`.padEnd(14)} ${row.value.toPrecision(4).padStart(9)} ${row.unit}  (median call ${row.medianValue?.toPrecision(4) ?? '—'}, ${row.calls} calls in ${row.seconds.toFixed(1)} s${gc})`);
  return row;
}

async function timeRow(name: string, unit: string, work: number, warmupCalls: number, impl: Impl, threads: number, runner: Runner, budget: Budget, notes: string[]): Promise<Row | null> {
  try {
    const m = await measure(`${name} ${impl}×${threads}`, runner, warmupCalls, budget);
    if ('skipped' in m) {
      progress(`  ${m.skipped}`);
      notes.push(m.skipped);
      return null;
    }
    const value = figureOf(unit, work * m.calls, m.seconds);
    return show({ workload: name, impl, threads, unit, value, medianValue: figureOf(unit, work, m.medianMs / 1000), calls: m.calls, seconds: m.seconds, gcCount: m.gcCount, gcMs: m.gcMs, warmupCalls: m.warmupCalls });
  } finally {
    runner.close();
  }
}

/** `runs` fresh processes; the figure is their steps ÷ their summed time. */
async function coldRow(impl: 'skein' | 'torch', w: Workload, threads: number, budget: Budget): Promise<Row> {
  const runs = [];
  for (let i = 0; i < budget.coldRuns; i++) {
    if (impl === 'skein') runs.push(await coldRun(threads, w.work));
    else {
      const r = await runTorch(w.torch!.script, w.torch!.args, threads, budget.seconds);
      runs.push({ steps: r.work, seconds: r.seconds });
    }
  }
  const steps = runs.reduce((s, r) => s + r.steps, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const rates = runs.map((r) => r.steps / r.seconds).sort((a, b) => a - b);
  return show({ workload: w.name, impl, threads, unit: w.unit, value: steps / seconds, medianValue: rates[Math.floor(rates.length / 2)], calls: runs.length, seconds, gcCount: null, gcMs: null });
}

async function torchRow(name: string, unit: string, script: string, args: readonly string[], threads: number, budget: Budget): Promise<Row> {
  const r = await runTorch(script, args, threads, budget.seconds);
  if (r.unit !== unit) throw new Error(`bench: ${script} reports ${r.unit}, expected ${unit}`);
  const medianValue = r.median_seconds !== undefined && r.calls !== undefined ? figureOf(unit, r.work / r.calls, r.median_seconds) : null;
  return show({ workload: name, impl: 'torch', threads, unit, value: figureOf(unit, r.work, r.seconds), medianValue, calls: r.calls ?? 0, seconds: r.seconds, gcCount: null, gcMs: null });
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

function comparisons(rows: readonly Row[]): string[] {
  const notes: string[] = [];
  for (const r of rows.filter((row) => row.impl === 'skein-graph')) {
    const eager = rows.find((row) => row.impl === 'skein' && row.workload === r.workload && row.threads === r.threads);
    if (eager !== undefined) notes.push(`skein-graph ÷ skein on ${r.workload} at ${r.threads} thread(s): ${(r.value / eager.value).toFixed(2)}×`);
  }
  for (const impl of ['skein', 'torch'] as const) {
    const [every, sync10] = [best(rows, 'w2', impl), best(rows, 'w2-sync10', impl)];
    if (every !== null && sync10 !== null) notes.push(`${impl}: w2-sync10 ÷ w2 (best thread counts) = ${(sync10.value / every.value).toFixed(2)}×`);
  }
  return notes;
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
  const { threads: threadCounts, budget } = options;
  const picked = (name: string) => options.only === null || options.only.includes(name);
  const workloads = WORKLOADS.filter((w) => picked(w.name));
  const models = MODELS.filter((m) => picked(m.name));
  const names = [...workloads.map((w) => w.name), ...models.map((m) => m.name)];
  const wants = (impl: Impl) => workloads.filter((w) => w.impls.includes(impl));
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const w of workloads) for (const [impl, reason] of Object.entries(w.leftOut ?? {})) if (options.tfjs || !impl.startsWith('tfjs')) notes.push(reason);
  const torch = options.torch && (await torchAvailable());
  if (options.torch && !torch) notes.push('PyTorch twins not run: /usr/bin/python3 cannot import torch');
  const started = performance.now();

  // One workload at a time: Skein on every thread count, then its PyTorch twin on every thread
  // count, so the two are measured minutes apart at most and the machine's drift (±30% here)
  // falls on both sides of a ratio alike.
  const groups = [...workloads.map((w) => ({ name: w.name, workloads: [w], models: [] as typeof models })), ...models.map((m) => ({ name: m.name, workloads: [] as typeof workloads, models: [m] }))];
  let statsAfter = runtimeStats();
  const drains = { waits: 0, alone: 0 };
  for (const group of groups) {
    const mine = (impl: Impl) => group.workloads.filter((w) => w.impls.includes(impl));
    for (const threads of threadCounts) {
      setNumThreads(threads);
      progress(`${group.name}: skein on ${threads} thread(s)`);
      for (const w of mine('skein')) {
        if (w.spec.kind === 'cold') {
          rows.push(await coldRow('skein', w, threads, budget));
          continue;
        }
        const row = await timeRow(w.name, w.unit, w.work, w.warmupCalls, 'skein', threads, skeinRunner(w.spec), budget, notes);
        if (row === null) continue;
        if (w.name === 'w1') notes.push(await addDispatches(row, skeinRunner(w.spec), budget));
        rows.push(row);
      }
      for (const model of group.models) {
        const made = await model.make();
        const row = await timeRow(model.name, model.unit, model.work, 3, 'skein', threads, { step: () => made.step(), settle: synchronize, close: () => made.close() }, budget, notes);
        if (row !== null) rows.push(row);
      }
      // Graph mode right after eager mode, on the same pool.
      for (const w of mine('skein-graph')) {
        const row = await timeRow(w.name, w.unit, w.work, w.warmupCalls, 'skein-graph', threads, await graphRunner(w.spec), budget, notes);
        if (row === null) continue;
        if (w.name === 'w1') notes.push(await addDispatches(row, await graphRunner(w.spec), budget));
        rows.push(row);
      }
    }
    const stats = runtimeStats();
    drains.waits += stats.backpressureWaits - statsAfter.backpressureWaits;
    drains.alone += stats.singleThreadedDrains - statsAfter.singleThreadedDrains;
    // Skein's threads exit before PyTorch's run, so the two never share the cores.
    await shutdown();
    statsAfter = runtimeStats();
    if (!torch) continue;
    for (const threads of threadCounts) {
      progress(`${group.name}: pytorch on ${threads} thread(s)`);
      for (const w of mine('torch')) {
        if (w.torch === undefined) continue;
        rows.push(w.spec.kind === 'cold' ? await coldRow('torch', w, threads, budget) : await torchRow(w.name, w.unit, w.torch.script, w.torch.args, threads, budget));
      }
      for (const model of group.models) {
        const script = `${model.name}.py`;
        if (existsSync(torchScript(script))) rows.push(await torchRow(model.name, model.unit, script, [], threads, budget));
      }
    }
  }
  notes.push(`runtimeStats() over Skein's runs: ${drains.waits} waits on a full queue, ${drains.alone} launches a waiting main thread ran alone (single-threaded drains)`);

  let tfjs: string | null = null;
  if (options.tfjs) {
    const { tfjsRunner, tfjsVersion, useTfjsBackend } = await import('./tfjs.js');
    tfjs = tfjsVersion();
    for (const backend of ['cpu', 'wasm'] as const) {
      const impl: Impl = `tfjs-${backend}`;
      await useTfjsBackend(backend);
      progress(`${impl} (single-threaded)`);
      for (const w of wants(impl)) {
        const row = await timeRow(w.name, w.unit, w.work, w.warmupCalls, impl, 1, tfjsRunner(w.spec), budget, notes);
        if (row !== null) rows.push(row);
      }
    }
  }
  notes.push(...comparisons(rows));

  const facts = machineFacts(torch, tfjs);
  const minutes = (performance.now() - started) / 60_000;
  console.log(
    [
      ...facts,
      '',
      formatSummary(rows, names),
      '',
      formatRuns(rows, names),
      '',
      ...notes.map((n) => `note: ${n}`),
      `(bench took ${minutes.toFixed(1)} min; each figure is work ÷ wall time over ≥ ${budget.seconds} s of calls back to back, collections included; "median call" is the same figure from the median call alone; ratios are against PyTorch's best thread count: a speed ratio for rates, a cost ratio for µs/op)`,
    ].join('\n'),
  );
  if (options.json !== null) {
    writeFileSync(options.json, JSON.stringify({ command: facts[0].slice('command: '.length), machine: facts[1].slice('machine: '.length), kernels: facts[2].slice('kernels: '.length), notes, results: rows }, null, 2) + '\n');
    console.log(`wrote ${options.json}`);
  }
  return 0;
}

process.exitCode = await main();
