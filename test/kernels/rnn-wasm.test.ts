// The WebAssembly LSTM and GRU cell loops against the JavaScript loops they stand in for: the same bits
// on ordinary, large, tiny and special gate values (±∞, NaN, e^x near over- and underflow), for
// any split of rows; the polynomial e^x against Math.exp, the float32 σ and tanh against float64;
// and hidden sizes that do not fill the lanes, and float64, left to JavaScript. dist/wasm is built by test/global-setup.ts before this file runs.
import { afterAll, describe, expect, it } from 'vitest';
import { heapMemory } from '../../src/heap.js';
import { expPoly, gruCellBackwardKernel, gruCellKernel, loadRnnWasm, lstmCellBackwardKernel, lstmCellKernel, tanhPoly, type GruCellBackwardArgs, type LstmCellBackwardArgs } from '../../src/kernels/rnn.js';
import { expF32, sigmoidF32, tanhF32 } from '../../src/kernels/rnn-f32.js';
import { Storage } from '../../src/storage.js';

// Later tests in this worker get the WebAssembly loops back, as configureKernels sets them.
afterAll(() => loadRnnWasm(heapMemory()));

/** Gate pre-activations that reach every branch of e^x: ±∞, NaN, ±800 (over/underflow), ±0. */
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 800, -800, 354.9, -372.6, 1e-30, 20, -20, 0.5];

function heapArray(dtype: 'float32' | 'float64', n: number, seed: number): Float32Array | Float64Array {
  const a = new Storage(dtype, n).data as Float32Array | Float64Array;
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = i % 7 === 0 ? SPECIAL[(s >>> 8) % SPECIAL.length] : (s / 2 ** 32 - 0.5) * 2 ** ((s % 12) - 4);
  }
  return a;
}

function bits(a: Float32Array | Float64Array): string[] {
  return Array.from(a, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));
}

function args(rows: number, hidden: number, dtype: 'float32' | 'float64' = 'float32'): { fwd: LstmCellBackwardArgs; bwd: LstmCellBackwardArgs } {
  const common = { gi: heapArray(dtype, rows * 4 * hidden, 1), giOffset: 0, gh: heapArray(dtype, rows * 4 * hidden, 2), ghOffset: 0, c: heapArray(dtype, rows * hidden, 3), cOffset: 0, g: heapArray(dtype, 2 * rows * hidden, 4), gOffset: 0, rows, hidden, heap: true };
  return { fwd: { ...common, out: new Storage(dtype, 2 * rows * hidden).data as Float32Array }, bwd: { ...common, out: new Storage(dtype, 5 * rows * hidden).data as Float32Array } };
}

function gruArgs(rows: number, hidden: number, dtype: 'float32' | 'float64' = 'float32'): { fwd: GruCellBackwardArgs; bwd: GruCellBackwardArgs } {
  const common = { gi: heapArray(dtype, rows * 3 * hidden, 5), giOffset: 0, gh: heapArray(dtype, rows * 3 * hidden, 6), ghOffset: 0, bhh: heapArray(dtype, 3 * hidden, 7), bhhOffset: 0, h: heapArray(dtype, rows * hidden, 8), hOffset: 0, g: heapArray(dtype, rows * hidden, 9), gOffset: 0, rows, hidden, heap: true };
  return { fwd: { ...common, out: new Storage(dtype, rows * hidden).data as Float32Array }, bwd: { ...common, out: new Storage(dtype, 7 * rows * hidden).data as Float32Array } };
}

interface AnyKernel<A> {
  run(a: A, start: number, end: number): void;
}

/** Runs the kernel on rows [0, rows) in the given pieces, with or without WebAssembly. */
function run<A extends { out: Float32Array | Float64Array }>(kernel: AnyKernel<A>, a: A, withWasm: boolean, pieces: number[]): string[] {
  loadRnnWasm(withWasm ? heapMemory() : null);
  a.out.fill(0);
  let start = 0;
  for (const end of pieces) {
    kernel.run(a, start, end);
    start = end;
  }
  return bits(a.out);
}

describe('the WebAssembly LSTM cell', () => {
  const kernels = [['forward', lstmCellKernel, 'fwd'], ['backward', lstmCellBackwardKernel, 'bwd']] as const;
  it.each(kernels)('gives the JavaScript loop’s bits, %s, special values included, for any split', (_, kernel, which) => {
    const a = args(6, 12)[which]; // the LSTM's lanes are four float32 units: 12 fills three
    const js = run(kernel, a, false, [6]);
    expect(run(kernel, a, true, [6])).toEqual(js);
    expect(run(kernel, a, true, [1, 4, 6])).toEqual(js);
    expect(js.some((v) => v === 'NaN')).toBe(true);
  });

  const gruKernels = [['forward', gruCellKernel, 'fwd'], ['backward', gruCellBackwardKernel, 'bwd']] as const;
  it.each(gruKernels)('gives the JavaScript loop’s bits for the GRU, %s, special values included, for any split', (_, kernel, which) => {
    const a = gruArgs(6, 10)[which];
    const js = run(kernel as AnyKernel<GruCellBackwardArgs>, a, false, [6]);
    expect(run(kernel as AnyKernel<GruCellBackwardArgs>, a, true, [6])).toEqual(js);
    expect(run(kernel as AnyKernel<GruCellBackwardArgs>, a, true, [2, 3, 6])).toEqual(js);
  });

  it('writes what the JavaScript loop writes when it is really taken (a hidden size of 256)', () => {
    expect(loadRnnWasm(heapMemory()), 'the WebAssembly module loads on this Node').toBe(true);
    const a = args(3, 256).fwd;
    expect(run(lstmCellKernel, a, true, [3])).toEqual(run(lstmCellKernel, a, false, [3]));
  });

  it('leaves hidden sizes that do not fill its lanes and float64 to JavaScript (same answer either way)', () => {
    for (const a of [args(2, 7).bwd, args(2, 10).bwd, args(2, 8, 'float64').bwd]) {
      expect(run(lstmCellBackwardKernel, a, true, [2])).toEqual(run(lstmCellBackwardKernel, a, false, [2]));
    }
  });
});

describe('the polynomial e^x', () => {
  it('is within 2.5e-16 relative of Math.exp over the whole float64 range, and exact at the edges', () => {
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = -745 + (i / 200_000) * (709.78 + 745);
      const want = Math.exp(x);
      if (want > 1e-300) worst = Math.max(worst, Math.abs(expPoly(x) - want) / want);
    }
    expect(worst).toBeLessThan(2.5e-16);
    expect(expPoly(0)).toBe(1);
    expect(expPoly(Infinity)).toBe(Infinity);
    expect(expPoly(-Infinity)).toBe(0);
    expect(expPoly(710)).toBe(Infinity);
    expect(expPoly(-746)).toBe(0);
    expect(expPoly(-745)).toBe(Math.exp(-745)); // the smallest subnormal
    expect(Number.isNaN(expPoly(NaN))).toBe(true);
  });
});

describe('the polynomial tanh', () => {
  it('is within 3 ulp of Math.tanh relative to its value, from 1e-300 to far out, keeping −0, ±1 and NaN', () => {
    let worst = 0;
    for (let e = -300; e <= 3; e += 0.01) {
      for (const x of [10 ** e, -(10 ** e)]) worst = Math.max(worst, Math.abs(tanhPoly(x) - Math.tanh(x)) / Math.abs(Math.tanh(x)));
    }
    expect(worst).toBeLessThan(3 * 2 ** -52);
    expect(Object.is(tanhPoly(-0), -0)).toBe(true);
    expect(tanhPoly(1e-30)).toBe(1e-30);
    expect(tanhPoly(40)).toBe(1);
    expect(tanhPoly(-Infinity)).toBe(-1);
    expect(Number.isNaN(tanhPoly(NaN))).toBe(true);
  });
});

describe('the float32 σ and tanh of the LSTM cell', () => {
  /** One float32 ulp at v's magnitude. */
  const ulp = (v: number) => 2 ** Math.max(Math.floor(Math.log2(Math.abs(Math.fround(v)))) - 23, -149);
  const ULP_BOUND = 3;

  it.each([
    ['e^x', expF32, Math.exp, -87, 88],
    ['σ', sigmoidF32, (x: number) => 1 / (1 + Math.exp(-x)), -80, 80],
    ['tanh', tanhF32, Math.tanh, -10, 10],
  ] as const)('keeps %s within 3 float32 ulp of float64 over its range', (_, fn, ref, lo, hi) => {
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = Math.fround(lo + ((hi - lo) * i) / 200_000);
      const want = ref(x);
      if (want !== 0) worst = Math.max(worst, Math.abs(fn(x) - want) / ulp(want));
    }
    expect(worst).toBeLessThan(ULP_BOUND);
  });

  it('keeps tanh relative to its value near 0, and its edges: −0, ±1 far out, NaN', () => {
    for (let e = -40; e < 0; e += 0.01) {
      const x = Math.fround(10 ** e);
      expect(Math.abs(tanhF32(x) - Math.tanh(x)) / ulp(Math.tanh(x))).toBeLessThan(ULP_BOUND);
    }
    expect(Object.is(tanhF32(-0), -0)).toBe(true);
    expect(tanhF32(Infinity)).toBe(1);
    expect(tanhF32(-Infinity)).toBe(-1);
    expect(Number.isNaN(tanhF32(NaN))).toBe(true);
    expect(sigmoidF32(Infinity)).toBe(1);
    expect(sigmoidF32(-Infinity)).toBeLessThan(1e-38); // e^x is clamped at 88: σ(−∞) ≈ 6e-39, not 0
  });
});
