// Reductions: each output element folds its slice of the input in one fixed order, so the bits
// never depend on how outputs are split across threads. Large all-element reductions first fold
// fixed-size chunks (the op launches a second pass over the partials), which keeps them parallel
// and deterministic at once.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

/** How each reducer starts, folds a value v at flat inner index j, and ends. */
const REDUCERS = {
  sum: { init: 'let acc = 0;', step: 'acc += v;', result: 'acc' },
  prod: { init: 'let acc = 1;', step: 'acc *= v;', result: 'acc' },
  // NaN wins, as in PyTorch: once acc is NaN no comparison replaces it.
  max: { init: 'let acc = -Infinity;', step: 'if (v > acc || v !== v) acc = v;', result: 'acc' },
  min: { init: 'let acc = Infinity;', step: 'if (v < acc || v !== v) acc = v;', result: 'acc' },
  // The first index of the extreme value (or of the first NaN).
  argmax: { init: 'let acc = -Infinity, at = 0;', step: 'if (v > acc || (v !== v && acc === acc)) { acc = v; at = j; }', result: 'at' },
  argmin: { init: 'let acc = Infinity, at = 0;', step: 'if (v < acc || (v !== v && acc === acc)) { acc = v; at = j; }', result: 'at' },
} as const;

export type Reducer = keyof typeof REDUCERS;

/** Adjacent outputs folded together, each in a local of its own (see compileGrouped). */
const GROUP = 8;
const GROUPED: readonly Reducer[] = ['sum', 'prod', 'max', 'min'];

/**
 * out[o] = fold over the inner dims of x at outer index o. Outer dims are walked row-major and
 * out is contiguous. With `total` set, unit o folds only while o·innerSize + j < total (the last
 * chunk of a chunked reduction is short).
 */
export interface ReduceArgs {
  reducer: Reducer;
  x: DataArray;
  xOffset: number;
  outerShape: number[];
  outerStrides: number[];
  innerShape: number[];
  innerStrides: number[];
  out: DataArray;
  total?: number;
}

type ReduceFn = (args: ReduceArgs, start: number, end: number) => void;
const compiled = new Map<string, ReduceFn>();

/**
 * Sums accumulate in doubles (exact for int32 inputs up to 2⁵³). PyTorch would return int64;
 * Skein has no int64, so an int32 sum that does not fit raises rather than wrapping.
 */
const INT32_CHECK = `if (!(acc >= -2147483648 && acc <= 2147483647)) throw new RangeError('the int32 result ' + acc + ' overflows int32 (PyTorch sums integers in int64; Skein has no int64): expected .double() before the sum');`;

function compile(reducer: Reducer, int32Out: boolean): ReduceFn {
  const { init, step, result } = REDUCERS[reducer];
  const src = `
    const x = args.x, out = args.out, os = args.outerShape, ot = args.outerStrides;
    const is = args.innerShape, it = args.innerStrides, r = is.length;
    const inner = is[r - 1], innerStride = it[r - 1];
    let innerSize = 1; for (let d = 0; d < r; d++) innerSize *= is[d];
    const rows = innerSize / inner;
    for (let o = start; o < end; o++) {
      let base = args.xOffset, rem = o;
      for (let d = os.length - 1; d >= 0; d--) { const q = rem % os[d]; rem = (rem - q) / os[d]; base += q * ot[d]; }
      const limit = args.total === undefined ? innerSize : Math.min(innerSize, args.total - o * innerSize);
      ${init}
      let j = 0;
      for (let row = 0; row < rows && j < limit; row++) {
        let p = base, rrem = row;
        for (let d = r - 2; d >= 0; d--) { const q = rrem % is[d]; rrem = (rrem - q) / is[d]; p += q * it[d]; }
        const stop = Math.min(j + inner, limit);
        for (; j < stop; j++) { const v = x[p]; ${step} p += innerStride; }
      }
      ${int32Out && reducer !== 'argmax' && reducer !== 'argmin' ? INT32_CHECK : ''}
      out[o] = ${result};
    }`;
  return new Function('args', 'start', 'end', src) as ReduceFn;
}

/**
 * The same folds over GROUP adjacent outputs at once, where adjacent outputs read adjacent inputs:
 * GROUP independent accumulators, one contiguous run of inputs per inner element, instead of one
 * strided pass per output with its add chain's latency. Each output still folds its own values
 * in the same order, so the bits are the scalar loop's (sum over dim 0 of 256×1024, one thread:
 * 550 → 120 µs). Outputs past the last whole group take the scalar loop.
 */
function compileGrouped(reducer: Reducer, int32Out: boolean, scalar: ReduceFn): ReduceFn {
  const { init, step, result } = REDUCERS[reducer];
  const start = /^let acc = (.+);$/.exec(init)?.[1];
  if (start === undefined || result !== 'acc') throw new Error(`reduce: ${reducer} cannot be grouped`);
  const g = Array.from({ length: GROUP }, (_, i) => i);
  const check = int32Out ? INT32_CHECK : '';
  const src = `
    const x = args.x, out = args.out, os = args.outerShape, ot = args.outerStrides;
    const is = args.innerShape, it = args.innerStrides, r = is.length;
    const inner = is[r - 1], innerStride = it[r - 1];
    let innerSize = 1; for (let d = 0; d < r; d++) innerSize *= is[d];
    const rows = innerSize / inner, last = os[os.length - 1];
    for (let o = start; o < end;) {
      let base = args.xOffset, rem = o;
      for (let d = os.length - 1; d >= 0; d--) { const q = rem % os[d]; rem = (rem - q) / os[d]; base += q * ot[d]; }
      const run = Math.min(end - o, last - (o % last)), whole = run - run % ${GROUP};
      for (let k = 0; k < whole; k += ${GROUP}) {
        let ${g.map((i) => `a${i} = ${start}`).join(', ')};
        for (let row = 0; row < rows; row++) {
          let p = base + k, rrem = row;
          for (let d = r - 2; d >= 0; d--) { const q = rrem % is[d]; rrem = (rrem - q) / is[d]; p += q * it[d]; }
          for (let e = 0; e < inner; e++, p += innerStride) {
            let v;
            ${g.map((i) => `v = x[p + ${i}]; ${step.replace(/acc/g, `a${i}`)}`).join(' ')}
          }
        }
        ${g.map((i) => `{ const acc = a${i}; ${check} out[o + k + ${i}] = acc; }`).join(' ')}
      }
      if (whole < run) scalar(args, o + whole, o + run);
      o += run;
    }`;
  const fn = new Function('args', 'start', 'end', 'scalar', src) as (args: ReduceArgs, start: number, end: number, scalar: ReduceFn) => void;
  return (args, start, end) => fn(args, start, end, scalar);
}

/** Whether adjacent outputs read adjacent inputs (the last outer dim is contiguous), so a block of them can fold together. */
function blocks(args: ReduceArgs): boolean {
  const rank = args.outerShape.length;
  return args.total === undefined && rank > 0 && args.outerStrides[rank - 1] === 1 && args.outerShape[rank - 1] >= GROUP && args.innerShape.length > 0 && GROUPED.includes(args.reducer);
}

export const reduceKernel: Kernel<ReduceArgs> = {
  run(args, start, end) {
    const grouped = blocks(args);
    const key = `${args.reducer}|${args.x.constructor.name}|${args.out.constructor.name}|${grouped}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = compile(args.reducer, args.out instanceof Int32Array);
      if (grouped) fn = compileGrouped(args.reducer, args.out instanceof Int32Array, fn);
      compiled.set(key, fn);
    }
    fn(args, start, end);
  },
  units: (args) => args.outerShape.reduce((x, y) => x * y, 1),
  unitCost: (args) => 20 + 0.5 * args.innerShape.reduce((x, y) => x * y, 1),
};
