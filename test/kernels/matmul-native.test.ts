// The OpenBLAS matmul kernel (native/blas through src/kernels/matmul-native.ts) against a textbook
// float64 triple loop and against the WASM kernel; its fixed tile grid; bit equality however its
// units are split and on 1 or 2 threads; one BLAS thread in every thread that loads it.
// dist/native/blas.node is built by test/global-setup.ts; without it these tests are skipped,
// unless SKEIN_REQUIRE_NATIVE names blas (CI), where its absence fails.
import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { getInlineLimit, getLaneLimit, randn, runtimeStats, setInlineLimit, setLaneLimit, setNumThreads, synchronize, type Tensor } from '../../src/index.js';
import { heapMemory } from '../../src/heap.js';
import { gemmTile, loadMatmulNative, nativeMatmulReason } from '../../src/kernels/matmul-native.js';
import { bestMatmulVariant, loadMatmulWasm } from '../../src/kernels/matmul-wasm.js';
import type { FloatArray, MatmulArgs } from '../../src/kernels/types.js';
import { makeMatmulArgs as makeArgs, matmulReference, type MatmulCase, type MatmulDType } from '../support/matmul.js';
import { firstBitDifference } from '../support/inputs.js';

/**
 * Any order of summing k products in a dtype with unit roundoff u is within γ ≈ (k+1)·u of the
 * exact sum, relative to Σ|a·b| (Higham §3.1), whatever blocking and FMA use BLAS picks; one
 * extra u of slack.
 */
const UNIT_ROUNDOFF = { float32: 2 ** -24, float64: 2 ** -53 } as const;
const errorBound = (dtype: MatmulDType, k: number) => (k + 2) * UNIT_ROUNDOFF[dtype];

const native = loadMatmulNative();
const required = (process.env.SKEIN_REQUIRE_NATIVE ?? '').split(',').includes('blas');
if (native === null && !required) console.warn(`matmul-native: the BLAS addon is unavailable (${nativeMatmulReason()}); its tests are skipped`);
const test = it.skipIf(native === null && !required);
const mm = native!;

function runAll(args: MatmulArgs): void {
  mm.run(args, 0, mm.units(args));
}

/** Elements outside the rounding bound of the float64 reference (none expected). */
function expectCloseToReference(args: MatmulArgs, dtype: MatmulDType): void {
  const { value, scale } = matmulReference(args);
  const bound = errorBound(dtype, args.k);
  const bad: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const got = args.c[args.cOffset + i];
    if (!(Math.abs(got - value[i]) <= bound * scale[i])) bad.push(`c[${i}] = ${got}, expected ${value[i]}`);
  }
  expect(bad.slice(0, 5), `${bad.length} of ${value.length} elements off`).toEqual([]);
  const outside = [...args.c.subarray(0, args.cOffset), ...args.c.subarray(args.cOffset + value.length)];
  expect(outside.every(Number.isNaN), 'nothing written outside C').toBe(true);
}

const CASES: Array<MatmulCase & { name: string }> = [
  { name: '1×1·1×1', m: 1, k: 1, n: 1 },
  { name: 'a row times a column', m: 1, k: 17, n: 1 },
  { name: 'a column times a row', m: 17, k: 1, n: 17 },
  { name: 'an empty sum (k = 0)', m: 3, k: 0, n: 17 },
  { name: 'ragged tiles 129³', m: 129, k: 129, n: 129 },
  { name: 'several tiles each way 600×40·40×1100', m: 600, k: 40, n: 1100 },
  { name: 'transposed A', m: 65, k: 17, n: 66, aLayout: 'transposed' },
  { name: 'transposed B', m: 66, k: 17, n: 65, bLayout: 'transposed' },
  { name: 'both transposed', m: 17, k: 64, n: 129, aLayout: 'transposed', bLayout: 'transposed' },
  { name: 'strided A and B (packed)', m: 67, k: 17, n: 70, aLayout: 'strided', bLayout: 'strided' },
  { name: 'strided A, transposed B', m: 520, k: 30, n: 9, aLayout: 'strided', bLayout: 'transposed' },
  { name: 'a 2×3 batch', batchShape: [2, 3], m: 5, k: 7, n: 3 },
  { name: 'B broadcast over the batch', batchShape: [4], m: 17, k: 9, n: 67, bBroadcast: [true] },
  { name: 'A broadcast on one batch dim, transposed; B strided', batchShape: [2, 3], m: 9, k: 17, n: 5, aBroadcast: [true, false], aLayout: 'transposed', bLayout: 'strided' },
  { name: 'an empty batch', batchShape: [2, 0], m: 3, k: 3, n: 3 },
  { name: 'no rows', m: 0, k: 3, n: 3 },
  { name: 'no columns', batchShape: [2], m: 3, k: 3, n: 0 },
];

describe.each(['float32', 'float64'] as const)('the OpenBLAS matmul kernel in %s', (dtype) => {
  test('matches the textbook triple loop on a 2x2 case', () => {
    // [1 2] [5 6]   [1·5+2·7  1·6+2·8]   [19 22]
    // [3 4] [7 8] = [3·5+4·7  3·6+4·8] = [43 50]
    const args = makeArgs({ m: 2, n: 2, k: 2 }, dtype);
    args.a.set([1, 2, 3, 4]);
    args.b.set([5, 6, 7, 8]);
    runAll(args);
    expect(Array.from(args.c.subarray(args.cOffset, args.cOffset + 4))).toEqual([19, 22, 43, 50]);
  });

  test.each(CASES)('matches the float64 reference within rounding for $name', (c) => {
    const args = makeArgs(c, dtype);
    runAll(args);
    expectCloseToReference(args, dtype);
  });

  test('packs layouts BLAS cannot read: repeated rows (stride 0) and reversed rows and columns', () => {
    // A's rows all the same row (an expand along m); B read bottom-up and right-to-left.
    const args = makeArgs({ m: 40, k: 33, n: 50 }, dtype);
    const repeated = { ...args, aRowStride: 0 };
    runAll(repeated);
    expectCloseToReference(repeated, dtype);
    const reversed = { ...makeArgs({ m: 40, k: 33, n: 50 }, dtype) };
    reversed.bOffset = (33 - 1) * reversed.bRowStride + 49;
    reversed.bRowStride = -reversed.bRowStride;
    reversed.bColStride = -1;
    runAll(reversed);
    expectCloseToReference(reversed, dtype);
  });

  test('gives the same bits however its units are split', () => {
    const c: MatmulCase = { batchShape: [2], m: 700, k: 60, n: 600, bLayout: 'transposed', aLayout: 'strided' };
    const whole = makeArgs(c, dtype);
    runAll(whole);
    const units = mm.units(whole);
    expect(units).toBeGreaterThanOrEqual(8);
    for (const bounds of [[0, 1, units], [0, 3, 5, units], Array.from({ length: units + 1 }, (_, u) => u)]) {
      const split = makeArgs(c, dtype);
      // Back to front, so no unit leans on what a preceding unit packed.
      for (let s = bounds.length - 2; s >= 0; s--) mm.run(split, bounds[s], bounds[s + 1]);
      expect(firstBitDifference(split.c, whole.c), `first differing element after splitting at ${bounds.join(', ')}`).toBe(-1);
    }
  });

  test('throws a RangeError before writing anything when an operand reaches past its array', () => {
    const args = makeArgs({ m: 4, k: 5, n: 6 }, dtype);
    const short = { ...args, aRowStride: args.a.length };
    expect(() => runAll(short)).toThrow(RangeError);
    expect(() => runAll(short)).toThrow(/matmul \(native\): operand A reaches/);
    expect(() => runAll({ ...args, cOffset: args.c.length - 3 })).toThrow(/operand C reaches/);
    expect(Array.from(args.c).every(Number.isNaN), 'C untouched').toBe(true);
  });
});

describe('the OpenBLAS matmul kernel against the WASM one', () => {
  const variant = bestMatmulVariant();
  const wasm = variant === null ? null : loadMatmulWasm(variant, heapMemory()!);
  test.skipIf(wasm === null).each([
    { m: 256, k: 784, n: 300 },
    { m: 130, k: 257, n: 9, aLayout: 'transposed' },
    { m: 9, k: 20, n: 11, batchShape: [2, 3], aBroadcast: [false, true], bLayout: 'strided' },
  ] as MatmulCase[])('agrees within twice the rounding bound on %o', (c) => {
    const a = makeArgs(c);
    const b = makeArgs(c);
    runAll(a);
    wasm!.run(b, 0, wasm!.units(b));
    const { scale } = matmulReference(a);
    const bound = 2 * errorBound('float32', c.k);
    let off = 0;
    for (let i = 0; i < scale.length; i++) if (!(Math.abs(a.c[a.cOffset + i] - b.c[b.cOffset + i]) <= bound * scale[i])) off++;
    expect(off, 'elements further apart than the bound').toBe(0);
  });
});

describe('the tile grid', () => {
  const units = (c: MatmulCase) => mm.units(makeArgs({ ...c, k: c.k }));
  test('is fixed by the shapes: few large tiles, split so two threads can share a product', () => {
    // 1024² in 512×512 tiles; W2's 256×1024 outputs halved twice to 4 tiles of 256×256.
    expect(units({ m: 1024, k: 1, n: 1024 })).toBe(4);
    expect(units({ m: 1024, k: 1024, n: 1024 })).toBe(4);
    expect(units({ m: 256, k: 784, n: 1024 })).toBe(4);
    // The tutorial's 64×1000·1000×100 (12.8 MFLOP) in two halves; a tiny product in one call.
    expect(units({ m: 64, k: 1000, n: 100 })).toBe(2);
    expect(units({ m: 4, k: 4, n: 4 })).toBe(1);
    // A batch big enough to share needs no split of its matrices.
    expect(units({ m: 64, k: 64, n: 64, batchShape: [8] })).toBe(8);
    expect(units({ m: 0, k: 3, n: 5 })).toBe(0);
  });

  test('costs more per unit for more work, and more when a layout must be packed', () => {
    const cost = (c: MatmulCase) => mm.unitCost(makeArgs(c));
    expect(cost({ m: 64, k: 64, n: 64 })).toBeGreaterThan(0);
    expect(cost({ m: 128, k: 128, n: 128 })).toBeGreaterThan(cost({ m: 64, k: 64, n: 64 }));
    expect(cost({ m: 128, k: 128, n: 128, aLayout: 'strided' })).toBeGreaterThan(cost({ m: 128, k: 128, n: 128, aLayout: 'transposed' }));
  });
});

describe('gemmTile, the one-tile product for kernels that pack their own panels', () => {
  function arrays(dtype: MatmulDType, lengths: number[]): FloatArray[] {
    return lengths.map((n, s) => {
      const x = dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float64Array(new SharedArrayBuffer(n * 8));
      for (let i = 0; i < n; i++) x[i] = ((i * 7 + s * 3) % 11) - 5;
      return x;
    });
  }

  test.each(['float32', 'float64'] as const)('computes op(A)·op(B) + beta·C with leading dimensions and offsets in %s', (dtype) => {
    // C[2×3] (ldc 4, at 1) = Aᵀ·B + C, A stored 4×2 (lda 2, at 2), B stored 4×3 (ldb 5, at 0).
    const [a, b, c] = arrays(dtype, [2 + 4 * 2, 4 * 5, 1 + 2 * 4]);
    const before = Array.from(c);
    const expected = [...before];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let p = 0; p < 4; p++) sum += a[2 + p * 2 + i] * b[p * 5 + j];
        expected[1 + i * 4 + j] += sum;
      }
    }
    const ran = gemmTile({ a, aOffset: 2, lda: 2, transA: true, b, bOffset: 0, ldb: 5, transB: false, c, cOffset: 1, ldc: 4, m: 2, n: 3, k: 4, beta: 1 });
    expect(ran).toBe(runtimeStats().matmulKernel === 'native');
    if (ran) expect(Array.from(c)).toEqual(expected);
    else expect(Array.from(c)).toEqual(before);
  });

  test.runIf(runtimeStats().matmulKernel === 'native')('refuses a tile that reaches past its arrays', () => {
    // A is 2×5 (lda 5): 10 elements, but its array holds 8.
    const [a, b, c] = arrays('float32', [8, 10, 4]);
    expect(() => gemmTile({ a, aOffset: 0, lda: 5, transA: false, b, bOffset: 0, ldb: 2, transB: false, c, cOffset: 0, ldc: 2, m: 2, n: 2, k: 5, beta: 0 })).toThrow(/operand A reaches/);
  });
});

describe('threads', () => {
  const limits = { inline: getInlineLimit(), lane: getLaneLimit() };
  afterAll(() => {
    setNumThreads(availableParallelism());
    setInlineLimit(limits.inline);
    setLaneLimit(limits.lane);
  });

  test('hold OpenBLAS to one thread in a worker that loads the addon', async () => {
    const url = new URL('../../dist/src/kernels/matmul-native.js', import.meta.url).href;
    const code = `import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage(m.loadMatmulNative()?.blas.threads ?? null));`;
    const threads = await new Promise((resolve, reject) => {
      const worker = new Worker(code, { eval: true });
      worker.once('message', (v) => void worker.terminate().then(() => resolve(v)));
      worker.once('error', reject);
    });
    expect(threads).toBe(1);
    expect(mm.blas.threads).toBe(1);
  });

  test.runIf(runtimeStats().matmulKernel === 'native')('give the same bits on 1 and 2 pool threads and on the lane, float32 and float64', async () => {
    const products: Array<[string, () => Tensor]> = [];
    for (const dtype of ['float32', 'float64'] as const) {
      const a = randn([2, 300, 200], { dtype });
      const b = randn([200, 450], { dtype });
      products.push([`${dtype} [2, 300, 200] · [200, 450]`, () => a.matmul(b)]);
      products.push([`${dtype} transposed and narrowed`, () => a.transpose(-1, -2).narrow(-1, 3, 250).transpose(-1, -2).matmul(b.narrow(1, 1, 400))]);
    }
    const results = new Map<string, FloatArray[]>();
    for (const [mode, threads, lane] of [['pool1', 1, false], ['pool2', 2, false], ['lane2', 2, true]] as const) {
      setNumThreads(threads);
      setInlineLimit(lane ? Infinity : 0);
      setLaneLimit(lane ? 0 : limits.lane);
      await synchronize();
      const before = runtimeStats();
      const outs: FloatArray[] = [];
      for (const [, make] of products) outs.push((await make().data()) as FloatArray);
      const after = runtimeStats();
      expect(lane ? after.laneLaunches - before.laneLaunches : after.poolLaunches - before.poolLaunches, `${mode} launches`).toBeGreaterThanOrEqual(products.length);
      results.set(mode, outs);
    }
    const [one, two, lane] = ['pool1', 'pool2', 'lane2'].map((m) => results.get(m) as FloatArray[]);
    products.forEach(([name], i) => {
      expect(firstBitDifference(one[i], two[i]), `${name}: first element differing on 2 pool threads`).toBe(-1);
      expect(firstBitDifference(one[i], lane[i]), `${name}: first element differing on the lane`).toBe(-1);
    });
  });
});

it.runIf(required)('loads, since SKEIN_REQUIRE_NATIVE names blas', () => {
  expect(nativeMatmulReason()).toBeNull();
});
