// Map passes compiled from their expression into WebAssembly against the JavaScript loops they
// stand in for: the same bits for every expression Skein generates that the compiler takes, over
// dtypes, layouts and special values; and what it must decline is declined.
import { afterAll, describe, expect, it } from 'vitest';
import { BINARY, mapKernel, TERNARY, UNARY, useWasmMap, type MapArgs } from '../../src/kernels/elementwise.js';
import { loadMapWasm } from '../../src/kernels/elementwise-wasm.js';
import { exprWasm } from '../../src/kernels/expr-wasm.js';
import { heapMemory } from '../../src/heap.js';
import { Storage } from '../../src/storage.js';
import type { DType } from '../../src/dtype.js';

const heap = heapMemory()!;
const compiled = exprWasm(heap);
afterAll(() => useWasmMap(loadMapWasm(heap), compiled));

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-300, 3.4e38, -3.4e38, 1, -1, 0.1, 2.5, -7.25, 1e300];

function heapArray(dtype: DType, n: number, seed: number): Float32Array | Float64Array | Int32Array | Uint8Array {
  const a = new Storage(dtype, n).data;
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const x = i % 4 === 0 ? SPECIAL[(s >>> 8) % SPECIAL.length] : (s / 2 ** 32 - 0.5) * 2 ** ((s % 30) - 10);
    a[i] = dtype === 'bool' ? s & 1 : dtype === 'int32' ? Math.round(x) | 0 : x;
  }
  return a;
}

/** The pass run by the JavaScript loop alone, and by the compiled WebAssembly alone. */
function bothWays(args: MapArgs): [ArrayLike<number>, ArrayLike<number>] {
  useWasmMap(null, null);
  mapKernel.run(args, 0, mapKernel.units(args));
  const js = Array.from(args.out);
  args.out.fill(0);
  compiled.run(args, 0, args.shape.reduce((a, b) => a * b, 1));
  return [js, Array.from(args.out)];
}

/** Elements whose bits differ (any NaN equals any NaN). */
function differences(js: ArrayLike<number>, wasm: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < js.length; i++) if (!Object.is(js[i], wasm[i]) && !(Number.isNaN(js[i]) && Number.isNaN(wasm[i]))) bad.push(`[${i}] js ${js[i]} wasm ${wasm[i]}`);
  return bad.slice(0, 5);
}

interface Case {
  expr: string;
  body?: string;
  arity: number;
  params?: number[];
}

const OPTIMIZERS: Case[] = [
  { expr: 'a - p0 * (b + p1 * a)', arity: 2, params: [1e-3, 0.01] },
  { expr: 'p1 * a + p2 * (b + p0 * c)', arity: 3, params: [1e-4, 0.9, 1] },
  { expr: 'p0 * a + p1 * (b + p2 * c) * (b + p2 * c)', arity: 3, params: [0.999, 0.001, 0] },
  { expr: 'a * p3 - p0 * b / (Math.sqrt(c) / p1 + p2)', arity: 3, params: [1e-3, 0.3, 1e-8, 0.999] },
];
const FUSED: Case[] = [
  { expr: 't1 * b', body: 'const t1 = Math.fround(a === -Infinity ? 0 : a * (a > 0) + 0); ', arity: 2 },
  { expr: 'Math.min(Math.max(t0, p0), p1)', body: 'const t0 = Math.fround(a * b - -a / b); ', arity: 2, params: [-1, 1] },
  { expr: '(a > b) + (a <= b) * 2 + !a + (a ? 3 : 4) + (a == (b < 0))', arity: 2 },
  { expr: 'b * t38', body: 'const t38 = ((a > p0) & 255); ', arity: 2, params: [0] },
];
const TABLE: Case[] = [
  ...Object.values(UNARY).map((expr) => ({ expr, arity: 1, params: [0.5, 2] })),
  ...Object.values(BINARY).map((expr) => ({ expr, arity: 2 })),
  ...Object.values(TERNARY).map((expr) => ({ expr, arity: 3 })),
  { expr: 'p0', arity: 0, params: [0.1] },
];

const INPUT_DTYPES: DType[][] = [['float32'], ['float64'], ['bool'], ['int32'], ['float32', 'bool'], ['float32', 'float64']];
const OUT_DTYPES: DType[] = ['float32', 'float64', 'bool'];

function argsFor(c: Case, inputDtypes: DType[], out: DType, layout: 'contiguous' | 'broadcast' | 'strided' | 'rows', seed: number): MapArgs {
  const n = 103;
  const dtypes = Array.from({ length: c.arity }, (_, k) => inputDtypes[k % inputDtypes.length]);
  const shape = layout === 'rows' ? [7, 19] : [n];
  const count = shape.reduce((a, b) => a * b, 1);
  const strides = dtypes.map((_, k): number[] => {
    if (layout === 'broadcast' && k === c.arity - 1) return [0];
    if (layout === 'strided') return [-2];
    if (layout === 'rows') return k === 0 ? [0, 1] : [23, 1];
    return [1];
  });
  const size = layout === 'rows' ? 7 * 23 : 2 * n + 1;
  return {
    expr: c.expr,
    body: c.body,
    out: new Storage(out, count).data,
    outOffset: 0,
    outStrides: layout === 'rows' ? [19, 1] : [1],
    inputs: dtypes.map((d, k) => heapArray(d, size, seed + k)),
    offsets: strides.map((s) => (s[0] < 0 ? 2 * n : 0)),
    strides,
    shape,
    params: c.params ?? [],
    heap: true,
  };
}

describe('compiled map passes give the JavaScript loop’s bits', () => {
  let compiledCount = 0;
  for (const c of [...TABLE, ...OPTIMIZERS, ...FUSED]) {
    it(`${c.body ?? ''}${c.expr}`, () => {
      let ran = 0;
      for (const inputDtypes of INPUT_DTYPES) {
        for (const out of OUT_DTYPES) {
          for (const layout of ['contiguous', 'broadcast', 'strided', 'rows'] as const) {
            const args = argsFor(c, inputDtypes, out, layout, ran + 1);
            if (!compiled.covers(args)) continue;
            const [js, wasm] = bothWays(args);
            expect(differences(js, wasm), `${inputDtypes.join(',')} → ${out}, ${layout}`).toEqual([]);
            ran += 1;
          }
        }
      }
      if (ran > 0) compiledCount += 1;
      // Declined: JavaScript's own Math functions (and Skein's $special ones), which WebAssembly lacks.
      const transcendental = /Math\.(exp|log|tanh|pow|sign|sin|cos)|\$special/.test(c.expr);
      expect(ran > 0, transcendental ? 'declined' : 'compiled in some dtype and layout').toBe(!transcendental);
    });
  }
  it('covers the optimizer updates and the fused chains', () => {
    expect(compiledCount).toBeGreaterThanOrEqual(OPTIMIZERS.length + FUSED.length);
  });
});

it('gives the one-by-one bits when an input partly overlaps the output', () => {
  // out = cells [1, 65), input a = cells [0, 64): each element reads the one written just before.
  const shared = heapArray('float32', 80, 3) as Float32Array;
  const args: MapArgs = { expr: 'a * p0 + b', out: shared, outOffset: 1, outStrides: [1], inputs: [shared, heapArray('float32', 64, 4)], offsets: [0, 0], strides: [[1], [1]], shape: [64], params: [0.5], heap: true };
  const before = shared.slice();
  useWasmMap(null, null);
  mapKernel.run(args, 0, 1);
  const js = shared.slice();
  shared.set(before);
  expect(compiled.covers(args)).toBe(true);
  compiled.run(args, 0, 64);
  expect(differences(js, shared)).toEqual([]);
});

describe('compiled map passes decline what would change the bits', () => {
  const base = (over: Partial<MapArgs>): MapArgs => ({
    expr: BINARY.add,
    out: new Storage('float32', 8).data,
    outOffset: 0,
    outStrides: [1],
    inputs: [heapArray('float32', 8, 1), heapArray('float32', 8, 2)],
    offsets: [0, 0],
    strides: [[1], [1]],
    shape: [8],
    params: [],
    heap: true,
    ...over,
  });
  it('takes the plain case (the control for the cases below)', () => {
    expect(compiled.covers(base({}))).toBe(true);
  });
  it('declines int32 outputs (JavaScript wraps them modulo 2³²), arrays outside the heap, and unknown syntax', () => {
    expect(compiled.covers(base({ out: new Storage('int32', 8).data }))).toBe(false);
    expect(compiled.covers(base({ heap: false }))).toBe(false);
    for (const expr of ['a | 0', 'a & 255', '(a > b) & 1', 'Math.exp(a)', 'Math.pow(a, b)', 'a % b', '(a > 0) === 1', 'a && b', 'x + 1']) {
      expect(compiled.covers(base({ expr })), expr).toBe(false);
    }
  });
});
