// The WASM matmul kernels (plain SIMD and relaxed SIMD) against a textbook float64 triple loop.
// dist/wasm is built by test/global-setup.ts before this file runs.
import { describe, expect, it } from 'vitest';
import { loadMatmulWasm, bestMatmulVariant, supportsMatmulWasm, type MatmulVariant } from '../../src/kernels/matmul-wasm.js';
import type { MatmulArgs } from '../../src/kernels/types.js';
import { heapMemory } from '../../src/heap.js';
import { Storage } from '../../src/storage.js';
import { makeMatmulArgs as makeArgs, matmulReference, type Layout, type MatmulCase as Case } from '../support/matmul.js';

/** float32 unit roundoff: |fl(x) − x| ≤ u·|x|. */
const ROUNDING_UNIT = 2 ** -24;
/**
 * Recursive float32 summation of k products (fused or not) is within γ ≈ (k+1)·u of the exact
 * sum, relative to Σ|a·b| (Higham, Accuracy and Stability, §3.1); one extra u of slack.
 */
const errorBoundFactor = (k: number) => (k + 2) * ROUNDING_UNIT;

/** Count of elements outside the rounding bound (0 expected), with the first few listed. */
function expectCloseToReference(args: MatmulArgs): void {
  const { value, scale } = matmulReference(args);
  const bound = errorBoundFactor(args.k);
  const bad: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const got = args.c[args.cOffset + i];
    if (!(Math.abs(got - value[i]) <= bound * scale[i])) bad.push(`c[${i}] = ${got}, expected ${value[i]}`);
  }
  expect(bad.slice(0, 5), `${bad.length} of ${value.length} elements off`).toEqual([]);
}

function runAll(kernel: NonNullable<ReturnType<typeof loadMatmulWasm>>, args: MatmulArgs): void {
  kernel.run(args, 0, kernel.units(args));
}

const SHAPES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 3, n: 3, k: 3 },
  { m: 17, n: 17, k: 17 },
  { m: 129, n: 129, k: 129 },
  { m: 3, n: 5, k: 0 },
  { m: 1, n: 129, k: 3 },
  { m: 129, n: 1, k: 3 },
  { m: 130, n: 9, k: 257 }, // crosses the 256-deep K block
  { m: 5, n: 1030, k: 7 }, // several column blocks
  { m: 2, n: 600, k: 20000 }, // deep k: narrower column blocks keep packed B bounded
];

const LAYOUTS: Array<[Layout, Layout]> = [
  ['transposed', 'rowMajor'],
  ['rowMajor', 'transposed'],
  ['transposed', 'transposed'],
  ['strided', 'strided'],
  ['strided', 'transposed'],
];

const VARIANTS: MatmulVariant[] = ['simd', 'relaxed'];

describe.each(VARIANTS)('the %s WASM matmul kernel', (variant) => {
  const kernel = loadMatmulWasm(variant, heapMemory()!);
  if (kernel === null) console.warn(`matmul-wasm: variant '${variant}' is not supported by this Node; its tests are skipped`);
  const test = it.skipIf(kernel === null);
  const mm = kernel!;

  test('matches the textbook triple loop on a 2x2 case', () => {
    // [1 2] [5 6]   [1·5+2·7  1·6+2·8]   [19 22]
    // [3 4] [7 8] = [3·5+4·7  3·6+4·8] = [43 50]
    const args = makeArgs({ m: 2, n: 2, k: 2 });
    args.a.set([1, 2, 3, 4]);
    args.b.set([5, 6, 7, 8]);
    runAll(mm, args);
    expect(Array.from(args.c.subarray(args.cOffset, args.cOffset + 4))).toEqual([19, 22, 43, 50]);
  });

  test.each(SHAPES.map((shape) => [`${shape.m}x${shape.k}·${shape.k}x${shape.n}`, shape] as const))(
    'matches the float64 reference within rounding for %s',
    (_name, shape) => {
      const args = makeArgs(shape);
      runAll(mm, args);
      expectCloseToReference(args);
    },
  );

  test.each(LAYOUTS)('reads a %s A and a %s B straight from their strides', (aLayout, bLayout) => {
    for (const shape of [{ m: 17, n: 23, k: 9 }, { m: 70, n: 40, k: 300 }]) {
      const args = makeArgs({ ...shape, aLayout, bLayout });
      runAll(mm, args);
      expectCloseToReference(args);
    }
  });

  test('broadcasts a batch operand with stride 0 on either side', () => {
    const cases: Case[] = [
      { m: 9, n: 20, k: 11, batchShape: [2, 3], bBroadcast: [true, true] },
      { m: 9, n: 20, k: 11, batchShape: [2, 3], aBroadcast: [false, true], bLayout: 'transposed' },
      { m: 70, n: 33, k: 5, batchShape: [3], aBroadcast: [true], aLayout: 'strided' },
    ];
    for (const shape of cases) {
      const args = makeArgs(shape);
      runAll(mm, args);
      expectCloseToReference(args);
    }
  });

  test('gives the same bits whether its units run at once or split at any boundary', () => {
    // 2 batch entries sharing one B (stride 0) × 3 row blocks × 2 column blocks = 12 units.
    const shape: Case = { m: 150, n: 700, k: 300, batchShape: [2], bBroadcast: [true] };
    const whole = makeArgs(shape);
    const units = mm.units(whole);
    expect(units).toBeGreaterThanOrEqual(12);
    runAll(mm, whole);
    const expected = new Uint32Array(whole.c.buffer);
    for (const cuts of [[1], [units >> 1], [3, 7, 8], Array.from({ length: units - 1 }, (_, i) => i + 1)]) {
      const split = { ...whole, c: new Float32Array(new SharedArrayBuffer(whole.c.byteLength)).fill(Number.NaN) };
      const bounds = [0, ...cuts, units];
      for (let i = 0; i + 1 < bounds.length; i++) mm.run(split, bounds[i], bounds[i + 1]);
      const got = new Uint32Array(split.c.buffer);
      let differing = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) differing++;
      expect(differing, `elements that differ after splitting at ${cuts.join(', ')}`).toBe(0);
    }
  });

  test('packs operands in the tensor heap where they lie, with the same bits as staging them', () => {
    const onHeap = (x: Float32Array): Float32Array => {
      const copy = new Storage('float32', x.length).data as Float32Array;
      copy.set(x);
      return copy;
    };
    const cases: Case[] = [
      ...LAYOUTS.flatMap(([aLayout, bLayout]) => [{ m: 17, n: 23, k: 9, aLayout, bLayout }, { m: 70, n: 40, k: 300, aLayout, bLayout }]),
      { m: 64, n: 100, k: 1000 }, // the tutorial's forward product
      { m: 9, n: 20, k: 11, batchShape: [2, 3], aBroadcast: [false, true], bLayout: 'transposed' },
      { m: 130, n: 9, k: 257, aLayout: 'transposed' },
    ];
    for (const shape of cases) {
      const staged = makeArgs(shape) as MatmulArgs & { a: Float32Array; b: Float32Array; c: Float32Array };
      const direct = { ...staged, a: onHeap(staged.a), b: onHeap(staged.b), c: onHeap(staged.c.fill(Number.NaN)), heap: true };
      runAll(mm, staged);
      runAll(mm, direct);
      const want = new Uint32Array(staged.c.buffer, staged.c.byteOffset, staged.c.length);
      const got = new Uint32Array(direct.c.buffer, direct.c.byteOffset, direct.c.length);
      let differing = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) differing++;
      expect(differing, `elements that differ for ${JSON.stringify(shape)}`).toBe(0);
    }
  });

  test('declines float64 operands', () => {
    const args = makeArgs({ m: 2, n: 2, k: 2 });
    const f64 = { ...args, a: new Float64Array(args.a), b: new Float64Array(args.b), c: new Float64Array(args.c) };
    expect(mm.supports(args)).toBe(true);
    expect(mm.supports(f64)).toBe(false);
    expect(supportsMatmulWasm(f64)).toBe(false);
    expect(() => mm.run(f64, 0, mm.units(f64))).toThrow(/float32 only/);
  });

  test('reports units fixed by the shapes and a positive cost', () => {
    const args = makeArgs({ m: 129, n: 1030, k: 64, batchShape: [2] });
    // ⌈129/64⌉ = 3 row blocks, 1030 columns in 3 blocks of ≤ 512 → 2·3·3
    expect(mm.units(args)).toBe(18);
    expect(mm.unitCost(args)).toBeGreaterThan(0);
    expect(mm.units(makeArgs({ m: 0, n: 5, k: 3 }))).toBe(0);
  });
});

describe('bestMatmulVariant', () => {
  it('picks a variant that loads', () => {
    const variant = bestMatmulVariant();
    if (variant !== null) expect(loadMatmulWasm(variant, heapMemory()!)).not.toBeNull();
  });
});
