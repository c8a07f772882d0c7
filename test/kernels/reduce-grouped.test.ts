// The reduce kernel's grouped walk (adjacent outputs folded together, each in its own accumulator)
// against a plain fold written here: the same bits for sum, prod, max and min over float32,
// float64 and int32, on column sums, strided and permuted outer dims, runs that end mid-group,
// NaN and ±0, any split of the outputs into tiles; and an int32 sum that overflows still throws.
import { describe, expect, it } from 'vitest';
import { reduceKernel, type ReduceArgs, type Reducer } from '../../src/kernels/reduce.js';

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4e38, -3.4e38, 1, -1, 0.1, 2.5];

function values(n: number, seed: number, Ctor: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor): Float32Array | Float64Array | Int32Array {
  const a = new Ctor(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (Ctor === Int32Array) a[i] = (s % 5) - 2; // small, so a product of 256 of them fits int32 often enough to check
    else a[i] = i % 7 === 0 ? SPECIAL[(s >>> 8) % SPECIAL.length] : (s / 2 ** 32 - 0.5) * 4;
  }
  return a;
}

/** out[o] folds x over the inner index in row-major order, one output at a time. */
function reference(args: ReduceArgs): number[] {
  const outerSize = args.outerShape.reduce((a, b) => a * b, 1);
  const innerSize = args.innerShape.reduce((a, b) => a * b, 1);
  const offsetOf = (flat: number, shape: number[], strides: number[]) => {
    let at = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (flat % shape[d]) * strides[d];
      flat = Math.floor(flat / shape[d]);
    }
    return at;
  };
  const fold: Record<Reducer, (acc: number, v: number) => number> = {
    sum: (acc, v) => acc + v,
    prod: (acc, v) => acc * v,
    max: (acc, v) => (v > acc || Number.isNaN(v) ? v : acc),
    min: (acc, v) => (v < acc || Number.isNaN(v) ? v : acc),
    argmax: () => NaN,
    argmin: () => NaN,
  };
  const start = { sum: 0, prod: 1, max: -Infinity, min: Infinity, argmax: NaN, argmin: NaN }[args.reducer];
  const out: number[] = [];
  for (let o = 0; o < outerSize; o++) {
    let acc = start;
    const base = args.xOffset + offsetOf(o, args.outerShape, args.outerStrides);
    for (let j = 0; j < innerSize; j++) acc = fold[args.reducer](acc, args.x[base + offsetOf(j, args.innerShape, args.innerStrides)]);
    out.push(acc);
  }
  return out;
}

/** [outerShape, outerStrides, innerShape, innerStrides, offset]: layouts whose last outer dim is contiguous. */
const LAYOUTS: [number[], number[], number[], number[], number][] = [
  [[1024], [1], [256], [1024], 0], // sum over dim 0 of 256×1024 (a bias gradient)
  [[13], [1], [5], [13], 3], // a run that ends mid-group
  [[3, 20], [100, 1], [4], [20], 0], // permuted: dims 0 and 2 kept, dim 1 reduced
  [[9], [1], [2, 3], [27, 9], 1], // two reduced dims
  [[2, 16], [16, 1], [6], [32], 0], // outer rows of 16
];
const CTORS = [Float32Array, Float64Array, Int32Array] as const;
const REDUCERS: Reducer[] = ['sum', 'prod', 'max', 'min'];

describe('reduce, grouped over adjacent outputs', () => {
  describe.each(LAYOUTS)('outer %j strides %j, inner %j strides %j, offset %d', (outerShape, outerStrides, innerShape, innerStrides, xOffset) => {
    const outerSize = outerShape.reduce((a, b) => a * b, 1);
    let span = xOffset + 1;
    outerShape.forEach((s, d) => (span += (s - 1) * outerStrides[d]));
    innerShape.forEach((s, d) => (span += (s - 1) * innerStrides[d]));
    it.each(CTORS.flatMap((Ctor) => REDUCERS.map((reducer) => [Ctor.name, reducer, Ctor] as const)))('%s %s: the plain fold bit for bit, under any split', (_, reducer, Ctor) => {
      const x = values(span, 7 + outerSize, Ctor);
      const want = reference({ reducer, x, xOffset, outerShape, outerStrides, innerShape, innerStrides, out: new Float64Array(0) });
      const wantOut = new Ctor(outerSize);
      want.forEach((v, i) => (wantOut[i] = v));
      for (const cuts of [[outerSize], [1, outerSize], [5, 11, outerSize].filter((c) => c <= outerSize)]) {
        const out = new Ctor(outerSize).fill(Ctor === Int32Array ? -7 : NaN);
        let start = 0;
        for (const end of cuts) {
          reduceKernel.run({ reducer, x, xOffset, outerShape, outerStrides, innerShape, innerStrides, out }, start, Math.max(start, end));
          start = Math.max(start, end);
        }
        if (start < outerSize) reduceKernel.run({ reducer, x, xOffset, outerShape, outerStrides, innerShape, innerStrides, out }, start, outerSize);
        const gotBits = Array.from(out, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));
        const wantBits = Array.from(wantOut, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));
        expect(gotBits, `split at ${cuts.join(',')}`).toEqual(wantBits);
      }
    });
  });

  it('still throws when an int32 column sum overflows int32', () => {
    const x = new Int32Array(16 * 3).fill(2 ** 30);
    const args: ReduceArgs = { reducer: 'sum', x, xOffset: 0, outerShape: [16], outerStrides: [1], innerShape: [3], innerStrides: [16], out: new Int32Array(16) };
    expect(() => reduceKernel.run(args, 0, 16)).toThrow(/overflows int32/);
  });
});
