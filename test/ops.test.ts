// The op suite, PyTorch-OpInfo style: every entry of the op table has sample cases
// (test/support/op-cases.ts), and each case is checked the same way — forward against a plain-JS
// float64 reference, gradients against central differences in float64, and the same bits on 1
// and 2 threads at sizes where the pool really runs. Composites, scalars, promotion and the
// in-place ops follow.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { availableParallelism } from 'node:os';
import { AutogradError, DTypeError, getInlineLimit, getLaneLimit, setLaneLimit, gradcheck, OPS, runtimeStats, setInlineLimit, setNumThreads, ShapeError, synchronize, tensor, Tensor, type DType, type OpName } from '../src/index.js';
import type { DataArray } from '../src/kernels/types.js';
import { outDtypeOf, type LargeCase, type Sample } from './support/cases.js';
import { COMPOSITE_CASES } from './support/composite-cases.js';
import { draw, expectClose, firstBitDifference, isFloatSpec, layoutOf, makeBase, readNd, type Tolerance } from './support/inputs.js';
import { OP_CASES } from './support/op-cases.js';

/** float32 results: one rounding per kernel, a few kernels per composite, k-term sums in matmul. */
const F32: Tolerance = { atol: 1e-6, rtol: 2e-5 };
/** float64 results: summation order is the only difference from the reference. */
const F64: Tolerance = { atol: 1e-12, rtol: 1e-11 };
/** bool and int32 results are exact. */
const EXACT: Tolerance = { atol: 0, rtol: 0 };
/** Central differences in float64: truncation error ~eps², rounding error ~1e-16/eps. */
const GRADCHECK = { eps: 1e-6, atol: 1e-6, rtol: 1e-4 };
const FLOATS: DType[] = ['float32', 'float64'];

const isFloat = (d: DType) => d === 'float32' || d === 'float64';

/** A stable seed per (case, input), so a failure reproduces. */
function seedOf(text: string, k: number): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h + k * 7919) >>> 0;
}

function tolerance(caseDtype: DType, outDtype: DType): Tolerance {
  if (!isFloat(outDtype)) return EXACT;
  return caseDtype === 'float32' || outDtype === 'float32' ? F32 : F64;
}

function leavesFor(s: Sample, dtype: DType, key: string, requiresGrad: boolean): Tensor[] {
  return s.inputs.map((spec, k) => {
    const t = makeBase(spec, dtype, seedOf(key, k));
    return requiresGrad && isFloatSpec(spec) ? t.requiresGrad_() : t;
  });
}

const laidOut = (s: { inputs: Sample['inputs'] }, leaves: Tensor[]): Tensor[] => leaves.map((t, k) => layoutOf(s.inputs[k]).view(t));

/** Every op the call applied, in order. */
function opsApplied(fn: () => Tensor): { out: Tensor; ops: string[] } {
  const spy = vi.spyOn(Tensor.prototype, 'applyOp');
  try {
    const out = fn();
    return { out, ops: spy.mock.calls.map(([op]) => op.name) };
  } finally {
    spy.mockRestore();
  }
}

async function checkForward(s: Sample, dtype: DType, key: string): Promise<Tensor> {
  const xs = laidOut(s, leavesFor(s, dtype, key, false));
  const expected = s.ref(await Promise.all(xs.map(readNd)));
  const out = s.run(xs);
  const want = outDtypeOf(s, dtype);
  expect(out.dtype, 'output dtype').toBe(want);
  const actual = await readNd(out);
  expect(out.storage.error, 'kernel failure').toBeNull();
  const tol = tolerance(dtype, want);
  expectClose(actual, expected, tol === F32 ? (s.f32Tolerance ?? F32) : tol);
  // The public read path (a copy kernel for views) agrees with the strided walk, bit for bit.
  expect(Array.from(await out.data())).toEqual(actual.data);
  return out;
}

async function checkGradients(s: Sample, key: string): Promise<void> {
  const leaves = leavesFor(s, 'float64', key, true);
  await gradcheck((...xs) => s.run(laidOut(s, xs)), leaves, s.gradcheck ?? GRADCHECK);
}

const canGradcheck = (s: Sample) => s.noGradcheck === undefined && s.inputs.some(isFloatSpec) && isFloat(outDtypeOf(s, 'float64'));

const OP_NAMES = Object.keys(OPS) as OpName[];

describe('the op table', () => {
  it('has sample cases for every entry, and no cases for ops it lacks', () => {
    const missing = OP_NAMES.filter((name) => (OP_CASES[name]?.samples.length ?? 0) === 0 || OP_CASES[name]?.large === undefined);
    expect(missing, 'ops without cases').toEqual([]);
    expect(Object.keys(OP_CASES).filter((name) => !(name in OPS)), 'cases for unknown ops').toEqual([]);
  });
});

describe.each(OP_NAMES)('%s', (name) => {
  const op = OPS[name];
  const samples = OP_CASES[name]?.samples ?? [];
  describe.each(samples.map((s) => [s.name, s] as const))('on %s', (sampleName, s) => {
    const key = `${name}/${sampleName}`;
    it.each(s.dtypes ?? FLOATS)('matches the plain-JS reference in %s and really applies the op', async (dtype) => {
      const xs = laidOut(s, leavesFor(s, dtype, key, false));
      expect(opsApplied(() => s.run(xs)).ops, `ops applied by "${sampleName}"`).toContain(op.name);
      await checkForward(s, dtype, key);
    });

    // A sample that cannot be gradchecked says why in noGradcheck; its op's other samples are.
    if (op.grad !== null && canGradcheck(s)) it('has gradients that match central differences in float64', async () => {
      await checkGradients(s, key);
    });

    const blocked = op.grad === null || (s.inputs.some(isFloatSpec) && !isFloat(outDtypeOf(s, 'float64')));
    if (blocked && s.inputs.some(isFloatSpec)) it('lets no gradient through', async () => {
      const out = s.run(laidOut(s, leavesFor(s, 'float64', key, true)));
      if (isFloat(out.dtype)) {
        // A float result records the op, and backward names it when it reaches the declared null.
        expect(out.requiresGrad).toBe(true);
        expect(() => out.sum().backward()).toThrow(AutogradError);
        expect(() => s.run(laidOut(s, leavesFor(s, 'float64', key, true))).sum().backward()).toThrow(new RegExp(`^${op.name}: `));
      } else {
        expect(out.requiresGrad).toBe(false);
        expect(out.gradFn).toBeNull();
      }
    });
  });
});

describe.each(Object.entries(COMPOSITE_CASES))('the composite %s', (name, samples) => {
  describe.each(samples.map((s) => [s.name, s] as const))('on %s', (sampleName, s) => {
    const key = `${name}/${sampleName}`;
    it.each(s.dtypes ?? FLOATS)('matches the plain-JS reference in %s', async (dtype) => {
      await checkForward(s, dtype, key);
    });
    if (canGradcheck(s)) it('has gradients that match central differences in float64', async () => {
      await checkGradients(s, key);
    });
  });
});

// Thread invariance. Switching the thread count replaces the pool (≈ 0.1–0.4 s here), so every
// op's large case runs on 1 thread first, then all on 2, and each op's test compares the two.

interface LargeRun {
  out: DataArray;
  grads: (DataArray | null)[];
  forwardPoolLaunches: number;
  poolLaunches: number;
  /** Launches the main thread split with helper threads (the lane), forward and backward. */
  laneLaunches: number;
}

async function runLarge(name: OpName, c: LargeCase): Promise<LargeRun> {
  const differentiable = OPS[name].grad !== null;
  const leaves = c.inputs.map((spec, k) => {
    const t = makeBase(spec, 'float32', seedOf(`large/${name}`, k));
    return differentiable && isFloatSpec(spec) ? t.requiresGrad_() : t;
  });
  await synchronize();
  const before = runtimeStats().poolLaunches;
  const laneBefore = runtimeStats().laneLaunches;
  const out = c.run(laidOut(c, leaves));
  await synchronize();
  const forwardPoolLaunches = runtimeStats().poolLaunches - before;
  // One entry per float leaf; null where no gradient flows (fullLike ignores its input's values).
  const grads: (DataArray | null)[] = [];
  if (out.requiresGrad) {
    const g = tensor(draw('normal', out.numel(), 99), { dtype: out.dtype }).reshape(out.shape);
    out.backward(g);
    for (const leaf of leaves) if (leaf.requiresGrad) grads.push(leaf.grad === null ? null : await leaf.grad.data());
  }
  const values = await out.data();
  return { out: values, grads, forwardPoolLaunches, poolLaunches: runtimeStats().poolLaunches - before, laneLaunches: runtimeStats().laneLaunches - laneBefore };
}

/** Every launch of more than one unit goes to the pool while these checks run. */
const POOL_EVERYTHING_NS = 0;

/**
 * The three ways a launch of several units can run: the pool on one worker, the pool on two,
 * and the lane (the main thread with one helper; every multi-unit launch goes there).
 */
const MODES = { pool1: { threads: 1, lane: false }, pool2: { threads: 2, lane: false }, lane2: { threads: 2, lane: true } } as const;
type Mode = keyof typeof MODES;

describe('thread invariance', () => {
  const runs = new Map<Mode, Map<OpName, LargeRun | Error>>();
  const defaultLimit = getInlineLimit();
  const defaultLaneLimit = getLaneLimit();

  beforeAll(async () => {
    for (const [mode, { threads, lane }] of Object.entries(MODES) as [Mode, (typeof MODES)[Mode]][]) {
      setNumThreads(threads);
      setInlineLimit(lane ? Infinity : POOL_EVERYTHING_NS);
      setLaneLimit(lane ? 0 : defaultLaneLimit);
      const byOp = new Map<OpName, LargeRun | Error>();
      for (const name of OP_NAMES) {
        const c = OP_CASES[name]?.large;
        if (c === undefined) continue;
        byOp.set(name, await runLarge(name, c).catch((e: Error) => e));
      }
      runs.set(mode, byOp);
    }
  }, 120_000);

  afterAll(() => {
    setNumThreads(availableParallelism());
    setInlineLimit(defaultLimit);
    setLaneLimit(defaultLaneLimit);
  });

  describe.each(OP_NAMES)('%s', (name) => {
    it('gives the same bits on 1 and 2 pool threads and on the lane, forward and backward, with the pool and the lane really used', () => {
      const [a, b, l] = (['pool1', 'pool2', 'lane2'] as const).map((mode) => {
        const run = runs.get(mode)?.get(name);
        if (run instanceof Error) throw run;
        expect(run, `the ${mode} run happened`).toBeTruthy();
        return run as LargeRun;
      });
      // A view runs no kernel: then its read and its backward are what the pool must run.
      const forwardRuns = OPS[name].view === undefined;
      for (const r of [a, b]) expect(forwardRuns ? r.forwardPoolLaunches : r.poolLaunches, 'pool launches').toBeGreaterThan(0);
      expect(l.laneLaunches, 'lane launches').toBeGreaterThan(0);
      for (const [other, what] of [[b, 'two pool threads'], [l, 'the lane']] as const) {
        expect(firstBitDifference(a.out, other.out), `first output element whose bits differ on ${what}`).toBe(-1);
        a.grads.forEach((g, k) => {
          const h = other.grads[k];
          if (g === null || h === null) expect(h, `gradient ${k} is null on ${what} too`).toBe(g);
          else expect(firstBitDifference(g, h), `first element of gradient ${k} whose bits differ on ${what}`).toBe(-1);
        });
      }
      const floatLeaves = OPS[name].grad !== null && isFloat(dtypeOfData(a.out)) ? OP_CASES[name].large.inputs.filter(isFloatSpec).length : 0;
      for (const r of [a, b, l]) expect(r.grads.length, 'gradients compared').toBe(floatLeaves);
    });
  });
});

function dtypeOfData(a: DataArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'bool';
}

// Numbers, dtype promotion, and the in-place ops.

describe('numbers mixed with tensors', () => {
  it.each([
    // [what, make, call, expected values, expected dtype]
    ['x.mul(2) keeps float32', () => tensor([1, -2.5]), (x: Tensor) => x.mul(2), [2, -5], 'float32'],
    ['x.add(-1.5) keeps float64', () => tensor([1, 2], { dtype: 'float64' }), (x: Tensor) => x.add(-1.5), [-0.5, 0.5], 'float64'],
    ['an int32 tensor times 2 stays int32', () => tensor([3, -4], { dtype: 'int32' }), (x: Tensor) => x.mul(2), [6, -8], 'int32'],
    ['an int32 tensor times 2.5 becomes float32', () => tensor([3, -4], { dtype: 'int32' }), (x: Tensor) => x.mul(2.5), [7.5, -10], 'float32'],
    ['a bool mask plus 1 becomes int32', () => tensor([true, false]), (x: Tensor) => x.add(1), [2, 1], 'int32'],
    ['x.div(4) of a float tensor', () => tensor([1, 6]), (x: Tensor) => x.div(4), [0.25, 1.5], 'float32'],
    ['x.sub(1) of a 0-d tensor', () => tensor(5), (x: Tensor) => x.sub(1), 4, 'float32'],
    ['x.lt(0) gives a bool mask', () => tensor([-1, 0, 1]), (x: Tensor) => x.lt(0), [true, false, false], 'bool'],
  ] as const)('%s', async (_, make, call, values, dtype) => {
    const out = call(make());
    expect(out.dtype).toBe(dtype);
    expect(await out.toArray()).toEqual(values);
  });
});

describe('dtype promotion between tensors', () => {
  const t = (values: number[] | boolean[], dtype: DType) => tensor(values, { dtype });
  it.each([
    // [a, b, op, expected dtype, expected values]
    ['int32 + float32 is float32', t([1, 2], 'int32'), t([0.5, 0.25], 'float32'), (a: Tensor, b: Tensor) => a.add(b), 'float32', [1.5, 2.25]],
    ['int32 + float64 is float64', t([1, 2], 'int32'), t([0.5, 0.25], 'float64'), (a: Tensor, b: Tensor) => a.add(b), 'float64', [1.5, 2.25]],
    ['float32 · float64 is float64', t([1.5, 2], 'float32'), t([2, 3], 'float64'), (a: Tensor, b: Tensor) => a.mul(b), 'float64', [3, 6]],
    ['bool + int32 is int32', t([true, false], 'bool'), t([5, 5], 'int32'), (a: Tensor, b: Tensor) => a.add(b), 'int32', [6, 5]],
    ['bool + bool is bool (a logical or, stored as 0/1)', t([true, true, false], 'bool'), t([true, false, false], 'bool'), (a: Tensor, b: Tensor) => a.add(b).to('int32'), 'int32', [1, 1, 0]],
    ['a bool mask times float32 is float32', t([true, false], 'bool'), t([3, 4], 'float32'), (a: Tensor, b: Tensor) => a.mul(b), 'float32', [3, 0]],
    ['int32 / int32 is a true float32 division', t([7, -7], 'int32'), t([2, 2], 'int32'), (a: Tensor, b: Tensor) => a.div(b), 'float32', [3.5, -3.5]],
    ['float32 < int32 is bool', t([0.5, 2], 'float32'), t([1, 1], 'int32'), (a: Tensor, b: Tensor) => a.lt(b), 'bool', [true, false]],
    ['where picks from int32 and float32 as float32', t([1, 2], 'int32'), t([0.5, 0.25], 'float32'), (a: Tensor, b: Tensor) => a.where(tensor([true, false]), b), 'float32', [1, 0.25]],
  ] as const)('%s', async (_, a, b, op, dtype, values) => {
    const out = op(a, b);
    expect(out.dtype).toBe(dtype);
    expect(await out.toArray()).toEqual(values);
  });

  it('refuses a negative integer power of an int32 tensor, naming pow', () => {
    expect(() => tensor([2, 3], { dtype: 'int32' }).pow(-1)).toThrow(/^pow: got a int32 tensor and the negative exponent -1, expected/);
  });
});

describe('gradients where the textbook formula reads 0·∞', () => {
  // PyTorch's limits: d(aᵇ)/da = 0 where b = 0; d(aᵇ)/db = 0 where a = 0 and b ≥ 0; d(a⁰)/da = 0.
  it.each([
    ['a.pow(b) at a = 0', (a: Tensor, b: Tensor) => a.pow(b), [0, 0, 2], [2, 0, 0], [0, 0, 0], [0, 0, Math.log(2)]],
    ['a.pow(0) at a = 0', (a: Tensor) => a.pow(0), [0, 3], [0, 0], [0, 0], null],
  ] as const)('%s are finite limits, not NaN', async (_, op, av, bv, da, db) => {
    const a = tensor([...av], { dtype: 'float64', requiresGrad: true });
    const b = tensor([...bv], { dtype: 'float64', requiresGrad: true });
    op(a, b).sum().backward();
    expect(Array.from(await (a.grad as Tensor).data())).toEqual(da);
    if (db !== null) expect(Array.from(await (b.grad as Tensor).data())).toEqual(db);
  });
});

describe('reductions of a 0-d tensor and of infinities', () => {
  it.each([
    ['sum(0)', (x: Tensor) => x.sum(0), 3],
    ['mean(-1)', (x: Tensor) => x.mean(-1), 3],
    ['max(0, keepdim)', (x: Tensor) => x.max(0, true).values, 3],
    ['amax(0, keepdim)', (x: Tensor) => x.amax(0, true), 3],
    ['logsumexp(0)', (x: Tensor) => x.logsumexp(0), 3],
    ['argmax(0)', (x: Tensor) => x.argmax(0), 0],
    ['softmax(0)', (x: Tensor) => x.softmax(0), 1],
  ] as const)('%s of a 0-d tensor reduces nothing, as in PyTorch', async (_, call, value) => {
    const out = call(tensor(3));
    expect(out.shape).toEqual([]);
    expect(await out.item()).toBe(value);
  });

  it.each([
    // log Σ exp over a slice with no finite maximum: the max-shift must not turn ∞ − ∞ into NaN.
    ['an all −∞ slice is −∞', [-Infinity, -Infinity], -Infinity],
    ['a slice holding +∞ is +∞', [Infinity, 1], Infinity],
    ['a slice holding −∞ ignores it', [-Infinity, 0], 0],
  ])('logsumexp of %s', async (_, values, expected) => {
    expect(await tensor(values).logsumexp(0).item()).toBe(expected);
  });
});

describe('in-place ops', () => {
  const version = (t: Tensor) => t.storage.version;
  it.each([
    // [name, target, call, expected target values]
    ['add_ adds a tensor', () => tensor([1, 2, 3]), (x: Tensor) => x.add_(tensor([10, 20, 30])), [11, 22, 33]],
    ['add_ adds a number', () => tensor([1, 2]), (x: Tensor) => x.add_(0.5), [1.5, 2.5]],
    ['sub_ subtracts a broadcast row', () => tensor([[5, 5, 5], [1, 1, 1]]), (x: Tensor) => x.sub_(tensor([1, 2, 3])), [[4, 3, 2], [0, -1, -2]]],
    ['mul_ scales', () => tensor([1, -2]), (x: Tensor) => x.mul_(3), [3, -6]],
    ['div_ divides by a 0-d tensor', () => tensor([1, 6]), (x: Tensor) => x.div_(tensor(4)), [0.25, 1.5]],
    ['zero_ clears', () => tensor([[1, 2], [3, 4]]), (x: Tensor) => x.zero_(), [[0, 0], [0, 0]]],
    ['fill_ sets every element', () => tensor([1, 2, 3], { dtype: 'int32' }), (x: Tensor) => x.fill_(7), [7, 7, 7]],
    ['clamp_ clips to [0, 1]', () => tensor([-1, 0.5, 2]), (x: Tensor) => x.clamp_({ min: 0, max: 1 }), [0, 0.5, 1]],
    ['copy_ casts and broadcasts its source', () => tensor([[0, 0], [0, 0]]), (x: Tensor) => x.copy_(tensor([1.5, -2], { dtype: 'float64' })), [[1.5, -2], [1.5, -2]]],
    ['copy_ writes through a transposed view', () => tensor([[0, 0], [0, 0]]).t(), (x: Tensor) => x.copy_(tensor([[1, 2], [3, 4]])), [[1, 2], [3, 4]]],
    ['maskedFill_ writes where the mask is true', () => tensor([1, -2, 3, -4]), (x: Tensor) => x.maskedFill_(tensor([1, -2, 3, -4]).lt(0), 0), [1, 0, 3, 0]],
  ] as const)('%s, returns the tensor itself and bumps its version by one', async (_, make, call, expected) => {
    const x = make();
    const before = version(x);
    expect(call(x)).toBe(x);
    expect(version(x)).toBe(before + 1);
    expect(await x.toArray()).toEqual(expected);
  });

  it('writes through a narrowed view into its base, whose version is the same counter', async () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]]);
    const before = version(base);
    base.narrow(1, 1, 2).mul_(10);
    expect(version(base)).toBe(before + 1);
    expect(await base.toArray()).toEqual([[1, 20, 30], [4, 50, 60]]);
  });

  it('records an in-place op in the graph: d/dx sum(3·(x·1)) = 3', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(1);
    y.mul_(3);
    y.sum().backward();
    expect(await (x.grad as Tensor).toArray()).toEqual([3, 3]);
  });

  it('gives the tensor operand of mul_ the gradient g·(old self), from a copy taken before the write', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const z = tensor([3, 4], { requiresGrad: true });
    const y = x.mul(1);
    y.mul_(z); // y = x·z, then d/dx = z and d/dz = x (the values y held before the write)
    y.sum().backward();
    expect(await (x.grad as Tensor).toArray()).toEqual([3, 4]);
    expect(await (z.grad as Tensor).toArray()).toEqual([1, 2]);
  });

  it.each([
    ['max', (x: Tensor) => x.amax(1)],
    ['pow', (x: Tensor) => x.pow(x.detach())],
    ['sigmoid', (x: Tensor) => x.sigmoid()],
  ] as const)('makes backward through %s fail, naming it, when its saved output was changed in place', (name, op) => {
    const y = op(tensor([[1, 2], [3, 4]], { requiresGrad: true }));
    y.mul_(2);
    expect(() => y.sum().backward()).toThrow(new RegExp(`^${name}: a tensor of shape \\[\\d(, \\d)*\\] saved for backward was modified by an in-place operation`));
  });

  it.each([
    ['add_ with a shape that does not broadcast', () => tensor([1, 2, 3]).add_(tensor([1, 2])), ShapeError, /^add_: got an operand of shape \[2\] for a tensor of shape \[3\]; expected/],
    ['div_ on an int32 tensor (the quotient is float32)', () => tensor([1, 2], { dtype: 'int32' }).div_(2), DTypeError, /^div_: the result has dtype float32, which cannot be stored in a tensor of dtype int32; expected/],
    ['add_ on a leaf that requires grad', () => tensor([1, 2], { requiresGrad: true }).add_(1), AutogradError, /^add_: a leaf tensor that requires grad is used in an in-place operation; expected/],
  ] as const)('refuses %s with an error naming the op, what it got and what it expected', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('makes backward fail, naming the op, when a value saved for it was changed in place', () => {
    const x = tensor([0.5, -1], { requiresGrad: true });
    const s = x.sigmoid(); // saves its output for the backward σ(1 − σ)
    s.add_(1);
    expect(() => s.sum().backward()).toThrow(AutogradError);
    const x2 = tensor([0.5, -1], { requiresGrad: true });
    const s2 = x2.sigmoid();
    s2.add_(1);
    expect(() => s2.sum().backward()).toThrow(/^sigmoid: a tensor of shape \[2\] saved for backward was modified by an in-place operation/);
  });
});

describe('large inputs, cut into tiles on the pool, still match plain loops', () => {
  // Thread invariance alone would miss a tile-boundary bug that both thread counts share.
  const [R, C] = [1024, 512];
  const values = (seed: number, n: number) => tensor(draw('normal', n, seed), { dtype: 'float64' });

  async function onPool<T>(fn: () => T): Promise<T> {
    setNumThreads(2);
    await synchronize();
    const before = runtimeStats().poolLaunches;
    const limit = getInlineLimit();
    setInlineLimit(POOL_EVERYTHING_NS);
    const out = fn();
    await synchronize();
    setInlineLimit(limit);
    expect(runtimeStats().poolLaunches - before, 'pool launches').toBeGreaterThan(0);
    return out;
  }

  it('adds a narrowed [1024, 512] view (the strided path) elementwise', async () => {
    const a = values(1, R * C);
    const b = values(2, R * (C + 3));
    const out = await onPool(() => a.reshape([R, C]).add(b.reshape([R, C + 3]).narrow(1, 1, C)));
    const [x, y, got] = [await a.data(), await b.data(), await out.data()];
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        if (got[r * C + c] !== x[r * C + c] + y[r * (C + 3) + c + 1]) expect.fail(`element [${r}, ${c}]`);
      }
    }
  });

  it('sums each row of a transposed [1024, 512] view, and all of it (the chunked path)', async () => {
    const base = values(3, R * C);
    const rows = await onPool(() => base.reshape([C, R]).t().sum(1));
    const all = await onPool(() => base.sum());
    const x = await base.data();
    const want = new Array<number>(R).fill(0);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) want[r] += x[c * R + r];
    expectClose({ shape: [R], data: Array.from(await rows.data()) }, { shape: [R], data: want }, F64, 'row sums');
    expectClose({ shape: [], data: [await all.item()] }, { shape: [], data: [want.reduce((p, q) => p + q, 0)] }, F64, 'total');
  });

  it('multiplies [256, 192] by [192, 160] like the textbook triple loop', async () => {
    const a = values(4, 256 * 192);
    const b = values(5, 192 * 160);
    const out = await onPool(() => a.reshape([256, 192]).matmul(b.reshape([192, 160])));
    const [x, y] = [await a.data(), await b.data()];
    const want = new Array<number>(256 * 160).fill(0);
    for (let i = 0; i < 256; i++) for (let j = 0; j < 160; j++) for (let p = 0; p < 192; p++) want[i * 160 + j] += x[i * 192 + p] * y[p * 160 + j];
    expectClose({ shape: [256, 160], data: Array.from(await out.data()) }, { shape: [256, 160], data: want }, F64);
  });

  it('selects 2048 rows of a [2048, 256] matrix through an index', async () => {
    const x = values(6, 2048 * 256);
    const index = tensor(draw('index', 2048, 7, 2048), { dtype: 'int32' });
    const out = await onPool(() => x.reshape([2048, 256]).indexSelect(0, index));
    const [v, idx, got] = [await x.data(), await index.data(), await out.data()];
    for (let i = 0; i < 2048; i++) {
      for (let k = 0; k < 256; k++) if (got[i * 256 + k] !== v[idx[i] * 256 + k]) expect.fail(`row ${i}, column ${k}`);
    }
  });
});
