// The plain-TypeScript matmul kernel against a textbook float64 triple loop, on odd sizes, strided
// and broadcast operands, both dtypes; and bit-equality however its tiles are split.
import { describe, expect, it } from 'vitest';
import { matmulJs } from '../../src/kernels/matmul.js';
import type { MatmulArgs } from '../../src/kernels/types.js';
import { makeMatmulArgs as makeArgs, matmulReference, type MatmulCase } from '../support/matmul.js';

/**
 * Allowed |kernel − reference| relative to Σₚ|a·b| (the error scale of a dot product).
 * float32: the result is rounded to float32 once (½ ulp = 2⁻²⁴), doubled for slack.
 * float64: recursive summation of k ≤ 129 terms is within k·2⁻⁵³ < 2⁻⁴⁵ (Higham §3.1).
 */
const TOLERANCE = { float32: 2 ** -23, float64: 2 ** -45 } as const;

interface Case extends MatmulCase {
  name: string;
}

function runAll(args: MatmulArgs): void {
  matmulJs.run(args, 0, matmulJs.units(args));
}

const CASES: Case[] = [
  { name: '1×1·1×1', batchShape: [], m: 1, k: 1, n: 1 },
  { name: 'a row times a column (1×17·17×1)', batchShape: [], m: 1, k: 17, n: 1 },
  { name: 'a column times a row (17×1·1×17)', batchShape: [], m: 17, k: 1, n: 17 },
  { name: 'an empty sum (k = 0)', batchShape: [], m: 3, k: 0, n: 17 },
  { name: 'odd sizes 3×17·17×3', batchShape: [], m: 3, k: 17, n: 3 },
  { name: 'one full tile 64×64·64×64', batchShape: [], m: 64, k: 64, n: 64 },
  { name: 'ragged tiles 129×129·129×129', batchShape: [], m: 129, k: 129, n: 129 },
  { name: 'k past one K slice 17×300·300×5', batchShape: [], m: 17, k: 300, n: 5 },
  { name: 'transposed A', batchShape: [], m: 65, k: 17, n: 66, aLayout: 'transposed' },
  { name: 'transposed B', batchShape: [], m: 66, k: 17, n: 65, bLayout: 'transposed' },
  { name: 'both transposed', batchShape: [], m: 17, k: 64, n: 129, aLayout: 'transposed', bLayout: 'transposed' },
  { name: 'strided, offset A and B', batchShape: [], m: 67, k: 17, n: 70, aLayout: 'strided', bLayout: 'strided' },
  { name: 'a batch of 3', batchShape: [3], m: 17, k: 3, n: 65 },
  { name: 'a 2×3 batch', batchShape: [2, 3], m: 5, k: 7, n: 3 },
  { name: 'B broadcast over the batch', batchShape: [4], m: 17, k: 9, n: 67, bBroadcast: [true] },
  {
    name: 'A broadcast on one batch dim, transposed; B strided',
    batchShape: [2, 3], m: 9, k: 17, n: 5,
    aBroadcast: [true, false], aLayout: 'transposed', bLayout: 'strided',
  },
  { name: 'an empty batch', batchShape: [2, 0], m: 3, k: 3, n: 3 },
  { name: 'no rows', batchShape: [], m: 0, k: 3, n: 3 },
  { name: 'no columns', batchShape: [2], m: 3, k: 3, n: 0 },
];

describe.each(['float32', 'float64'] as const)('matmulJs in %s', (dtype) => {
  it.each(CASES)('matches the textbook triple loop for $name', (c) => {
    const args = makeArgs(c, dtype);
    runAll(args);
    const { value, scale } = matmulReference(args);
    for (let e = 0; e < value.length; e++) {
      const error = Math.abs(args.c[args.cOffset + e] - value[e]);
      if (!(error <= TOLERANCE[dtype] * scale[e])) {
        expect.fail(`element ${e}: got ${args.c[args.cOffset + e]}, expected ${value[e]}`);
      }
    }
    const outside = [...args.c.subarray(0, args.cOffset),
      ...args.c.subarray(args.cOffset + value.length)];
    expect(outside.every(Number.isNaN)).toBe(true); // nothing written outside C
  });

  it('gives the same bits however its units are split', () => {
    const c: Case = { name: 'split', batchShape: [2], m: 130, k: 300, n: 129, bLayout: 'transposed' };
    const whole = makeArgs(c, dtype);
    runAll(whole);
    const units = matmulJs.units(whole);
    expect(units).toBeGreaterThan(8);
    const oneByOne = Array.from({ length: units + 1 }, (_, u) => u);
    const splits = [[0, 1, units], [0, 2, 3, 7, units], [0, units - 1, units], oneByOne];
    for (const bounds of splits) {
      const split = makeArgs(c, dtype);
      // Back to front, so no unit can lean on state a preceding unit left behind.
      for (let s = bounds.length - 2; s >= 0; s--) matmulJs.run(split, bounds[s], bounds[s + 1]);
      expect(Buffer.from(split.c.buffer).equals(Buffer.from(whole.c.buffer))).toBe(true);
    }
  });

  it('estimates a positive, finite cost per unit', () => {
    for (const c of CASES) {
      const cost = matmulJs.unitCost(makeArgs(c, dtype));
      expect(Number.isFinite(cost) && cost > 0).toBe(true);
    }
  });
});

it('matches the textbook triple loop on a 2x2 case', () => {
  // [1 2] [5 6]   [1·5+2·7  1·6+2·8]   [19 22]
  // [3 4] [7 8] = [3·5+4·7  3·6+4·8] = [43 50]
  const args: MatmulArgs = {
    a: new Float32Array([1, 2, 3, 4]), aOffset: 0, aBatchStrides: [], aRowStride: 2, aColStride: 1,
    b: new Float32Array([5, 6, 7, 8]), bOffset: 0, bBatchStrides: [], bRowStride: 2, bColStride: 1,
    c: new Float32Array(4), cOffset: 0, batchShape: [], m: 2, n: 2, k: 2,
  };
  runAll(args);
  expect(Array.from(args.c)).toEqual([19, 22, 43, 50]);
});

it('has no units when the output is empty', () => {
  const empty = (batchShape: number[], m: number, n: number) =>
    matmulJs.units(makeArgs({ batchShape, m, k: 4, n }, 'float32'));
  expect([empty([], 0, 5), empty([], 5, 0), empty([3, 0], 5, 5)]).toEqual([0, 0, 0]);
});
