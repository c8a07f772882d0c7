// Fuzz specs for the everyday ops of issue 11 (spread into SPECS). specs.ts passes its helpers
// in, so this file needs nothing from it at load time (no import cycle).
import fc from 'fast-check';
import type { DType } from '../../../src/index.js';
import { erf, roundHalfEven } from '../../../src/kernels/special.js';
import * as ref from '../../support/reference.js';
import * as rx from '../../support/reference-ops.js';
import { inputArb } from './inputs.js';
import type { Expected, OpSpec } from './specs.js';

export interface SpecHelpers {
  unary(method: string, f: (v: number) => number, dtypeRule: (d: DType) => DType, op?: string): OpSpec;
  result(x: ref.Nd, dtype: DType, compare?: Expected['compare'], scale?: ref.Nd): Expected;
  dimOf(d: unknown, rank: number): number;
  invalid(why: string): never;
  dimArgArb: fc.Arbitrary<unknown>;
}

const isFloat = (d: DType) => d === 'float32' || d === 'float64';
const floating = (d: DType): DType => (isFloat(d) ? d : 'float32');
const same = (d: DType) => d;
const bool = (p: boolean) => Number(p);

export function opsSpecs(h: SpecHelpers) {
  const { unary, result, dimOf, invalid, dimArgArb } = h;
  const predicate = (method: string, f: (v: number) => boolean): OpSpec => ({ ...unary(method, (v) => bool(f(v)), () => 'bool'), ref: ([a]) => result(ref.map((v) => bool(f(v)), a), 'bool', 'exact') });
  const withDim = (minRank = 0) => fc.tuple(inputArb(minRank, 3), dimArgArb).map(([a, dim]) => ({ inputs: [a], args: { dim } }));
  return {
    sin: unary('sin', Math.sin, floating),
    cos: unary('cos', Math.cos, floating),
    erf: unary('erf', erf, floating),
    floor: unary('floor', Math.floor, same),
    ceil: unary('ceil', Math.ceil, same),
    round: unary('round', roundHalfEven, same),
    trunc: unary('trunc', Math.trunc, same),
    log1p: unary('log1p', Math.log1p, floating),
    expm1: unary('expm1', Math.expm1, floating),
    rsqrt: unary('rsqrt', (v) => 1 / Math.sqrt(v), floating),
    reciprocal: unary('reciprocal', (v) => 1 / v, floating),
    square: unary('square', (v) => v * v, same),
    isnan: predicate('isnan', Number.isNaN),
    isinf: predicate('isinf', (v) => v === Infinity || v === -Infinity),
    isfinite: predicate('isfinite', Number.isFinite),
    cumsum: {
      call: withDim(),
      run: ([a], { dim }) => a.cumsum(dim),
      ref: ([a], [d], { dim }) => {
        const i = dimOf(dim, a.shape.length);
        const dtype = isFloat(d) ? d : 'int32';
        if (a.shape.length === 0) return result(a, dtype, 'exact');
        return result(rx.lines(a, i, rx.cumsumLine), dtype, 'sum', rx.lines(ref.map(Math.abs, a), i, rx.cumsumLine));
      },
      names: ['cumsum'],
    },
    linearScan: {
      // Through cumprod, its one caller: y_i = x_i·y_(i−1).
      call: withDim(),
      run: ([a], { dim }) => a.cumprod(dim),
      ref: ([a], [d], { dim }) => {
        const i = dimOf(dim, a.shape.length);
        const dtype = d === 'bool' ? 'int32' : d;
        if (a.shape.length === 0) return result(a, dtype, 'exact');
        return result(rx.lines(a, i, rx.cumprodLine), dtype);
      },
      names: ['cumprod', 'linearScan'],
    },
    argsort: {
      call: fc.tuple(inputArb(0, 3), dimArgArb, fc.boolean()).map(([a, dim, descending]) => ({ inputs: [a], args: { dim, descending } })),
      run: ([a], { dim, descending }) => a.argsort({ dim, descending }),
      ref: ([a], [d], { dim, descending }) => {
        const i = dimOf(dim ?? -1, a.shape.length);
        if (a.shape.length === 0) return result(ref.map(() => 0, a), 'int32', 'exact');
        return result(rx.lines(a, i, (v) => rx.argsortLine(v, descending)), 'int32', 'exact');
      },
      names: ['argsort'],
    },
    flip: {
      call: fc.tuple(inputArb(0, 3), fc.oneof(dimArgArb, fc.array(dimArgArb, { maxLength: 3 }))).map(([a, dims]) => ({ inputs: [a], args: { dims } })),
      run: ([a], { dims }) => a.flip(dims),
      ref: ([a], [d], { dims }) => {
        const list = (Array.isArray(dims) ? dims : [dims]).map((x) => dimOf(x, a.shape.length));
        if (new Set(list).size !== list.length) invalid('repeated dim');
        return result(a.shape.length === 0 ? a : rx.flip(a, list), d, 'exact');
      },
      names: ['flip'],
    },
    slice: {
      call: fc
        .tuple(inputArb(1, 3), dimArgArb, fc.oneof(fc.integer({ min: -6, max: 6 }), fc.constantFrom<unknown>(null, 0.5)), fc.oneof(fc.integer({ min: -6, max: 8 }), fc.constantFrom<unknown>(null, NaN)), fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom<unknown>(1.5)))
        .map(([a, dim, start, end, step]) => ({ inputs: [a], args: { dim, start, end, step } })),
      run: ([a], { dim, start, end, step }) => a.slice(dim, start, end, step),
      ref: ([a], [d], { dim, start, end, step }) => {
        const i = dimOf(dim, a.shape.length);
        for (const v of [start, end]) if (v !== null && !Number.isInteger(v)) invalid('position');
        if (!Number.isInteger(step) || step < 1) invalid('step');
        const n = a.shape[i];
        const at = (v: number | null, dflt: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
        const [s, e] = [at(start, 0), at(end, n)];
        return result(rx.slice(a, i, s, Math.max(s, e), step), d, 'exact');
      },
      names: ['slice', 'narrow'],
    },
  } satisfies Record<string, OpSpec>;
}
