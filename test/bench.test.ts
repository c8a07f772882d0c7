// The bench's workloads compute what their names say: each runs once at a tiny size, Skein and
// TensorFlow.js agree on the same inputs, and training steps lower the loss. No timing here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalArray } from '../bench/data.js';
import { graphRunner } from '../bench/skein-graph.js';
import { skeinRunner } from '../bench/skein.js';
import { dispatchRoundTripUs, w1Dispatches } from '../bench/stats.js';
import { tfjsLiveTensors, tfjsRunner, useTfjsBackend, type TfjsBackend } from '../bench/tfjs.js';
import { WORKLOADS, elementwiseBytes, matmulFlops, matmulSpec, type MatmulShape, type Runner, type Spec, type W1Sizes, type W2Sizes } from '../bench/workloads.js';
import { shutdown } from '../src/index.js';

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

  it.runIf(backend !== null)('dispose every tensor they make', async () => {
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
