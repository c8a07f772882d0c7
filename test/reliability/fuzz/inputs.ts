// fast-check arbitraries for the op fuzz: tensors of random shape, dtype, layout and values
// (NaN, ±Infinity, −0, int32 extremes included), and the plain values the reference sees.
import fc from 'fast-check';
import { tensor, type DType, type Tensor } from '../../../src/index.js';
import { expand, narrow, nd, numel, transpose, type Nd } from '../../support/reference.js';

export const DTYPE_LIST: DType[] = ['float32', 'float64', 'int32', 'bool'];

/** How the tensor sits in memory; its logical shape is always `shape`. */
export type Layout = 'contiguous' | 'transposed' | 'narrowed' | 'expanded';

export interface InputSpec {
  shape: number[];
  dtype: DType;
  layout: Layout;
  /** Row-major over the base shape (before the layout's view). */
  values: number[];
}

/** A value as its dtype's storage holds it. */
export function storeAs(dtype: DType, v: number): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'int32') return v | 0;
  if (dtype === 'bool') return v !== 0 ? 1 : 0; // NaN is truthy, as bool(nan) in PyTorch
  return v;
}

export function baseShape(shape: readonly number[], layout: Layout): number[] {
  const base = [...shape];
  const r = base.length;
  if (layout === 'transposed') [base[r - 2], base[r - 1]] = [base[r - 1], base[r - 2]];
  if (layout === 'narrowed') base[0] += 2;
  if (layout === 'expanded') base[0] = 1;
  return base;
}

function layoutsFor(shape: readonly number[]): Layout[] {
  const out: Layout[] = ['contiguous'];
  if (shape.length >= 2) out.push('transposed');
  if (shape.length >= 1) out.push('narrowed', 'expanded');
  return out;
}

const floatValue = fc.oneof(
  { weight: 12, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e30, -1e-30) },
);
const intValue = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: -5, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 65536) });
const boolValue = fc.constantFrom(0, 1);

export function valueArb(dtype: DType): fc.Arbitrary<number> {
  return dtype === 'bool' ? boolValue : dtype === 'int32' ? intValue : floatValue;
}

/** Mostly 1–3, sometimes 0 (empty tensors) or 4. */
export const dimArb = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 4) });
export const shapeArb = (minRank = 0, maxRank = 3) => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });
export const dtypeArb = fc.oneof({ weight: 3, arbitrary: fc.constant<DType>('float32') }, { weight: 1, arbitrary: fc.constantFrom<DType>('float64', 'int32', 'bool') });

/** A tensor of this shape and dtype, in a random layout, holding random values. */
export function inputOf(shape: number[], dtype: DType, values: fc.Arbitrary<number> = valueArb(dtype)): fc.Arbitrary<InputSpec> {
  return fc.constantFrom(...layoutsFor(shape)).chain((layout) => {
    const n = numel(baseShape(shape, layout));
    return fc.array(values, { minLength: n, maxLength: n }).map((vs) => ({ shape, dtype, layout, values: vs }));
  });
}

export const inputArb = (minRank = 0, maxRank = 3, dtypes: fc.Arbitrary<DType> = dtypeArb) =>
  fc.tuple(shapeArb(minRank, maxRank), dtypes).chain(([shape, dtype]) => inputOf(shape, dtype));

/** The tensor a spec describes, built through the public API (a view for non-contiguous layouts). */
export function makeTensor(spec: InputSpec): Tensor {
  const base = baseShape(spec.shape, spec.layout);
  const t = tensor(Float64Array.from(spec.values), { dtype: spec.dtype }).reshape(base);
  if (spec.layout === 'transposed') return t.transpose(-1, -2);
  if (spec.layout === 'narrowed') return t.narrow(0, 1, spec.shape[0]);
  if (spec.layout === 'expanded') return t.expand(spec.shape);
  return t;
}

/** The logical values a spec's tensor holds, as the reference sees them. */
export function plainOf(spec: InputSpec): Nd {
  const base = nd(baseShape(spec.shape, spec.layout), spec.values.map((v) => storeAs(spec.dtype, v)));
  if (spec.layout === 'transposed') return transpose(base, base.shape.length - 2, base.shape.length - 1);
  if (spec.layout === 'narrowed') return narrow(base, 0, 1, spec.shape[0]);
  if (spec.layout === 'expanded') return expand(base, spec.shape);
  return base;
}

/** Things that are not tensors, for arguments that need one. */
export const junkArb = fc.constantFrom<unknown>('x', null, undefined, {}, [1, 2], true, () => 1);
