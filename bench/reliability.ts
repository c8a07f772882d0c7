// The reliability bench: `npm run bench:reliability -- [--json FILE] [--threads 2] [--steps 10000]
// [--seconds 15] [--only eventloop,memory]`.
//   eventloop  W2 (N=256, 784→1024→1024→10 ReLU MLP, MSE, SGD) trains while an HTTP server in the
//              same process (127.0.0.1 only) answers a bounded stream of requests; reports the
//              event-loop delay p50/p99/max (perf_hooks.monitorEventLoopDelay) and request latency,
//              twice: for a loop that reads the loss every step, and for one that awaits only
//              optimizer.step() (records named …-step-only).
//   memory     the tutorial's two-layer program for 10,000 steps; RSS and ArrayBuffer +
//              SharedArrayBuffer bytes are sampled, and the growth from step 1,000 to the end is
//              reported (target < 5%).
// Records have the main bench's shape: {workload, impl, threads, unit, value}.
import { writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { manualSeed, memoryStats, noGrad, optim, randn, runtimeStats, setNumThreads, shutdown, type Tensor } from '../src/index.js';

interface Record {
  workload: string;
  impl: 'skein';
  threads: number;
  unit: string;
  value: number;
  /** What the figure is, for the table. */
  note: string;
}

interface Options {
  json: string | null;
  threads: number;
  steps: number;
  seconds: number;
  only: string[];
}

const USAGE = 'usage: npm run bench:reliability -- [--json FILE] [--threads N] [--steps N] [--seconds S] [--only eventloop,memory]';
const PARTS = ['eventloop', 'memory'];
/** The server answers at most this many requests, one every REQUEST_EVERY_MS: bounded load. */
const MAX_REQUESTS = 2000;
const REQUEST_EVERY_MS = 20;
/** W2 warm-up steps before the event loop is watched (each worker compiles its kernels first). */
const WARMUP_STEPS = 3;
/** Memory samples are taken every this many steps; growth compares step 1,000 with the last. */
const SAMPLE_EVERY = 250;
const BASELINE_STEP = 1000;

class UsageError extends Error {}

function parse(argv: string[]): Options {
  const options: Options = { json: null, threads: 2, steps: 10_000, seconds: 15, only: PARTS };
  const int = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !/^\d+$/.test(v) || n < min) throw new UsageError(`${flag}: got ${JSON.stringify(v ?? null)}, expected an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    if (flag === '--json') options.json = value() ?? null;
    else if (flag === '--threads') options.threads = int(flag, value(), 1);
    else if (flag === '--steps') options.steps = int(flag, value(), BASELINE_STEP + SAMPLE_EVERY);
    else if (flag === '--seconds') options.seconds = int(flag, value(), 1);
    else if (flag === '--only') {
      options.only = (value() ?? '').split(',');
      const unknown = options.only.filter((p) => !PARTS.includes(p));
      if (unknown.length > 0) throw new UsageError(`--only: got ${unknown.join(', ')}; expected some of ${PARTS.join(', ')}`);
    } else throw new UsageError(`unknown option ${flag}`);
  }
  if (options.json === null && argv.includes('--json')) throw new UsageError('--json: expected a file name');
  return options;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ── event loop ───────────────────────────────────────────────────────────────────────────────

/** How a training loop waits: on a read of the loss every step, or only on optimizer.step(). */
type Loop = 'read' | 'step-only';

/**
 * W2: relu(relu(x·w1)·w2)·w3, mean squared error, plain SGD. 'read' awaits the loss every step;
 * 'step-only' awaits only optimizer.step() and hands back the loss tensor unread.
 */
function w2Trainer(loop: Loop): () => Promise<number | Tensor> {
  const [N, Din, H1, H2, Dout, lr] = [256, 784, 1024, 1024, 10, 0.01];
  const x = randn([N, Din]);
  const y = randn([N, Dout]);
  // He initialisation keeps the activations of a deep ReLU stack from blowing up.
  const init = (i: number, o: number) => noGrad(() => randn([i, o]).mul(Math.sqrt(2 / i))).requiresGrad_();
  const ws = [init(Din, H1), init(H1, H2), init(H2, Dout)];
  const optimizer = new optim.SGD(ws, { lr });
  return async () => {
    const h = x.mm(ws[0]).relu().mm(ws[1]).relu().mm(ws[2]);
    const loss = h.sub(y).pow(2).mean();
    optimizer.zeroGrad();
    loss.backward();
    if (loop === 'step-only') {
      await optimizer.step();
      return loss;
    }
    void optimizer.step();
    return loss.item();
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function request(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    }).on('error', reject);
  });
}

async function eventLoop({ threads, seconds }: Options, loop: Loop): Promise<Record[]> {
  setNumThreads(threads);
  manualSeed(0);
  const step = w2Trainer(loop);
  for (let i = 0; i < WARMUP_STEPS; i++) await step();

  let answered = 0;
  const server = createServer((_, res) => {
    answered += 1;
    res.end('ok\n');
  });
  const port = await listen(server);
  const latencies: number[] = [];
  let clientDone = false;
  // The client runs beside training: a request every REQUEST_EVERY_MS, at most MAX_REQUESTS, until training stops.
  const deadline = performance.now() + seconds * 1000;
  const client = (async () => {
    while (!clientDone && latencies.length < MAX_REQUESTS) {
      latencies.push(await request(port));
      await new Promise((resolve) => setTimeout(resolve, REQUEST_EVERY_MS));
    }
  })();

  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let steps = 0;
  let last: number | Tensor = NaN;
  const before = runtimeStats();
  const started = performance.now();
  while (performance.now() < deadline) {
    last = await step();
    steps += 1;
  }
  const loss = typeof last === 'number' ? last : await last.item();
  const elapsed = performance.now() - started;
  const after = runtimeStats();
  delay.disable();
  clientDone = true;
  await client;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!Number.isFinite(loss)) throw new Error(`bench: W2 diverged (loss ${loss})`);

  const ms = (ns: number) => ns / 1e6;
  const sorted = [...latencies].sort((a, b) => a - b);
  const how = loop === 'read' ? 'reading the loss every step' : 'awaiting only optimizer.step()';
  progress(`  W2 ${how} on ${threads} thread(s): ${steps} steps in ${(elapsed / 1000).toFixed(1)} s (${(elapsed / steps).toFixed(1)} ms/step), final loss ${loss.toFixed(4)}; ${answered} requests answered`);
  const suffix = loop === 'read' ? '' : '-step-only';
  const rec = (workload: string, unit: string, value: number, note: string): Record => ({ workload: workload + suffix, impl: 'skein', threads, unit, value, note: `${note}; ${how}` });
  return [
    rec('eventloop-p50', 'ms', ms(delay.percentile(50)), 'event-loop delay while W2 trains, median'),
    rec('eventloop-p99', 'ms', ms(delay.percentile(99)), 'event-loop delay while W2 trains, 99th percentile (target < 20)'),
    rec('eventloop-max', 'ms', ms(delay.max), 'event-loop delay while W2 trains, worst'),
    rec('http-p50', 'ms', percentile(sorted, 50), `request latency to the in-process server (${sorted.length} requests)`),
    rec('http-p99', 'ms', percentile(sorted, 99), 'request latency to the in-process server, 99th percentile'),
    rec('w2-step', 'ms', elapsed / steps, 'W2 training step while serving'),
    rec('backpressure-waits', 'n', after.backpressureWaits - before.backpressureWaits, 'runtimeStats(): waits on a full queue'),
    rec('single-threaded-drains', 'n', after.singleThreadedDrains - before.singleThreadedDrains, 'runtimeStats(): launches a waiting main thread ran alone (target 0)'),
  ];
}

// ── memory ───────────────────────────────────────────────────────────────────────────────────

/** The tutorial's two-layer program (N=64, 1000→100→10), as examples/two-layer-autograd.ts. */
function twoLayer(): () => Promise<number> {
  const [N, Din, H, Dout, lr] = [64, 1000, 100, 10, 1e-6];
  const x = randn([N, Din]);
  const y = randn([N, Dout]);
  const w1 = randn([Din, H], { requiresGrad: true });
  const w2 = randn([H, Dout], { requiresGrad: true });
  return async () => {
    const loss = x.mm(w1).clamp({ min: 0 }).mm(w2).sub(y).pow(2).sum();
    const value = await loss.item();
    loss.backward();
    noGrad(() => {
      w1.sub_((w1.grad as Tensor).mul(lr));
      w2.sub_((w2.grad as Tensor).mul(lr));
      (w1.grad as Tensor).zero_();
      (w2.grad as Tensor).zero_();
    });
    return value;
  };
}

interface Sample {
  step: number;
  rss: number;
  buffers: number;
  skein: number;
  heap: number;
  heapTotal: number;
  tensors: number;
}

async function memory({ threads, steps }: Options): Promise<Record[]> {
  setNumThreads(threads);
  manualSeed(0);
  const step = twoLayer();
  const samples: Sample[] = [];
  const sample = (t: number) => {
    const m = process.memoryUsage();
    const s = memoryStats();
    samples.push({ step: t, rss: m.rss, buffers: m.arrayBuffers, skein: s.sharedBytes, heap: m.heapUsed, heapTotal: m.heapTotal, tensors: s.liveTensors });
  };
  const started = performance.now();
  let loss = NaN;
  for (let t = 1; t <= steps; t++) {
    loss = await step();
    if (t % SAMPLE_EVERY === 0) sample(t);
  }
  const elapsed = performance.now() - started;
  if (!Number.isFinite(loss)) throw new Error(`bench: the two-layer program diverged (loss ${loss})`);
  const base = samples.find((s) => s.step === BASELINE_STEP) as Sample;
  const last = samples[samples.length - 1];
  const half = samples.find((x) => x.step >= last.step / 2) as Sample;
  const after = samples.filter((s) => s.step >= BASELINE_STEP);
  const growth = (key: 'rss' | 'buffers' | 'skein', s: Sample) => (100 * (s[key] - base[key])) / base[key];
  const peak = (key: 'rss' | 'buffers' | 'skein') => Math.max(...after.map((s) => growth(key, s)));
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  progress(`  two-layer on ${threads} thread(s): ${steps} steps in ${(elapsed / 1000).toFixed(1)} s, final loss ${loss.toFixed(1)}`);
  for (const s of samples.filter((x) => x === base || x === last || process.env.SKEIN_BENCH_VERBOSE)) {
    progress(`  step ${s.step}: RSS ${mb(s.rss)} MB, ArrayBuffers ${mb(s.buffers)} MB, Skein ${mb(s.skein)} MB, JS heap ${mb(s.heap)} MB (committed ${mb(s.heapTotal)}), ${s.tensors} live tensors`);
  }
  const n = `${steps >= 1000 ? `${steps / 1000}k` : steps}`;
  const rec = (workload: string, unit: string, value: number, note: string): Record => ({ workload, impl: 'skein', threads, unit, value, note });
  return [
    rec(`rss-growth-${n}`, '%', growth('rss', last), `resident memory, step ${BASELINE_STEP} → ${last.step} (target < 5)`),
    // Warm-up (V8 sizing its young generation to the allocation rate) ends well before half-way:
    // growth over the second half is what a leak would show.
    rec(`rss-growth-second-half`, '%', (100 * (last.rss - half.rss)) / half.rss, `resident memory, step ${half.step} → ${last.step}`),
    rec(`sab-growth-${n}`, '%', growth('buffers', last), `ArrayBuffer + SharedArrayBuffer bytes outside the tensor heap, step ${BASELINE_STEP} → ${last.step} (target < 5)`),
    rec(`skein-shared-growth-${n}`, '%', growth('skein', last), `memoryStats().sharedBytes, step ${BASELINE_STEP} → ${last.step}`),
    rec(`rss-peak-growth-${n}`, '%', peak('rss'), `largest RSS sample after step ${BASELINE_STEP}, against step ${BASELINE_STEP}`),
    rec(`sab-peak-growth-${n}`, '%', peak('buffers'), `largest ArrayBuffer sample after step ${BASELINE_STEP}, against step ${BASELINE_STEP}`),
    rec('rss-end', 'MB', last.rss / 2 ** 20, 'resident memory at the last step'),
    rec('two-layer-step', 'ms', elapsed / steps, 'two-layer training step'),
  ];
}

// ── main ─────────────────────────────────────────────────────────────────────────────────────

function table(records: Record[]): string {
  const w = Math.max(...records.map((r) => r.workload.length));
  return records.map((r) => `${r.workload.padEnd(w)}  ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(3)} ${r.threads} thr  ${r.note}`).join('\n');
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
  const records: Record[] = [];
  // Memory first: W2's large buffers would otherwise sit in the free list while it is measured.
  if (options.only.includes('memory')) {
    progress(`memory: the two-layer program for ${options.steps} steps`);
    records.push(...(await memory(options)));
  }
  if (options.only.includes('eventloop')) {
    progress(`eventloop: W2 for ${options.seconds} s beside an HTTP server`);
    records.push(...(await eventLoop(options, 'read')));
    records.push(...(await eventLoop(options, 'step-only')));
  }
  await shutdown();
  console.log(table(records));
  if (options.json !== null) {
    writeFileSync(options.json, `${JSON.stringify({ results: records }, null, 2)}\n`);
    progress(`wrote ${options.json}`);
  }
  return 0;
}

process.exitCode = await main();
