// The bench's workloads compute what their names say: each runs once at a tiny size, Skein and
// TensorFlow.js agree on the same inputs, and training steps lower the loss. No timing here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalArray } from '../bench/data.js';
import { graphRunner } from '../bench/skein-graph.js';
import { skeinRunner } from '../bench/skein.js';
import { dispatchRoundTripUs, w1Dispatches } from '../bench/stats.js';
import { tfjsLiveTensors, tfjsRunner, useTfjsBackend, type TfjsBackend } from '../bench/tfjs.js';
import { WORKLOADS, elementwiseBytes, matmulFlops, matmulSpec, type MatmulShape, type Runner, type Spec, type W1Sizes, type W2Sizes } from '../bench/workloads.js';
import { parseSummary, coldRun } from '../bench/cold.js';
import { measure, QUICK_BUDGET } from '../bench/measure.js';
import { MODELS } from '../bench/models/index.js';
import { best, figureOf, ratio, type Row } from '../bench/report.js';
import { parseTorchLine, runTorch, torchAvailable, torchEnv } from '../bench/torch-runner.js';
import { lossFell } from '../examples/example.js';
import { runtimeStats, shutdown } from '../src/index.js';

/** float32 unit roundoff. */
const ROUNDING_UNIT = 2 ** -24;
/** A k-term float32 dot product is within (k+2)·u of the exact value, relative to Σ|aᵢbᵢ| (Higham §3.1, one u of slack). */
const dotBound = (k: number) => (k + 2) * ROUNDING_UNIT;
/** Two float32 losses summed over a few hundred squares in different orders agree to this relative error. */
const LOSS_RTOL = 1e-4;

const TINY_W1: W1Sizes = { N: 8, Din: 20, H: 6, Dout: 3, lr: 2e-3 };
const TINY_W2: W2Sizes = { N: 16, Din: 12, H1: 10, H2: 8, Dout: 3, lr: 0.05 };
const TRAIN_STEPS = 30;

/** op(A)·op(B) in float64 from the same inputs the runners use, with Σ|aᵢbᵢ| for the bound. */
function referenceMatmul({ m, k, n, transA, transB }: MatmulShape): { c: Float64Array; magnitude: Float64Array } {
  const A = normalArray(m * k, 11);
  const B = normalArray(k * n, 12);
  const a = (i: number, p: number) => (transA ? A[p * m + i] : A[i * k + p]);
  const b = (p: number, j: number) => (transB ? B[j * k + p] : B[p * n + j]);
  const c = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        c[i * n + j] += a(i, p) * b(p, j);
        magnitude[i * n + j] += Math.abs(a(i, p) * b(p, j));
      }
    }
  }
  return { c, magnitude };
}

async function once(runner: Runner): Promise<Float32Array> {
  try {
    await runner.step();
    return await runner.output!();
  } finally {
    runner.close();
  }
}

async function losses(runner: Runner, steps: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for (let i = 0; i < steps; i++) out.push((await runner.step()) as number);
  } finally {
    runner.close();
  }
  return out;
}

const MATMULS: [string, MatmulShape][] = [
  ['a square product', matmulSpec(9, 9, 9).shape],
  ['the tutorial forward form, A·B', matmulSpec(4, 17, 5).shape],
  ['the dw1 form, Aᵀ·B from a transposed view', matmulSpec(17, 4, 5, true, false).shape],
  ['the dx form, A·Bᵀ from a transposed view', matmulSpec(4, 5, 17, false, true).shape],
];

type Make = (spec: Spec) => Runner;
const IMPLS: [string, TfjsBackend | null][] = [
  ['skein', null],
  ['tfjs-cpu', 'cpu'],
  ['tfjs-wasm', 'wasm'],
];

afterAll(async () => {
  await shutdown();
});

describe.each(IMPLS)('the %s workloads', (_name, backend) => {
  let make: Make = skeinRunner;
  beforeAll(async () => {
    if (backend !== null) {
      await useTfjsBackend(backend);
      make = tfjsRunner;
    }
  });

  it.each(MATMULS)('compute %s within the float32 dot-product bound', async (_label, shape) => {
    const got = await once(make({ kind: 'matmul', shape }));
    const { c, magnitude } = referenceMatmul(shape);
    expect(got.length).toBe(shape.m * shape.n);
    for (let i = 0; i < c.length; i++) expect(Math.abs(got[i] - c[i])).toBeLessThanOrEqual(dotBound(shape.k) * magnitude[i]);
  });

  it.each(['add', 'relu'] as const)('compute %s exactly: one float32 rounding per element', async (op) => {
    const n = 1000;
    const got = await once(make({ kind: 'elementwise', op, n }));
    const a = normalArray(n, 21);
    const b = normalArray(n, 22);
    const want = a.map((x, i) => (op === 'add' ? x + b[i] : Math.max(x, 0)));
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('lower the tutorial net’s loss with every SGD step', async () => {
    const seen = await losses(make({ kind: 'w1', sizes: TINY_W1 }), TRAIN_STEPS);
    for (let t = 1; t < seen.length; t++) expect(seen[t]).toBeLessThan(seen[t - 1]);
    expect(seen[seen.length - 1]).toBeLessThan(seen[0] / 2);
  });

  it('lower the MLP’s loss over training', async () => {
    const seen = await losses(make({ kind: 'w2', sizes: TINY_W2 }), TRAIN_STEPS);
    expect(seen.every(Number.isFinite)).toBe(true);
    expect(seen[seen.length - 1]).toBeLessThan(seen[0] * 0.9);
  });

  if (backend !== null) it('dispose every tensor they make', async () => {
    const before = tfjsLiveTensors();
    await once(make({ kind: 'matmul', shape: MATMULS[0][1] }));
    await losses(make({ kind: 'w1', sizes: TINY_W1 }), 3);
    await losses(make({ kind: 'w2', sizes: TINY_W2 }), 3);
    expect(tfjsLiveTensors()).toBe(before);
  });
});

describe('Skein and TensorFlow.js on the same inputs', () => {
  it.each([
    ['w1', { kind: 'w1', sizes: TINY_W1 }],
    ['w2', { kind: 'w2', sizes: TINY_W2 }],
  ] as [string, Spec][])('give the same %s losses for the first steps', async (_name, spec) => {
    const skein = await losses(skeinRunner(spec), 3);
    await useTfjsBackend('cpu');
    const tfjs = await losses(tfjsRunner(spec), 3);
    for (let t = 0; t < 3; t++) expect(Math.abs(skein[t] - tfjs[t])).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(tfjs[t]));
  });
});

describe('the skein-graph workloads', () => {
  it.each([
    ['w1', { kind: 'w1', sizes: TINY_W1 }],
    ['w2', { kind: 'w2', sizes: TINY_W2 }],
  ] as [string, Spec][])('follow the eager %s loss trajectory from the same data and weights', async (_name, spec) => {
    const eager = await losses(skeinRunner(spec), TRAIN_STEPS);
    const graphed = await losses(await graphRunner(spec), TRAIN_STEPS);
    for (let t = 0; t < TRAIN_STEPS; t++) expect(Math.abs(graphed[t] - eager[t])).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(eager[t]));
  });

  it('refuse a workload that is not a training step', async () => {
    await expect(graphRunner({ kind: 'matmul', shape: MATMULS[0][1] })).rejects.toThrow(/w1 and w2, not matmul/);
  });
});

describe('the per-step dispatch figures', () => {
  it('count every launch of a tiny W1 step as inline', async () => {
    const d = await w1Dispatches(skeinRunner({ kind: 'w1', sizes: TINY_W1 }), 3);
    expect(d.poolLaunchesPerStep).toBe(0);
    // Forward, loss, backward and update are a dozen launches or more.
    expect(d.inlineLaunchesPerStep).toBeGreaterThanOrEqual(12);
    expect(d.msPerStep).toBeGreaterThan(0);
  });

  it('time an empty round trip through the pool', async () => {
    expect(await dispatchRoundTripUs(3)).toBeGreaterThan(0);
  });
});

describe('the workload table', () => {
  const work: Record<string, number> = {
    'matmul-1024': (2 * 1024 ** 3) / 1e9,
    'matmul-tutorial': (2 * 64 * 1000 * 100) / 1e9,
    'matmul-tutorial-dw1': (2 * 1000 * 64 * 100) / 1e9,
    'add-4m': (3 * 4 * 4 * 2 ** 20) / 1e9,
    'relu-4m': (2 * 4 * 4 * 2 ** 20) / 1e9,
    w1: 1,
    w2: 256,
  };

  it.each(Object.entries(work))('counts the work of one %s call as its definition says', (name, expected) => {
    expect(WORKLOADS.find((w) => w.name === name)?.work).toBeCloseTo(expected, 12);
  });

  it('has unique names and agrees with its own formulas', () => {
    expect(new Set(WORKLOADS.map((w) => w.name)).size).toBe(WORKLOADS.length);
    for (const w of WORKLOADS) {
      if (w.spec.kind === 'matmul') expect(w.work).toBe(matmulFlops(w.spec.shape) / 1e9);
      if (w.spec.kind === 'elementwise') expect(w.work).toBe(elementwiseBytes(w.spec.op, w.spec.n) / 1e9);
    }
  });
});

describe('a W2 loop reading every 10th loss', () => {
  it('computes the same losses, bit for bit, as the loop reading every step', async () => {
    const every = await losses(skeinRunner({ kind: 'w2', sizes: TINY_W2 }), 9);
    // Each call runs three steps and reads the third step's loss after its update is queued.
    const sparse = await losses(skeinRunner({ kind: 'w2', sizes: TINY_W2, readEvery: 3 }), 3);
    // The loss it reads is the loss of steps 3, 6 and 9 (0-based 2, 5, 8) computed before their updates.
    expect(sparse).toEqual([every[2], every[5], every[8]]);
  });
});

describe('the op-overhead workload', () => {
  it.each([false, true])('records every tiny op of a call as its own launch (backward: %s)', async (backward) => {
    const runner = skeinRunner({ kind: 'op-overhead', ops: 40, backward });
    await runner.step();
    const before = runtimeStats().inlineLaunches;
    await runner.step();
    const launches = runtimeStats().inlineLaunches - before;
    // Forward: 40 ops. Backward adds the sum, its gradient and two per op at least.
    expect(launches).toBeGreaterThanOrEqual(backward ? 40 + 2 * 40 : 40);
    if (!backward) expect(launches).toBe(40);
    runner.close();
  });
});

describe('the throughput measurement', () => {
  it('divides work by the wall time of every call, slow ones included, with the median beside it', async () => {
    // Nine calls in ten take ≈ 1 ms, one takes ≈ 30 ms: the median hides the slow call, the wall figure does not.
    let n = 0;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const runner: Runner = { step: () => sleep(n++ % 10 === 9 ? 30 : 1), close() {} };
    const m = await measure('fake', runner, 1, { ...QUICK_BUDGET, seconds: 0.3, warmupMs: 0 });
    if ('skipped' in m) throw new Error(m.skipped);
    const wallPerCall = (m.seconds * 1000) / m.calls;
    expect(m.medianMs).toBeLessThan(10);
    expect(wallPerCall).toBeGreaterThan(m.medianMs * 1.5);
    expect(m.seconds).toBeGreaterThanOrEqual(0.3);
  });

  it('turns work and seconds into a rate, or into µs per unit for a cost unit', () => {
    expect(figureOf('steps/s', 500, 0.5)).toBe(1000);
    expect(figureOf('µs/op', 200, 0.001)).toBeCloseTo(5, 12);
  });

  it('picks the best thread count and states ratios as Skein over PyTorch', () => {
    const row = (impl: Row['impl'], threads: number, unit: string, value: number): Row => ({ workload: 'x', impl, threads, unit, value, medianValue: null, calls: 1, seconds: 1, gcCount: null, gcMs: null });
    const rates = [row('skein', 1, 'steps/s', 800), row('skein', 2, 'steps/s', 900), row('torch', 1, 'steps/s', 1000), row('torch', 2, 'steps/s', 600)];
    expect(ratio(best(rates, 'x', 'skein'), best(rates, 'x', 'torch'))).toBeCloseTo(0.9, 12);
    const costs = [row('skein', 1, 'µs/op', 5), row('skein', 2, 'µs/op', 6), row('torch', 1, 'µs/op', 4), row('torch', 2, 'µs/op', 3)];
    expect(best(costs, 'x', 'torch')?.threads).toBe(2);
    expect(ratio(best(costs, 'x', 'skein'), best(costs, 'x', 'torch'))).toBeCloseTo(5 / 3, 12);
  });
});

describe('the PyTorch twin runner', () => {
  it('parses the last result line and refuses output without one', () => {
    const line = '{"workload": "w1", "unit": "steps/s", "work": 120, "seconds": 0.1}';
    expect(parseTorchLine('w1.py', `warning: something\n${line}\n`)).toMatchObject({ workload: 'w1', work: 120, seconds: 0.1 });
    expect(() => parseTorchLine('w1.py', 'Traceback ...\n{"workload": "w1"}')).toThrow(/w1\.py printed no result line/);
  });

  it('gives OpenBLAS, OpenMP and torch the thread count, with passive OpenMP waits above one thread', () => {
    expect(torchEnv(1)).toMatchObject({ OPENBLAS_NUM_THREADS: '1', SKEIN_BENCH_THREADS: '1', OMP_NUM_THREADS: '1' });
    expect(torchEnv(1).OMP_WAIT_POLICY).toBeUndefined();
    expect(torchEnv(2)).toMatchObject({ OPENBLAS_NUM_THREADS: '2', SKEIN_BENCH_THREADS: '2', OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' });
  });

  it('runs a twin and reads what it did, when Debian’s Python has torch', async (ctx) => {
    if (!(await torchAvailable())) {
      if (process.env.SKEIN_REQUIRE_TORCH === '1') throw new Error('SKEIN_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch: install python3-torch');
      ctx.skip();
    }
    const r = await runTorch('op_overhead.py', ['--ops', '20', '--warmup-seconds', '0'], 1, 0.05);
    expect(r).toMatchObject({ workload: 'op-overhead-fwd', unit: 'µs/op' });
    expect(r.work % 20).toBe(0);
    expect(r.seconds).toBeGreaterThanOrEqual(0.05);
  }, 60_000);
});

describe('the cold workload', () => {
  it('reads steps and time from the example’s own summary line', () => {
    const { summary } = lossFell('two-layer-autograd', [100, 0.01], 1000, 0.5, 1);
    const r = parseSummary(summary);
    expect(r.steps).toBe(2);
    expect(r.seconds).toBeCloseTo(0.5, 3);
  });

  it('runs the tutorial’s 500 steps in a fresh process (the example fails unless its loss falls 1000×)', async () => {
    const r = await coldRun(1, 500);
    expect(r.steps).toBe(500);
    expect(r.seconds).toBeGreaterThan(0);
  }, 60_000);
});

describe('the bench model registry', () => {
  it('names each model once, apart from the built-in workloads, with positive work', () => {
    const names = [...WORKLOADS.map((w) => w.name), ...MODELS.map((m) => m.name)];
    expect(new Set(names).size).toBe(names.length);
    for (const m of MODELS) expect(m.work).toBeGreaterThan(0);
  });
});
