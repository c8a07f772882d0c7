// The plain-TypeScript matmul kernel against a textbook float64 triple loop, on odd sizes, strided
// and broadcast operands, both dtypes; and bit-equality however its tiles are split.
import { describe, expect, it } from 'vitest';
import { matmulJs } from '../../src/kernels/matmul.js';
import type { FloatArray, MatmulArgs } from '../../src/kernels/types.js';

/**
 * Allowed |kernel − reference| relative to Σₚ|a·b| (the error scale of a dot product).
 * float32: the result is rounded to float32 once (½ ulp = 2⁻²⁴), doubled for slack.
 * float64: recursive summation of k ≤ 129 terms is within k·2⁻⁵³ < 2⁻⁴⁵ (Higham §3.1).
 */
const TOLERANCE = { float32: 2 ** -23, float64: 2 ** -45 } as const;

type DType = keyof typeof TOLERANCE;
const ARRAY = { float32: Float32Array, float64: Float64Array } as const;

/** Deterministic values in [-1, 1), float32-representable so both dtypes see the same inputs. */
function randomFill(array: FloatArray, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < array.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    array[i] = Math.fround(s / 2 ** 31 - 1);
  }
}

/**
 * How one rows×cols operand sits in memory:
 *   rowMajor   — contiguous rows;
 *   transposed — stored as cols×rows and read with swapped strides (what .transpose() gives);
 *   strided    — every other column of a padded matrix, at an offset (neither stride is 1).
 */
type Layout = 'rowMajor' | 'transposed' | 'strided';

interface Operand {
  data: FloatArray;
  offset: number;
  batchStrides: number[];
  rowStride: number;
  colStride: number;
}

/** `broadcast[d]` gives batch dimension d a stride of 0 and stores only one entry along it. */
function makeOperand(
  dtype: DType, batchShape: number[], broadcast: boolean[], rows: number, cols: number,
  layout: Layout, seed: number,
): Operand {
  const pad = 3;
  const [rowStride, colStride, matrixSize] =
    layout === 'rowMajor' ? [cols, 1, rows * cols]
    : layout === 'transposed' ? [1, rows, rows * cols]
    : [2 * cols + pad, 2, rows * (2 * cols + pad)];
  const offset = layout === 'strided' ? pad : 0;
  const batchStrides = new Array<number>(batchShape.length);
  let stride = offset + matrixSize;
  for (let d = batchShape.length - 1; d >= 0; d--) {
    batchStrides[d] = broadcast[d] ? 0 : stride;
    if (!broadcast[d]) stride *= batchShape[d];
  }
  const data = new ARRAY[dtype](stride + pad);
  randomFill(data, seed);
  return { data, offset, batchStrides, rowStride, colStride };
}

interface Case {
  name: string;
  batchShape: number[];
  m: number;
  k: number;
  n: number;
  aLayout?: Layout;
  bLayout?: Layout;
  aBroadcast?: boolean[];
  bBroadcast?: boolean[];
}

function makeArgs(c: Case, dtype: DType): MatmulArgs {
  const { batchShape, m, k, n } = c;
  const noBroadcast = batchShape.map(() => false);
  const a = makeOperand(dtype, batchShape, c.aBroadcast ?? noBroadcast, m, k,
    c.aLayout ?? 'rowMajor', 1);
  const b = makeOperand(dtype, batchShape, c.bBroadcast ?? noBroadcast, k, n,
    c.bLayout ?? 'rowMajor', 2);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const cOffset = 5;
  // NaN everywhere, so an output element the kernel forgets to write cannot pass.
  const out = new ARRAY[dtype](cOffset + batch * m * n + 5).fill(NaN);
  return {
    a: a.data, aOffset: a.offset, aBatchStrides: a.batchStrides,
    aRowStride: a.rowStride, aColStride: a.colStride,
    b: b.data, bOffset: b.offset, bBatchStrides: b.batchStrides,
    bRowStride: b.rowStride, bColStride: b.colStride,
    c: out, cOffset, batchShape, m, n, k,
  };
}

/** C[b,i,j] = Σₚ A[b,i,p]·B[b,p,j], one element at a time, plus Σₚ|A·B| as its error scale. */
function reference(args: MatmulArgs): { value: Float64Array; scale: Float64Array } {
  const { batchShape, m, n, k } = args;
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const value = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    let aBase = args.aOffset, bBase = args.bOffset, rest = t;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      aBase += (rest % batchShape[d]) * args.aBatchStrides[d];
      bBase += (rest % batchShape[d]) * args.bBatchStrides[d];
      rest = Math.floor(rest / batchShape[d]);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const product = args.a[aBase + i * args.aRowStride + p * args.aColStride]
            * args.b[bBase + p * args.bRowStride + j * args.bColStride];
          sum += product;
          abs += Math.abs(product);
        }
        value[(t * m + i) * n + j] = sum;
        scale[(t * m + i) * n + j] = abs;
      }
    }
  }
  return { value, scale };
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
    const { value, scale } = reference(args);
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
    matmulJs.units(makeArgs({ name: '', batchShape, m, k: 4, n }, 'float32'));
  expect([empty([], 0, 5), empty([], 5, 0), empty([3, 0], 5, 5)]).toEqual([0, 0, 0]);
});
