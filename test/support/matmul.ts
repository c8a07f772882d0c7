// Fixtures for the matmul kernel tests: operands in any layout, the kernel's args, and a textbook
// float64 triple loop to check them against. Tolerances stay with each test (they differ by kernel).
import type { FloatArray, MatmulArgs } from '../../src/kernels/types.js';

export type MatmulDType = 'float32' | 'float64';

/**
 * `length` elements of `dtype`, `lead` elements into a SharedArrayBuffer: the runtime hands
 * kernels shared memory, and a view that does not start its buffer catches byteOffset mistakes.
 */
function sharedArray(dtype: MatmulDType, lead: number, length: number): FloatArray {
  if (dtype === 'float32') return new Float32Array(new SharedArrayBuffer((lead + length) * 4), lead * 4, length);
  return new Float64Array(new SharedArrayBuffer((lead + length) * 8), lead * 8, length);
}

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
export type Layout = 'rowMajor' | 'transposed' | 'strided';

interface Operand {
  data: FloatArray;
  offset: number;
  batchStrides: number[];
  rowStride: number;
  colStride: number;
}

/**
 * A batch of rows×cols matrices in one buffer. `broadcast[d]` gives batch dimension d a stride
 * of 0 and stores only one entry along it (an expanded operand).
 */
function makeOperand(
  dtype: MatmulDType, batchShape: number[], broadcast: boolean[], rows: number, cols: number,
  layout: Layout, seed: number,
): Operand {
  const pad = 3;
  const [rowStride, colStride, matrixSize] =
    layout === 'rowMajor' ? [cols, 1, rows * cols]
    : layout === 'transposed' ? [1, rows, rows * cols]
    : [2 * cols + pad, 2, rows * (2 * cols + pad)];
  const offset = layout === 'strided' ? 5 : 0;
  const batchStrides = new Array<number>(batchShape.length);
  let stride = matrixSize;
  for (let d = batchShape.length - 1; d >= 0; d--) {
    batchStrides[d] = broadcast[d] ? 0 : stride;
    if (!broadcast[d]) stride *= batchShape[d];
  }
  const length = offset + stride + 7;
  const data = sharedArray(dtype, pad, length);
  randomFill(data, seed);
  return { data, offset, batchStrides, rowStride, colStride };
}

/** One product C = A·B over batchShape (none by default); A is m×k, B is k×n. */
export interface MatmulCase {
  m: number;
  n: number;
  k: number;
  aLayout?: Layout;
  bLayout?: Layout;
  batchShape?: number[];
  aBroadcast?: boolean[];
  bBroadcast?: boolean[];
}

/**
 * Kernel args for `c`, with C contiguous at an offset inside a larger buffer that starts out NaN
 * everywhere, so an output element the kernel forgets to write cannot pass.
 */
export function makeMatmulArgs(c: MatmulCase, dtype: MatmulDType = 'float32'): MatmulArgs {
  const { m, n, k, aLayout = 'rowMajor', bLayout = 'rowMajor', batchShape = [] } = c;
  const a = makeOperand(dtype, batchShape, c.aBroadcast ?? [], m, k, aLayout, 1 + m * 7 + k);
  const b = makeOperand(dtype, batchShape, c.bBroadcast ?? [], k, n, bLayout, 2 + n * 13 + k);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const cOffset = 5;
  const length = cOffset + batch * m * n + 5;
  const out = sharedArray(dtype, 0, length).fill(NaN);
  return {
    a: a.data, aOffset: a.offset, aBatchStrides: a.batchStrides, aRowStride: a.rowStride, aColStride: a.colStride,
    b: b.data, bOffset: b.offset, bBatchStrides: b.batchStrides, bRowStride: b.rowStride, bColStride: b.colStride,
    c: out, cOffset, batchShape, m, n, k,
  };
}

/**
 * C[b,i,j] = Σₚ A[b,i,p]·B[b,p,j] in float64, one element at a time, plus Σₚ|A·B| as its error
 * scale. Walks the batch itself rather than through the kernels' helper, so it checks that too.
 */
export function matmulReference(args: MatmulArgs): { value: Float64Array; scale: Float64Array } {
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
