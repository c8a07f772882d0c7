// Elementwise kernels: one table of scalar expressions, each compiled into its own loop.
// A pass over the tensor heap runs, where it can, in a WebAssembly SIMD loop (elementwise-wasm.ts)
// or in WebAssembly compiled from its expression (expr-wasm.ts); both give this file's bits.
// Otherwise it runs in JavaScript: one generic loop calling f(x, y) per element goes megamorphic
// and runs ~7× slower on Node 20, so every (expression, dtypes) pair gets a function of its own,
// built once per thread.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { WasmMap } from './elementwise-wasm.js';
import { SPECIAL } from './special.js';
import type { ExprWasm } from './expr-wasm.js';
import type { DataArray, Kernel } from './types.js';

/** Inputs are a, b, c; scalar parameters p0, p1. The store converts (bool: non-zero → 1; int32 wraps). */
export const UNARY = {
  copy: 'a',
  neg: '-a',
  exp: 'Math.exp(a)',
  log: 'Math.log(a)',
  sqrt: 'Math.sqrt(a)',
  abs: 'Math.abs(a)',
  sign: 'Math.sign(a)',
  tanh: 'Math.tanh(a)',
  sigmoid: '1 / (1 + Math.exp(-a))',
  // Branch-free: Math.max and a > 0 ? a : 0 both mispredict on random signs (3.5× slower here);
  // the guard keeps relu(−∞) = 0 and is never taken on ordinary data.
  relu: 'a === -Infinity ? 0 : a * (a > 0) + 0', // + 0 turns −0 (from −x · 0) into +0
  clamp: 'Math.min(Math.max(a, p0), p1)',
  square: 'a * a',
  powScalar: 'Math.pow(a, p0)',
  toBool: 'a !== 0',
  logicalNot: 'a === 0',
  sin: 'Math.sin(a)',
  cos: 'Math.cos(a)',
  erf: '$special.erf(a)',
  floor: 'Math.floor(a)',
  ceil: 'Math.ceil(a)',
  round: '$special.roundHalfEven(a)',
  trunc: 'Math.trunc(a)',
  log1p: 'Math.log1p(a)',
  expm1: 'Math.expm1(a)',
  rsqrt: '1 / Math.sqrt(a)',
  reciprocal: '1 / a',
  isnan: 'a !== a',
  isinf: 'Math.abs(a) === Infinity',
  isfinite: 'a - a === 0', // ±∞ − ±∞ and NaN − NaN are NaN; every finite a gives 0
} as const;

export const BINARY = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  maximum: 'Math.max(a, b)',
  minimum: 'Math.min(a, b)',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  // relu's gradient g·(x > 0) in one pass: the bits of g.mul(x.gt(0)) (g·1 or g·0, NaN and ±∞ alike).
  reluBackward: 'a * (b > 0)',
  ge: 'a >= b',
  eq: 'a === b',
  ne: 'a !== b',
} as const;

export const TERNARY = {
  where: 'a !== 0 ? b : c',
} as const;

/**
 * out[i] = expr(inputs[i]) over a shared (already broadcast and coalesced) shape; every operand,
 * out included, has its own offset and strides, so in-place writes into views work too.
 * `body` is extra statements before the expression (fused chains use it for temporaries).
 */
export interface MapArgs {
  expr: string;
  body?: string;
  out: DataArray;
  outOffset: number;
  outStrides: number[];
  inputs: DataArray[];
  offsets: number[];
  strides: number[][];
  shape: number[];
  params: number[];
  /** Every array lies in the tensor heap, so the WASM loops may take the pass. */
  heap?: boolean;
}

type MapFn = (args: MapArgs, start: number, end: number) => void;
const compiled = new Map<string, MapFn>();

/** Input names; the loop's own variables start with $ so no input name can collide with them. */
const NAMES = 'abcdefghijklmnopqrstuvwxyz';

function compile(args: MapArgs): MapFn {
  const n = args.inputs.length;
  const ins = Array.from({ length: n }, (_, k) => NAMES[k]);
  const load = ins.map((v, k) => `const ${v}A = args.inputs[${k}], ${v}S = args.strides[${k}]; const ${v}O = args.offsets[${k}];`);
  const params = args.params.map((_, k) => `const p${k} = args.params[${k}];`);
  // Contiguous operands are read through subarrays from 0: no offset add per access (≈ 30% faster).
  const views = ins.map((v) => `const ${v}V = ${v}A.subarray(${v}O + start, ${v}O + end);`).join(' ');
  const contiguousRead = ins.map((v) => `const ${v} = ${v}V[$j];`).join(' ');
  const stridedRead = ins.map((v) => `const ${v} = ${v}A[${v}P]; ${v}P += ${v}I;`).join(' ');
  const body = args.body ?? '';
  // A Uint8Array keeps any byte (true + true would store 2, false − true 255): bool stores are 0/1,
  // through a comparison, which stays branch-free (a conditional here ran 4× slower).
  const value = args.out instanceof Uint8Array ? `+((${args.expr}) != 0)` : args.expr;
  const src = `
    const out = args.out, outS = args.outStrides, outO = args.outOffset, shape = args.shape, $r = shape.length;
    ${load.join('\n')}
    ${params.join('\n')}
    let contiguous = true, size = 1;
    for (let $d = $r - 1; $d >= 0; $d--) {
      if (outS[$d] !== size ${ins.map((v) => `|| ${v}S[$d] !== size`).join(' ')}) contiguous = false;
      size *= shape[$d];
    }
    if (contiguous) {
      const outV = out.subarray(outO + start, outO + end); ${views}
      const $n = end - start;
      for (let $j = 0; $j < $n; $j++) { ${contiguousRead} ${body} outV[$j] = ${value}; }
      return;
    }
    const inner = shape[$r - 1], outI = outS[$r - 1];
    ${ins.map((v) => `const ${v}I = ${v}S[$r - 1];`).join(' ')}
    let $i = start;
    while ($i < end) {
      const row = Math.floor($i / inner), col = $i - row * inner;
      let outP = outO + col * outI ${ins.map((v) => `, ${v}P = ${v}O + col * ${v}I`).join('')};
      let rem = row;
      for (let $d = $r - 2; $d >= 0; $d--) {
        const $q = rem % shape[$d];
        rem = (rem - $q) / shape[$d];
        outP += $q * outS[$d]; ${ins.map((v) => `${v}P += $q * ${v}S[$d];`).join(' ')}
      }
      const stop = Math.min(end, $i + inner - col);
      for (; $i < stop; $i++) { ${stridedRead} ${body} out[outP] = ${value}; outP += outI; }
    }`;
  // $special (erf, round half to even) is the one name from outside the loop an expression may use.
  return new Function('$special', `return function (args, start, end) {${src}}`)(SPECIAL) as MapFn;
}

function keyOf(args: MapArgs): string {
  // Distinct typed-array classes get distinct functions, keeping each loop monomorphic.
  const types = args.inputs.map((a) => a.constructor.name).join(',');
  return `${args.out.constructor.name}|${types}|${args.params.length}|${args.body ?? ''}|${args.expr}`;
}

/** The WASM loops for float32 passes on the heap, when this thread has them (configureKernels). */
let wasmMap: WasmMap | null = null;

/** Passes compiled from their expression into WebAssembly (float64 as JavaScript computes). */
let exprMap: ExprWasm | null = null;

export function useWasmMap(map: WasmMap | null, compiled: ExprWasm | null = null): void {
  wasmMap = map;
  exprMap = compiled;
  lastArgs = null;
}

/** Elements per tile: big enough to amortise the tile's bookkeeping, small enough to balance. */
export const MAP_TILE = 1 << 15;

type Path = 'simd' | 'compiled' | 'js';
/**
 * The last pass's path: the stream asks for a launch's cost, then runs it, so one entry serves
 * both. (A WeakMap per args object cost every op an ephemeron for the collector to trace.)
 */
let lastArgs: MapArgs | null = null;
let lastPath: Path = 'js';

function pathOf(args: MapArgs): Path {
  if (args === lastArgs) return lastPath;
  const path = wasmMap !== null && wasmMap.covers(args) ? 'simd' : exprMap !== null && exprMap.covers(args) ? 'compiled' : 'js';
  lastArgs = args;
  lastPath = path;
  return path;
}

export const mapKernel: Kernel<MapArgs> = {
  run(args, start, end) {
    const n = args.shape.reduce((x, y) => x * y, 1);
    const path = pathOf(args);
    if (path !== 'js') {
      (path === 'simd' ? (wasmMap as WasmMap) : (exprMap as ExprWasm)).run(args, start * MAP_TILE, Math.min(end * MAP_TILE, n));
      return;
    }
    const key = keyOf(args);
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = compile(args);
      compiled.set(key, fn);
    }
    fn(args, start * MAP_TILE, Math.min(end * MAP_TILE, n));
  },
  units: (args) => Math.ceil(args.shape.reduce((x, y) => x * y, 1) / MAP_TILE),
  unitCost: (args) => MAP_TILE * elementCost(args),
};

const transcendental = new Map<string, boolean>();

/**
 * Measured here, one thread, contiguous float32: ≈ 0.7 ns per element and operand in JavaScript
 * (a 4M add: 8 ms), ≈ 0.1 in the SIMD loops, ≈ 0.25 in compiled passes (float64 pairs), and
 * ≈ 8 ns more per element when exp, log, tanh or pow runs.
 */
function elementCost(args: MapArgs): number {
  const path = pathOf(args);
  if (path !== 'js') return (path === 'simd' ? 0.1 : 0.25) * (args.inputs.length + 1);
  const code = `${args.body ?? ''}${args.expr}`;
  let heavy = transcendental.get(code);
  if (heavy === undefined) {
    heavy = /Math\.(exp|log|tanh|pow|sin|cos|expm1|log1p)|\$special\.erf/.test(code);
    transcendental.set(code, heavy);
  }
  return 0.7 * (args.inputs.length + 1) + (heavy ? 8 : 0);
}
