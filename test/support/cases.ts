// What a sample case is, and the helpers that build the common families of them (unary,
// binary with broadcasting, reductions), shared by the op-table cases and the composite cases.
import type { DType, GradcheckOptions, Tensor } from '../../src/index.js';
import type { InputSpec, Kind } from './inputs.js';
import * as ref from './reference.js';
import type { Nd } from './reference.js';

export interface Sample {
  /** Completes the sentence "on …". */
  name: string;
  inputs: InputSpec[];
  /** Calls the op through the public methods, on the inputs already laid out. */
  run: (xs: Tensor[]) => Tensor;
  /** The same maths on plain arrays, in float64. */
  ref: (xs: Nd[]) => Nd;
  /** The float dtypes the forward check runs in (float inputs take it); default float32 and float64. */
  dtypes?: DType[];
  /** The output's dtype for a case dtype; default: the case dtype. */
  outDtype?: DType | ((caseDtype: DType) => DType);
  /** Why this sample is forward-only (too large for central differences, or a kink at these inputs). */
  noGradcheck?: string;
  /** The float32 tolerance, for a sample whose float32 error grows with its size (long dot products). */
  f32Tolerance?: { atol: number; rtol: number };
  /** Central-difference settings, for a sample that rounds through float32. */
  gradcheck?: GradcheckOptions;
}

/** A case large enough that the pool runs it; only its bits on 1 and 2 threads are compared. */
export interface LargeCase {
  inputs: InputSpec[];
  run: (xs: Tensor[]) => Tensor;
}

export interface OpCases {
  samples: Sample[];
  large: LargeCase;
}

export function outDtypeOf(s: Sample, caseDtype: DType): DType {
  if (s.outDtype === undefined) return caseDtype;
  return typeof s.outDtype === 'function' ? s.outDtype(caseDtype) : s.outDtype;
}

/** Elements per large input: 2¹⁹, well above the ≈ 64K where a cheap map goes to the pool. */
export const LARGE: number[] = [1024, 512];

/** A unary op on the usual layouts, 0-d included. */
export function unary(kind: Kind, run: (x: Tensor) => Tensor, f: (v: number) => number, extra: Partial<Sample> = {}): Sample[] {
  const one = (name: string, spec: InputSpec): Sample => ({ name, inputs: [{ kind, ...spec }], run: ([x]) => run(x), ref: ([x]) => ref.map(f, x), ...extra });
  return [
    one('a [3, 4] matrix', { shape: [3, 4] }),
    one('a 0-d tensor', { shape: [] }),
    one('a transposed [3, 4] view', { shape: [3, 4], layout: 'transposed' }),
    one('a narrowed [2, 3] view', { shape: [2, 3], layout: 'narrowed' }),
    one('an expanded [3, 4] view', { shape: [3, 4], layout: 'expanded' }),
    one('a permuted [2, 3, 2] view', { shape: [2, 3, 2], layout: 'permuted' }),
  ];
}

export function largeUnary(kind: Kind, run: (x: Tensor) => Tensor): LargeCase {
  return { inputs: [{ shape: LARGE, kind }], run: ([x]) => run(x) };
}

export interface BinaryOptions {
  /** Also a sample with a JS number as the second operand (x.op(1.5)). */
  number?: number;
  /** Also a sample mixing an int32 tensor with a float one (dtype promotion). */
  int?: boolean;
  extra?: Partial<Sample>;
}

/** A binary op: equal shapes, broadcasting, non-contiguous operands, 0-d, numbers, int32 mixing. */
export function binary(kinds: [Kind, Kind], run: (a: Tensor, b: Tensor | number) => Tensor, f: (a: number, b: number) => number, options: BinaryOptions = {}): Sample[] {
  const [ka, kb] = kinds;
  const two = (name: string, a: InputSpec, b: InputSpec): Sample => ({
    name,
    inputs: [{ kind: ka, ...a }, { kind: kb, ...b }],
    run: ([x, y]) => run(x, y),
    ref: ([x, y]) => ref.map(f, x, y),
    ...options.extra,
  });
  const samples = [
    two('two [3, 4] matrices', { shape: [3, 4] }, { shape: [3, 4] }),
    two('[3, 1] and [4], broadcast to [3, 4]', { shape: [3, 1] }, { shape: [4] }),
    two('[2, 1, 4] and [3, 1], broadcast to [2, 3, 4]', { shape: [2, 1, 4] }, { shape: [3, 1] }),
    two('a transposed and a narrowed [3, 4] view', { shape: [3, 4], layout: 'transposed' }, { shape: [3, 4], layout: 'narrowed' }),
    two('an expanded and a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'expanded' }, { shape: [2, 3, 4], layout: 'permuted' }),
    two('a 0-d tensor and a [3, 4] matrix', { shape: [] }, { shape: [3, 4] }),
  ];
  if (options.number !== undefined) {
    const v = options.number;
    samples.push({ name: `a [3, 4] matrix and the number ${v}`, inputs: [{ shape: [3, 4], kind: ka }], run: ([x]) => run(x, v), ref: ([x]) => ref.map((a) => f(a, v), x), ...options.extra });
  }
  if (options.int) {
    samples.push(two('an int32 [3, 4] matrix and a float [4] row (promoted to float)', { shape: [3, 4], kind: 'ties', dtype: 'int32' }, { shape: [4] }));
  }
  return samples;
}

export function largeBinary(kinds: [Kind, Kind], run: (a: Tensor, b: Tensor) => Tensor): LargeCase {
  // One operand non-contiguous, so tiles cut through the strided path too.
  return { inputs: [{ shape: LARGE, kind: kinds[0] }, { shape: LARGE, kind: kinds[1], layout: 'narrowed' }], run: ([a, b]) => run(a, b) };
}

type Fold = (values: number[]) => number;

/** A reduction over all dims, one dim, several kept dims, negative dims and non-contiguous inputs. */
export function reduction(kind: Kind, run: (x: Tensor, dims: number | number[] | undefined, keepdim: boolean) => Tensor, fold: Fold, extra: Partial<Sample> = {}): Sample[] {
  const one = (name: string, spec: InputSpec, dims: number | number[] | undefined, keepdim = false): Sample => ({
    name,
    inputs: [{ kind, ...spec }],
    run: ([x]) => run(x, dims, keepdim),
    ref: ([x]) => ref.reduce(x, typeof dims === 'number' ? [dims] : dims, keepdim, fold),
    ...extra,
  });
  return [
    one('all of a [3, 4] matrix', { shape: [3, 4] }, undefined),
    one('dim 1 of a [3, 4] matrix', { shape: [3, 4] }, 1),
    one('dims [0, 2] of a [2, 3, 4] tensor, keepdim', { shape: [2, 3, 4] }, [0, 2], true),
    one('dim -1 of a transposed [3, 4] view', { shape: [3, 4], layout: 'transposed' }, -1),
    one('dim 0 of an expanded [3, 4] view, keepdim', { shape: [3, 4], layout: 'expanded' }, 0, true),
    one('dim 1 of a permuted [2, 3, 4] view', { shape: [2, 3, 4], layout: 'permuted' }, 1),
    one('dims [0, 1] of a narrowed [2, 3, 4] view', { shape: [2, 3, 4], layout: 'narrowed' }, [0, 1]),
  ];
}
