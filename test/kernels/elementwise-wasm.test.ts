// The WASM elementwise loops against the JavaScript loops they stand in for: the same bits for
// every op they take, on odd sizes, broadcast scalars and rows, strided rows, in-place writes and
// any split into tiles; and the passes they must decline (partial overlaps, other dtypes, strided
// inner dims) are declined. dist/wasm is built by test/global-setup.ts before this file runs.
import { afterAll, describe, expect, it } from 'vitest';
import { BINARY, MAP_TILE, mapKernel, UNARY, useWasmMap, type MapArgs } from '../../src/kernels/elementwise.js';
import { loadMapWasm } from '../../src/kernels/elementwise-wasm.js';
import { exprWasm } from '../../src/kernels/expr-wasm.js';
import { heapMemory } from '../../src/heap.js';
import { Storage } from '../../src/storage.js';

const wasm = loadMapWasm(heapMemory()!)!;
// Later tests in this worker get both WASM paths back, as configureKernels sets them.
afterAll(() => useWasmMap(wasm, exprWasm(heapMemory()!)));

/** Values that find rounding and sign differences: ±0, ±∞, NaN, subnormals, huge and tiny. */
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-40, 3.4e38, -3.4e38, 1, -1, 0.1, 2.5, -7.25];

function heapArray(n: number, seed: number): Float32Array {
  const a = new Storage('float32', n).data as Float32Array;
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = i % 5 === 0 ? SPECIAL[(s >>> 8) % SPECIAL.length] : (s / 2 ** 32 - 0.5) * 2 ** ((s % 40) - 20);
  }
  return a;
}

/** Same bits, except that any NaN equals any NaN (payloads are not part of the contract). */
function sameBits(got: Float32Array, want: Float32Array): string[] {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    if (g[i] !== w[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) bad.push(`[${i}] ${got[i]} vs ${want[i]}`);
  }
  return bad.slice(0, 5);
}

interface Layout {
  name: string;
  shape: number[];
  /** Per input: strides and the element count its buffer needs. */
  inputs: { strides: number[]; size: number }[];
}

/** Layouts for a pass of `arity` inputs over n elements (rows of 37 where 2-D). */
function layouts(arity: number, n: number): Layout[] {
  const flat = (strides: number[], size: number) => Array.from({ length: arity }, (_, k) => (k === arity - 1 ? { strides, size } : { strides: [1], size: n }));
  const rows = 37;
  const out: Layout[] = [{ name: 'contiguous', shape: [n], inputs: flat([1], n) }];
  if (arity > 0) out.push({ name: 'broadcast scalar', shape: [n], inputs: flat([0], 1) });
  if (arity > 1) out.push({ name: 'scalar first', shape: [n], inputs: [{ strides: [0], size: 1 }, { strides: [1], size: n }] });
  if (arity > 0) {
    out.push({ name: 'row broadcast', shape: [3, rows], inputs: Array.from({ length: arity }, (_, k) => (k === arity - 1 ? { strides: [0, 1], size: rows } : { strides: [rows, 1], size: 3 * rows })) });
    out.push({ name: 'strided rows', shape: [3, rows], inputs: Array.from({ length: arity }, () => ({ strides: [rows + 5, 1], size: 3 * (rows + 5) })) });
  }
  return out;
}

function argsFor(expr: string, layout: Layout, params: number[], seed: number): MapArgs {
  const n = layout.shape.reduce((a, b) => a * b, 1);
  return {
    expr,
    out: new Storage('float32', n + 3).data as Float32Array,
    outOffset: 3,
    outStrides: layout.shape.length === 1 ? [1] : [layout.shape[1], 1],
    inputs: layout.inputs.map((x, k) => heapArray(x.size + 2, seed + k)),
    offsets: layout.inputs.map(() => 2),
    strides: layout.inputs.map((x) => x.strides),
    shape: layout.shape,
    params,
    heap: true,
  };
}

/** Runs the pass with the WASM loops or without, split into tiles of `grain` units. */
function run(args: MapArgs, withWasm: boolean, grain = Infinity): Float32Array {
  useWasmMap(withWasm ? wasm : null);
  const units = mapKernel.units(args);
  for (let u = 0; u < units; u += grain) mapKernel.run(args, u, Math.min(units, u + grain));
  return (args.out as Float32Array).slice();
}

const CASES: { expr: string; arity: number; params?: number[] }[] = [
  { expr: UNARY.copy, arity: 1 },
  { expr: UNARY.neg, arity: 1 },
  { expr: UNARY.relu, arity: 1 },
  { expr: UNARY.abs, arity: 1 },
  { expr: UNARY.sqrt, arity: 1 },
  { expr: UNARY.square, arity: 1 },
  { expr: UNARY.clamp, arity: 1, params: [-0.3, 0.1] },
  { expr: UNARY.clamp, arity: 1, params: [0, Infinity] },
  { expr: 'p0', arity: 0, params: [0.1] },
  ...Object.values(BINARY)
    .filter((e) => ['a + b', 'a - b', 'a * b', 'a / b', 'Math.max(a, b)', 'Math.min(a, b)'].includes(e))
    .map((expr) => ({ expr, arity: 2 })),
];

describe('WASM elementwise loops give the JavaScript loops’ bits', () => {
  for (const { expr, arity, params = [] } of CASES) {
    for (const n of [1, 3, 4, 5, 17, 129, 1000]) {
      for (const layout of layouts(arity, n)) {
        it(`${expr} (${params.join(', ')}), n = ${n}, ${layout.name}`, () => {
          const args = argsFor(expr, layout, params, n * 7 + arity);
          expect(wasm.covers(args)).toBe(true);
          const js = run(args, false);
          expect(sameBits(run(args, true), js)).toEqual([]);
        });
      }
    }
  }

  it('gives the same bits for any split into tiles, and writes nothing outside the output', () => {
    const n = 3 * MAP_TILE + 11;
    const layout: Layout = { name: 'contiguous', shape: [n], inputs: [{ strides: [1], size: n }, { strides: [0], size: 1 }] };
    const args = argsFor(BINARY.mul, layout, [], 5);
    (args.out as Float32Array).fill(-2);
    const whole = run(args, true);
    expect(whole.subarray(0, 3)).toEqual(new Float32Array([-2, -2, -2]));
    for (const grain of [1, 2, 3]) {
      (args.out as Float32Array).fill(-2);
      expect(sameBits(run(args, true, grain), whole)).toEqual([]);
    }
    expect(sameBits(whole, run(args, false))).toEqual([]);
  });

  it('computes in place when the output is an input (a.sub_(b))', () => {
    const n = 1001;
    const a = heapArray(n, 1);
    const b = heapArray(n, 2);
    const args = (out: Float32Array): MapArgs => ({ expr: BINARY.sub, out, outOffset: 0, outStrides: [1], inputs: [out, b], offsets: [0, 0], strides: [[1], [1]], shape: [n], params: [], heap: true });
    const viaJs = a.slice();
    const jsArgs = args(heapArray(n, 1));
    run(jsArgs, false);
    viaJs.set(jsArgs.out as Float32Array);
    const inPlace = args(a);
    expect(wasm.covers(inPlace)).toBe(true);
    run(inPlace, true);
    expect(sameBits(a, viaJs)).toEqual([]);
  });
});

describe('WASM elementwise loops decline what they cannot do alike', () => {
  const base = (over: Partial<MapArgs>): MapArgs => {
    const out = new Storage('float32', 64).data as Float32Array;
    return { expr: BINARY.add, out, outOffset: 0, outStrides: [1], inputs: [heapArray(64, 1), heapArray(64, 2)], offsets: [0, 0], strides: [[1], [1]], shape: [64], params: [], heap: true, ...over };
  };

  it('takes the plain case (the control for the cases below)', () => {
    expect(wasm.covers(base({}))).toBe(true);
  });

  it('declines arrays outside the heap, other dtypes, fused bodies and expressions it has no loop for', () => {
    expect(wasm.covers(base({ heap: false }))).toBe(false);
    expect(wasm.covers(base({ out: new Storage('float64', 64).data }))).toBe(false);
    expect(wasm.covers(base({ body: 'const t = a + b;', expr: 't' }))).toBe(false);
    expect(wasm.covers(base({ expr: BINARY.pow }))).toBe(false);
    expect(wasm.covers(base({ expr: UNARY.exp, inputs: [heapArray(64, 1)], offsets: [0], strides: [[1]] }))).toBe(false);
  });

  it('declines strided inner dims, short rows and partial overlaps with the output', () => {
    expect(wasm.covers(base({ strides: [[2], [1]], inputs: [heapArray(128, 1), heapArray(64, 2)] }))).toBe(false);
    expect(wasm.covers(base({ shape: [8, 8], outStrides: [8, 1], strides: [[8, 1], [8, 1]] }))).toBe(false);
    // out = shared[1..65), input = shared[0..64): each write lands on the next element's input,
    // so the one-by-one order matters; mapKernel leaves it to the JavaScript loop.
    const overlap = (): MapArgs => {
      const shared = heapArray(80, 3);
      return base({ out: shared, outOffset: 1, inputs: [shared, heapArray(64, 2)] });
    };
    expect(wasm.covers(overlap())).toBe(false);
    expect(sameBits(run(overlap(), true), run(overlap(), false))).toEqual([]);
  });
});
