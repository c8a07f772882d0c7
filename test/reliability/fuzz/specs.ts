// One fuzz spec per op of the table: how to draw a call (tensors + plain arguments, good and bad),
// how to make it through the tensor methods, and what the plain reference says it must give —
// a value of a shape and dtype, or Invalid (the call must throw a SkeinError naming the op), or
// a bad index (the read must reject with an IndexError naming the op).
import fc from 'fast-check';
import { cat, IndexError, OPS, SkeinError, ValueError, where, type DType, type OpName, type Tensor } from '../../../src/index.js';
import * as ref from '../../support/reference.js';
import { opsSpecs } from './specs-ops.js';
import { SEQ_SPECS } from './specs-seq.js';
import { VISION_SPECS } from './specs-vision.js';
import { dimArb, dtypeArb, inputArb, inputOf, junkArb, makeTensor, plainOf, shapeArb, storeAs, valueArb, type InputSpec } from './inputs.js';

type Nd = ref.Nd;

/** The reference's verdict that a call is bad input. */
export class Invalid extends Error {}
/** The reference's verdict that a value on the device is bad (an index out of range, an int32 sum that overflows): the read must reject. */
export class BadIndex extends Error {
  constructor(
    message: string,
    readonly error: typeof SkeinError = IndexError,
  ) {
    super(message);
  }
}

export interface Expected {
  nd: Nd;
  dtype: DType;
  /** The call may also refuse with a ShapeError (view() of a layout it cannot view). */
  mayRefuse?: boolean;
  /** How results are compared: exactly, one rounding, or a sum whose error scales with Σ|terms|. */
  compare: 'exact' | 'rounded' | 'sum';
  /** For 'sum': Σ|terms| per output element. */
  scale?: Nd;
}

export interface Call {
  inputs: InputSpec[];
  args: any;
}

export interface OpSpec {
  call: fc.Arbitrary<Call>;
  run(t: Tensor[], args: any): Tensor;
  ref(x: Nd[], dtypes: DType[], args: any): Expected;
  /** Names an error message may use (the method's, the op's). */
  names: string[];
}

// ── reference helpers ────────────────────────────────────────────────────────────────────────

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);
const isFloat = (d: DType) => d === 'float32' || d === 'float64';
const floating = (d: DType): DType => (isFloat(d) ? d : 'float32');
const scalarDtype = (t: DType, v: number): DType => (isFloat(t) ? t : !Number.isInteger(v) ? 'float32' : t === 'bool' ? 'int32' : t);

function invalid(why: string): never {
  throw new Invalid(why);
}

/** Skein's dim rule: an integer in [−max(rank,1), max(rank,1)). */
function dimOf(d: unknown, rank: number): number {
  const r = Math.max(rank, 1);
  if (typeof d !== 'number' || !Number.isInteger(d) || d < -r || d >= r) invalid(`dim ${String(d)}`);
  return d < 0 ? d + r : d;
}

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let out = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (out !== 1 && out !== d) invalid('shapes do not broadcast');
      out = d;
    }
    return out;
  });
}

/** out[idx] = f(x₀[idx], …) over the broadcast shape (size-0 dims included). */
function mapB(f: (...v: number[]) => number, ...xs: Nd[]): Nd {
  return ref.build(broadcast(xs.map((x) => x.shape)), (idx) => f(...xs.map((x) => ref.atBroadcast(x, idx))));
}

const stored = (x: Nd, dtype: DType): Nd => ({ shape: x.shape, data: x.data.map((v) => storeAs(dtype, v)) });
const scalarNd = (v: number): Nd => ({ shape: [], data: [v] });

function result(x: Nd, dtype: DType, compare: Expected['compare'] = 'rounded', scale?: Nd): Expected {
  return { nd: stored(x, dtype), dtype, compare, scale };
}

// ── arguments: tensors, numbers and junk ─────────────────────────────────────────────────────

const numberArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -3, max: 3 }) }, { weight: 3, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
/** A dim argument: usually in range for rank ≤ 3, sometimes not an integer at all. */
const dimArgArb = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -4, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0.5, NaN, '0', undefined) });

/** A second operand: a broadcast-compatible tensor, an unrelated one, a number, or junk. */
function otherShape(shape: number[]): fc.Arbitrary<number[]> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(shape) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: shape.length }).map((k) => shape.slice(k)) },
    { weight: 2, arbitrary: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).map((ones) => shape.map((d, i) => (ones[i] ? 1 : d))) },
    { weight: 1, arbitrary: fc.tuple(dimArb, fc.constant(shape)).map(([d, s]) => [d, ...s]) },
    { weight: 2, arbitrary: shapeArb() },
  );
}

type Operand = { kind: 'tensor' } | { kind: 'number'; value: number } | { kind: 'junk'; value: unknown };

/** A unary-first call with a second operand; inputs[1] exists when the operand is a tensor. */
function binaryCall(): fc.Arbitrary<Call> {
  return inputArb().chain((a) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(otherShape(a.shape), dtypeArb).chain(([s, d]) => inputOf(s, d)).map((b) => ({ inputs: [a, b], args: { other: { kind: 'tensor' } as Operand } })) },
      { weight: 2, arbitrary: numberArb.map((value) => ({ inputs: [a], args: { other: { kind: 'number', value } as Operand } })) },
      { weight: 1, arbitrary: junkArb.map((value) => ({ inputs: [a], args: { other: { kind: 'junk', value } as Operand } })) },
    ),
  );
}

function operand(t: Tensor[], other: Operand): any {
  return other.kind === 'tensor' ? t[1] : other.value;
}

/** The second operand as the reference sees it: its values and dtype (a number takes the scalar rule). */
function operandRef(x: Nd[], dtypes: DType[], other: Operand): [Nd, DType] {
  if (other.kind === 'junk') invalid('not a tensor');
  if (other.kind === 'tensor') return [x[1], dtypes[1]];
  const d = scalarDtype(dtypes[0], other.value);
  return [scalarNd(storeAs(d, other.value)), d];
}

// ── the specs ────────────────────────────────────────────────────────────────────────────────

function unary(method: keyof Tensor & string, f: (v: number) => number, dtypeRule: (d: DType) => DType, op = method): OpSpec {
  return {
    call: inputArb().map((a) => ({ inputs: [a], args: {} })),
    run: ([a]) => (a as any)[method](),
    ref: ([a], [d]) => result(ref.map(f, a), dtypeRule(d)),
    names: [method, op],
  };
}

const same = (d: DType) => d;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const ARITH: Record<string, (a: number, b: number) => number> = { add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: Math.pow, maximum: Math.max, minimum: Math.min };
const COMPARE: Record<string, (a: number, b: number) => boolean> = { lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b, eq: (a, b) => a === b, ne: (a, b) => a !== b };

function binary(method: string): OpSpec {
  const arith = ARITH[method];
  return {
    call: binaryCall(),
    run: (t, { other }) => (t[0] as any)[method](operand(t, other)),
    ref: (x, dtypes, { other }) => {
      const [b, db] = operandRef(x, dtypes, other);
      broadcast([x[0].shape, b.shape]);
      if (arith === undefined) return result(mapB((p, q) => Number(COMPARE[method](p, q)), x[0], b), 'bool', 'exact');
      if ((method === 'sub' && dtypes[0] === 'bool' && db === 'bool')) invalid('sub of two bools');
      let dtype = promote(dtypes[0], db);
      if (method === 'div' || method === 'pow') dtype = floating(dtype);
      return result(mapB(arith, x[0], b), dtype);
    },
    names: [method],
  };
}

type Dims = number | number[] | undefined;
const dimsArb: fc.Arbitrary<unknown> = fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.integer({ min: -4, max: 3 }) }, { weight: 3, arbitrary: fc.array(fc.integer({ min: -4, max: 3 }), { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0.5, [0, 0.5], 'x') });

/** Skein's dims rule: every dim valid, none repeated; a 0-d tensor reduces nothing. */
function dimsOf(dims: unknown, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) invalid('dims');
  const list = (typeof dims === 'number' ? [dims] : dims).map((d) => dimOf(d, rank));
  if (new Set(list).size !== list.length) invalid('repeated dim');
  return rank === 0 ? [] : list;
}

function reduction(method: 'sum' | 'max' | 'min'): OpSpec {
  const fold = method === 'sum' ? ref.sumOf : method === 'max' ? ref.maxOf : ref.minOf;
  return {
    call: fc.tuple(inputArb(), dimsArb, fc.boolean()).map(([a, dims, keepdim]) => ({ inputs: [a], args: { dims, keepdim } })),
    // max(dims)/min(dims) over several dims are amax/amin (max(dim) gives values and indices).
    run: ([a], { dims, keepdim }) => a[method === 'sum' ? 'sum' : method === 'max' ? 'amax' : 'amin'](dims as Dims, keepdim),
    ref: ([a], [d], { dims, keepdim }) => {
      const list = dimsOf(dims, a.shape.length);
      if (method !== 'sum' && list.some((i) => a.shape[i] === 0)) invalid('empty reduction');
      const out = ref.reduce(a, list, keepdim, fold);
      if (method !== 'sum') return result(out, d, 'exact');
      // An int32 sum that does not fit int32 is refused at the read (PyTorch would give int64).
      if (!isFloat(d) && out.data.some((v) => v > 2 ** 31 - 1 || v < -(2 ** 31))) throw new BadIndex('int32 overflow', ValueError);
      return result(out, isFloat(d) ? d : 'int32', 'sum', ref.reduce(a, list, keepdim, (v) => ref.sumOf(v.map(Math.abs))));
    },
    names: [method],
  };
}

function argReduction(method: 'argmax' | 'argmin'): OpSpec {
  const fold = ref.argOf(method === 'argmax' ? (v, best) => v > best : (v, best) => v < best);
  return {
    call: fc.tuple(inputArb(), fc.oneof(fc.constant(undefined), dimArgArb), fc.boolean()).map(([a, dim, keepdim]) => ({ inputs: [a], args: { dim, keepdim } })),
    run: ([a], { dim, keepdim }) => a[method](dim as number | undefined, keepdim),
    ref: ([a], [d], { dim, keepdim }) => {
      const list = dimsOf(dim, a.shape.length);
      if (d === 'bool') invalid('argmax of bool');
      if (list.some((i) => a.shape[i] === 0)) invalid('empty reduction');
      return result(ref.reduce(a, list, keepdim, fold), 'int32', 'exact');
    },
    names: [method],
  };
}

/** Shapes for matmul: usually compatible (vector, matrix, batched), sometimes not. */
const matmulCall: fc.Arbitrary<Call> = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), dimArb, dimArb, dimArb, dimArb, fc.boolean(), fc.oneof({ weight: 5, arbitrary: fc.constant<DType | null>(null) }, { weight: 1, arbitrary: dtypeArb }))
  .chain(([ra, rb, m, k, n, batch, mismatch, otherDtype]) => {
    const dtype: DType = otherDtype === 'float64' ? 'float64' : 'float32';
    const lead = (r: number) => (r >= 3 ? [batch] : []);
    const aShape = ra === 0 ? [] : ra === 1 ? [k] : [...lead(ra), m, k];
    const bShape = rb === 0 ? [] : rb === 1 ? [mismatch ? k + 1 : k] : [...lead(rb), mismatch ? k + 1 : k, n];
    return fc.tuple(inputOf(aShape, dtype), inputOf(bShape, otherDtype ?? dtype)).map((inputs) => ({ inputs, args: {} }));
  });

function matmulRef([a, b]: Nd[], [da, db]: DType[]): Expected {
  if (a.shape.length === 0 || b.shape.length === 0) invalid('0-d operand');
  const k = a.shape[a.shape.length - 1];
  if (b.shape[Math.max(b.shape.length - 2, 0)] !== k) invalid('inner dims differ');
  const batch = broadcast([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  if (da !== db || !isFloat(da)) invalid('dtypes');
  // NumPy's shape rule; the support reference's batch broadcast takes a max, wrong for size-0 batches.
  const shape = [...batch, ...(a.shape.length > 1 ? [a.shape[a.shape.length - 2]] : []), ...(b.shape.length > 1 ? [b.shape[b.shape.length - 1]] : [])];
  if (ref.numel(shape) === 0) return result({ shape, data: [] }, da, 'exact');
  return result(ref.matmul(a, b), da, 'sum', ref.matmul(abs(a), abs(b)));
}

/** reshape/view targets: a factoring of the same count, with -1, negatives, fractions, wrong counts. */
function reshapeTarget(shape: number[]): fc.Arbitrary<unknown[]> {
  const n = ref.numel(shape);
  const factorings = [[n], [1, n], [n, 1], ...(n % 2 === 0 ? [[2, n / 2], [n / 2, 2, 1]] : []), ...(n % 3 === 0 ? [[3, n / 3]] : [])];
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...factorings) },
    { weight: 3, arbitrary: fc.constantFrom(...factorings).chain((f) => fc.integer({ min: 0, max: f.length - 1 }).map((i) => f.map((d, j) => (i === j ? -1 : d)))) },
    { weight: 2, arbitrary: fc.array(fc.oneof(dimArb, fc.constantFrom<unknown>(-1, -2, 1.5, null, NaN)), { maxLength: 3 }) },
  );
}

function reshapeRef(a: Nd, target: unknown): number[] {
  if (!Array.isArray(target)) invalid('shape');
  if (target.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < -1)) invalid('sizes');
  const holes = target.filter((d) => d === -1).length;
  if (holes > 1) invalid('two -1');
  const known = ref.numel(target.filter((d) => d !== -1));
  const total = ref.numel(a.shape);
  const filled = target.map((d) => (d === -1 ? (known === 0 ? invalid('-1 with zero') : total / known) : d));
  if (filled.some((d) => !Number.isInteger(d)) || ref.numel(filled) !== total) invalid('count');
  return filled;
}

/** expand targets: the shape with 1-dims grown, leading dims added, -1 kept, or wrong sizes. */
function expandTarget(shape: number[]): fc.Arbitrary<unknown[]> {
  return fc.tuple(fc.array(fc.oneof(dimArb, fc.constantFrom(-1, -2)), { maxLength: 2 }), fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant<unknown>('keep') }, { weight: 2, arbitrary: dimArb }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, -3, 2.5) }), { minLength: shape.length, maxLength: shape.length })).map(([lead, tail]) => [...lead, ...tail.map((t, i) => (t === 'keep' ? shape[i] : t))]);
}

function expandRef(a: Nd, target: unknown[]): number[] {
  const lead = target.length - a.shape.length;
  if (lead < 0) invalid('rank');
  return target.map((d, i) => {
    if (i < lead) return typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : invalid('leading size');
    const have = a.shape[i - lead];
    if (d === -1) return have;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) invalid('size');
    if (have !== 1 && have !== d) invalid('not expandable');
    return d;
  });
}

function permuteRef(a: Nd, dims: unknown[]): number[] {
  const norm = dims.map((d) => dimOf(d, a.shape.length));
  if (norm.length !== a.shape.length || new Set(norm).size !== norm.length) invalid('not a permutation');
  return a.shape.length === 0 ? [] : norm;
}

/** An int32 index for size `size`: mostly in range, sometimes not (negative ones are refused, as PyTorch's index_select/gather). */
const indexValue = (size: number) => fc.oneof({ weight: 12, arbitrary: fc.integer({ min: -size, max: Math.max(size - 1, -size) }) }, { weight: 1, arbitrary: fc.constantFrom(size, -size - 1, 2 ** 31 - 1) });

/** A bad index fails the read only if the kernel reads it: with no rows before `dim`, none is read. */
function indexCheck(index: Nd, size: number, rowsBefore = 1): number[] {
  if (rowsBefore > 0 && index.data.some((i) => i < 0 || i >= size)) throw new BadIndex('index out of range');
  return index.data;
}

const rowsBefore = (shape: readonly number[], d: number) => ref.numel(shape.slice(0, d));

/** base (rank ≥ 1), a dim, and a 1-D index over that dim (or a bad one: float, 2-D). */
const selectCall = (withSource: boolean): fc.Arbitrary<Call> =>
  fc.tuple(inputArb(1, 3), fc.integer({ min: -3, max: 2 }), dimArb, fc.oneof({ weight: 8, arbitrary: fc.constant<DType>('int32') }, { weight: 1, arbitrary: dtypeArb })).chain(([base, dim, count, idxDtype]) => {
    const d = ((dim % base.shape.length) + base.shape.length) % base.shape.length;
    const size = base.shape[d];
    const index = inputOf([count], idxDtype, idxDtype === 'int32' ? indexValue(size) : valueArb(idxDtype));
    const srcShape = base.shape.map((s, i) => (i === d ? count : s));
    const src = fc.oneof({ weight: 6, arbitrary: inputOf(srcShape, base.dtype) }, { weight: 1, arbitrary: inputArb() });
    return withSource ? fc.tuple(index, src).map(([i, s]) => ({ inputs: [base, i, s], args: { dim } })) : index.map((i) => ({ inputs: [base, i], args: { dim } }));
  });

/** base, a dim, an index of the base's rank (sizes ≤ the base's outside dim), and a source. */
const gatherCall = (withSource: boolean): fc.Arbitrary<Call> =>
  fc.tuple(inputArb(1, 3), fc.integer({ min: -3, max: 2 }), fc.oneof({ weight: 8, arbitrary: fc.constant<DType>('int32') }, { weight: 1, arbitrary: dtypeArb })).chain(([base, dim, idxDtype]) => {
    const d = ((dim % base.shape.length) + base.shape.length) % base.shape.length;
    const size = base.shape[d];
    const idxShape = fc.tuple(...base.shape.map((s, i) => (i === d ? dimArb : fc.integer({ min: 0, max: s + 1 })))).map((s) => s as number[]);
    return idxShape.chain((shape) => {
      const index = inputOf(shape, idxDtype, idxDtype === 'int32' ? indexValue(size) : valueArb(idxDtype));
      const src = fc.oneof({ weight: 6, arbitrary: inputOf(shape, base.dtype) }, { weight: 1, arbitrary: inputArb() });
      return withSource ? fc.tuple(index, src).map(([i, s]) => ({ inputs: [base, i, s], args: { dim } })) : index.map((i) => ({ inputs: [base, i], args: { dim } }));
    });
  });

function gatherShapeRef(base: Nd, index: Nd, idxDtype: DType, dim: number): number {
  if (idxDtype !== 'int32') invalid('index dtype');
  const d = dimOf(dim, base.shape.length);
  if (index.shape.length !== base.shape.length || index.shape.some((s, i) => i !== d && s > base.shape[i])) invalid('index shape');
  return d;
}

const abs = (x: Nd): Nd => ({ shape: x.shape, data: x.data.map(Math.abs) });
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((s, i) => s === b[i]);

export const SPECS: Record<OpName, OpSpec> = {
  ...opsSpecs({ unary: unary as (method: string, f: (v: number) => number, rule: (d: DType) => DType) => OpSpec, result, dimOf, invalid, dimArgArb }),
  neg: { ...unary('neg', (v) => -v, same), ref: ([a], [d]) => (d === 'bool' ? invalid('bool neg') : result(ref.map((v) => -v, a), d)) },
  exp: unary('exp', Math.exp, floating),
  log: unary('log', Math.log, floating),
  sqrt: unary('sqrt', Math.sqrt, floating),
  abs: unary('abs', Math.abs, same),
  sign: unary('sign', Math.sign, same),
  tanh: unary('tanh', Math.tanh, floating),
  sigmoid: unary('sigmoid', sigmoid, floating),
  relu: unary('relu', (v) => Math.max(v, 0), same),
  // relu's gradient g·(a > 0), applied directly as backward does: two operands of one shape and dtype.
  reluBackward: {
    call: inputArb().chain((g) => inputOf(g.shape, g.dtype).map((a) => ({ inputs: [g, a], args: {} }))),
    run: (t) => t[0].applyOp(OPS.reluBackward, [t[0], t[1]], {}),
    ref: (x, [d]) => result(mapB((g, a) => g * Number(a > 0), x[0], x[1]), d),
    names: ['reluBackward'],
  },
  logicalNot: { ...unary('logicalNot', (v) => Number(v === 0), () => 'bool'), ref: ([a]) => result(ref.map((v) => Number(v === 0), a), 'bool', 'exact') },
  // checkRange: x unchanged when every element lies in [min, max]; otherwise the read rejects with a ValueError.
  checkRange: {
    call: fc.tuple(inputArb(), fc.constantFrom(0, -1), fc.constantFrom(1, 2, Number.MAX_VALUE)).map(([a, min, max]) => ({ inputs: [a], args: { min, max } })),
    run: ([a], { min, max }) => a.applyOp(OPS.checkRange, [a], { min, max, what: 'the input' }),
    ref: ([a], [d], { min, max }) => {
      if (!isFloat(d)) invalid('integer input');
      if (a.data.some((v) => !(v >= min && v <= max))) throw new BadIndex('value out of range', ValueError);
      return result(a, d, 'exact');
    },
    names: ['checkRange'],
  },
  clamp: {
    call: fc.tuple(inputArb(), fc.oneof(fc.constant(undefined), numberArb, junkArb), fc.oneof(fc.constant(undefined), numberArb, junkArb)).map(([a, min, max]) => ({ inputs: [a], args: { min, max } })),
    run: ([a], bounds) => a.clamp(bounds),
    ref: ([a], [d], bounds) => {
      // null is no bound, as PyTorch's None; at least one bound is required, as in PyTorch.
      if ((bounds.min ?? null) === null && (bounds.max ?? null) === null) invalid('no bound');
      const min = bounds.min ?? -Infinity;
      const max = bounds.max ?? Infinity;
      if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) invalid('bounds');
      const fractional = [min, max].some((b) => Number.isFinite(b) && !Number.isInteger(b));
      return result(ref.map((v) => Math.min(Math.max(v, min), max), a), fractional ? floating(d) : d);
    },
    names: ['clamp'],
  },
  powScalar: {
    call: fc.tuple(inputArb(), fc.oneof(numberArb, fc.constantFrom(0.5, 2, -1))).map(([a, exponent]) => ({ inputs: [a], args: { exponent } })),
    run: ([a], { exponent }) => a.pow(exponent),
    ref: ([a], [d], { exponent }) => {
      if (!isFloat(d) && Number.isInteger(exponent) && exponent < 0) invalid('integer to a negative power');
      return result(ref.map((v) => Math.pow(v, exponent), a), Number.isInteger(exponent) ? d : floating(d));
    },
    names: ['pow', 'powScalar'],
  },
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: { ...binary('pow'), call: binaryCall().filter((c) => c.args.other.kind !== 'number') },
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  lt: binary('lt'),
  le: binary('le'),
  gt: binary('gt'),
  ge: binary('ge'),
  eq: binary('eq'),
  ne: binary('ne'),
  where: {
    call: inputArb().chain((c) =>
      fc.tuple(
        fc.oneof({ weight: 3, arbitrary: fc.constant<DType>('bool') }, { weight: 1, arbitrary: dtypeArb }).chain((d) => inputOf(c.shape, d)),
        fc.tuple(otherShape(c.shape), dtypeArb).chain(([s, d]) => inputOf(s, d)),
        fc.oneof(numberArb.map((v): unknown => v), fc.constant<unknown>('tensor')),
        fc.oneof(numberArb.map((v): unknown => v), fc.constant<unknown>('tensor'), junkArb),
      ).map(([cond, a, x, y]) => ({ inputs: [cond, a, c], args: { x, y } })),
    ),
    run: ([cond, a, b], { x, y }) => where(cond, x === 'tensor' ? a : (x as number), y === 'tensor' ? b : (y as any)),
    ref: ([cond, a, b], [dc, da, db], { x, y }) => {
      if (typeof y !== 'number' && y !== 'tensor') invalid('junk');
      if (typeof x === 'number' && typeof y === 'number') invalid('two numbers');
      // The number takes the other operand's dtype by the scalar rule, as a.where(cond, 2) does.
      const [xa, xd] = x === 'tensor' ? [a, da] : [scalarNd(storeAs(scalarDtype(db, x as number), x as number)), scalarDtype(db, x as number)];
      const [yb, yd] = y === 'tensor' ? [b, db] : [scalarNd(storeAs(scalarDtype(xd, y as number), y as number)), scalarDtype(xd, y as number)];
      broadcast([cond.shape, xa.shape, yb.shape]);
      if (dc !== 'bool') invalid('condition dtype');
      return result(mapB((c, p, q) => (c !== 0 ? p : q), cond, xa, yb), promote(xd, yd), 'exact');
    },
    names: ['where', 'maskedFill'],
  },
  sum: reduction('sum'),
  max: reduction('max'),
  min: reduction('min'),
  argmax: argReduction('argmax'),
  argmin: argReduction('argmin'),
  matmul: { call: matmulCall, run: ([a, b]) => a.matmul(b), ref: matmulRef, names: ['matmul'] },
  reshape: {
    call: inputArb().chain((a) => fc.tuple(reshapeTarget(a.shape), fc.boolean()).map(([shape, asView]) => ({ inputs: [a], args: { shape, asView } }))),
    run: ([a], { shape, asView }) => (asView ? a.view(shape) : a.reshape(shape)),
    ref: ([a], [d], { shape, asView }) => ({ ...result(ref.reshape(a, reshapeRef(a, shape)), d, 'exact'), mayRefuse: asView }),
    names: ['reshape', 'view'],
  },
  transpose: {
    call: fc.tuple(inputArb(), dimArgArb, dimArgArb).map(([a, d0, d1]) => ({ inputs: [a], args: { d0, d1 } })),
    run: ([a], { d0, d1 }) => a.transpose(d0, d1),
    ref: ([a], [d], { d0, d1 }) => {
      const [i, j] = [dimOf(d0, a.shape.length), dimOf(d1, a.shape.length)];
      return result(a.shape.length === 0 ? a : ref.transpose(a, i, j), d, 'exact');
    },
    names: ['transpose'],
  },
  permute: {
    call: inputArb().chain((a) => fc.oneof(fc.shuffledSubarray(a.shape.map((_, i) => i), { minLength: a.shape.length }), fc.array(dimArgArb, { maxLength: 4 })).map((dims) => ({ inputs: [a], args: { dims } }))),
    run: ([a], { dims }) => a.permute(...dims),
    ref: ([a], [d], { dims }) => result(ref.permute(a, permuteRef(a, dims)), d, 'exact'),
    names: ['permute'],
  },
  expand: {
    call: inputArb().chain((a) => expandTarget(a.shape).map((shape) => ({ inputs: [a], args: { shape } }))),
    run: ([a], { shape }) => a.expand(shape),
    ref: ([a], [d], { shape }) => result(ref.expand(a, expandRef(a, shape)), d, 'exact'),
    names: ['expand'],
  },
  unsqueeze: {
    call: fc.tuple(inputArb(), dimArgArb).map(([a, dim]) => ({ inputs: [a], args: { dim } })),
    run: ([a], { dim }) => a.unsqueeze(dim),
    ref: ([a], [d], { dim }) => {
      const i = dimOf(dim, a.shape.length + 1);
      return result(ref.reshape(a, [...a.shape.slice(0, i), 1, ...a.shape.slice(i)]), d, 'exact');
    },
    names: ['unsqueeze'],
  },
  squeeze: {
    call: fc.tuple(inputArb(), fc.oneof(fc.constant(undefined), dimArgArb)).map(([a, dim]) => ({ inputs: [a], args: { dim } })),
    run: ([a], { dim }) => a.squeeze(dim),
    ref: ([a], [d], { dim }) => {
      if (dim === undefined) return result(ref.reshape(a, a.shape.filter((s) => s !== 1)), d, 'exact');
      const i = dimOf(dim, a.shape.length);
      if (a.shape.length > 0 && a.shape[i] !== 1) invalid('squeeze of a dim that is not 1');
      return result(ref.reshape(a, a.shape.filter((_, k) => k !== i)), d, 'exact');
    },
    names: ['squeeze'],
  },
  narrow: {
    call: fc.tuple(inputArb(1, 3), dimArgArb, fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom<unknown>(0.5, NaN)), fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom<unknown>(1.5, Infinity))).map(([a, dim, start, length]) => ({ inputs: [a], args: { dim, start, length } })),
    run: ([a], { dim, start, length }) => a.narrow(dim, start, length),
    ref: ([a], [d], { dim, start, length }) => {
      const i = dimOf(dim, a.shape.length);
      const size = a.shape[i];
      const from = typeof start === 'number' && start < 0 ? start + size : start;
      if (!Number.isInteger(from) || !Number.isInteger(length) || from < 0 || length < 0 || from + length > size) invalid('range');
      return result(ref.narrow(a, i, from, length), d, 'exact');
    },
    names: ['narrow'],
  },
  pad: {
    call: fc.tuple(inputArb(1, 3), dimArgArb, fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom<unknown>(0.5, NaN)), fc.integer({ min: -1, max: 3 })).map(([a, dim, before, after]) => ({ inputs: [a], args: { dim, before, after } })),
    run: ([a], { dim, before, after }) => a.pad(dim, before, after),
    ref: ([a], [d], { dim, before, after }) => {
      const i = dimOf(dim, a.shape.length);
      if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) invalid('padding');
      return result(ref.pad(a, i, before, after), d, 'exact');
    },
    names: ['pad'],
  },
  cat: {
    call: fc.tuple(inputArb(1, 3), fc.integer({ min: -3, max: 2 }), fc.integer({ min: 0, max: 2 })).chain(([a, dim, extra]) => {
      const d = ((dim % a.shape.length) + a.shape.length) % a.shape.length;
      const part = fc.oneof(
        { weight: 6, arbitrary: fc.tuple(dimArb, dtypeArb).chain(([n, dt]) => inputOf(a.shape.map((s, i) => (i === d ? n : s)), dt)) },
        { weight: 1, arbitrary: inputArb() },
      );
      return fc.tuple(fc.array(part, { minLength: extra, maxLength: extra }), fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>(null) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(3, 'x') })).map(([rest, junk]) => ({ inputs: [a, ...rest], args: { dim, junk } }));
    }),
    run: (t, { dim, junk }) => cat(junk === null ? t : ([...t, junk] as Tensor[]), dim),
    ref: (x, dtypes, { dim, junk }) => {
      if (junk !== null) invalid('not a tensor');
      const i = dimOf(dim, x[0].shape.length);
      for (const t of x) if (t.shape.length !== x[0].shape.length || t.shape.some((s, k) => k !== i && s !== x[0].shape[k])) invalid('shapes');
      return result(ref.cat(x, i), dtypes.reduce(promote), 'exact');
    },
    names: ['cat'],
  },
  contiguous: {
    call: fc.tuple(inputArb(), fc.boolean()).map(([a, clone]) => ({ inputs: [a], args: { clone } })),
    run: ([a], { clone }) => (clone ? a.clone() : a.contiguous()),
    ref: ([a], [d]) => result(a, d, 'exact'),
    names: ['contiguous', 'clone'],
  },
  cast: {
    call: fc.tuple(inputArb(), fc.oneof({ weight: 8, arbitrary: dtypeArb.map((d): unknown => d) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('float16', 'int64', undefined) })).map(([a, dtype]) => ({ inputs: [a], args: { dtype } })),
    run: ([a], { dtype }) => a.to(dtype),
    ref: ([a], _, { dtype }) => (typeof dtype === 'string' && ['float32', 'float64', 'int32', 'bool'].includes(dtype) ? result(a, dtype as DType, 'exact') : invalid('dtype')),
    names: ['to'],
  },
  fullLike: {
    call: fc.tuple(inputArb(), fc.oneof(numberArb.map((v): unknown => v), junkArb), fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, { weight: 4, arbitrary: dtypeArb.map((d): unknown => d) }, { weight: 1, arbitrary: fc.constant<unknown>('half') })).map(([a, value, dtype]) => ({ inputs: [a], args: { value, dtype } })),
    run: ([a], { value, dtype }) => a.fullLike(value, dtype),
    ref: ([a], [d], { value, dtype }) => {
      if (typeof value !== 'number') invalid('fill value');
      if (dtype !== undefined && !['float32', 'float64', 'int32', 'bool'].includes(dtype as string)) invalid('dtype');
      const out = (dtype ?? d) as DType;
      if (out === 'int32' && !Number.isFinite(value)) invalid('non-finite int fill');
      return result(ref.map(() => value, a), out, 'exact');
    },
    names: ['fullLike'],
  },
  indexSelect: {
    call: selectCall(false),
    run: ([a, index], { dim }) => a.indexSelect(dim, index),
    ref: ([a, index], [da, di], { dim }) => {
      if (di !== 'int32') invalid('index dtype');
      const d = dimOf(dim, a.shape.length);
      if (index.shape.length !== 1) invalid('index rank');
      return result(ref.indexSelect(a, d, indexCheck(index, a.shape[d], rowsBefore(a.shape, d))), da, 'exact');
    },
    names: ['indexSelect'],
  },
  indexAdd: {
    call: selectCall(true),
    run: ([a, index, src], { dim }) => a.indexAdd(dim, index, src),
    ref: ([a, index, src], [da, di, ds], { dim }) => {
      if (di !== 'int32') invalid('index dtype');
      const d = dimOf(dim, a.shape.length);
      if (!sameShape(src.shape, a.shape.map((s, i) => (i === d ? index.shape[0] : s)))) invalid('source shape');
      if (ds !== da) invalid('source dtype');
      if (da === 'bool') invalid('indexAdd into bool');
      const idx = indexCheck(index, a.shape[d], rowsBefore(a.shape, d));
      return result(ref.indexAdd(a, d, idx, src), da, 'sum', ref.indexAdd(abs(a), d, idx, abs(src)));
    },
    names: ['indexAdd'],
  },
  gather: {
    call: gatherCall(false),
    run: ([a, index], { dim }) => a.gather(dim, index),
    ref: ([a, index], [da, di], { dim }) => {
      const d = gatherShapeRef(a, index, di, dim);
      indexCheck(index, a.shape[d]);
      return result(ref.gather(a, d, index), da, 'exact');
    },
    names: ['gather'],
  },
  scatterAdd: {
    call: gatherCall(true),
    run: ([a, index, src], { dim }) => a.scatterAdd(dim, index, src),
    ref: ([a, index, src], [da, di, ds], { dim }) => {
      const d = gatherShapeRef(a, index, di, dim);
      if (!sameShape(src.shape, index.shape)) invalid('source shape');
      if (ds !== da) invalid('source dtype');
      if (da === 'bool') invalid('scatterAdd into bool');
      indexCheck(index, a.shape[d]);
      return result(ref.scatterAdd(a, d, index, src), da, 'sum', ref.scatterAdd(abs(a), d, index, abs(src)));
    },
    names: ['scatterAdd'],
  },
  ...SEQ_SPECS,
  ...VISION_SPECS,
};

export { makeTensor, plainOf };
