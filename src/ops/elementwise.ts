// Elementwise ops: one map pass each. Inputs arrive broadcast to one shape, so no formula here
// reduces axes; the expands the engine inserted do that on the way back.
import { UNARY, BINARY, TERNARY } from '../kernels/elementwise.js';
import { isFloat, promote } from '../dtype.js';
import { DTypeError, ValueError } from '../errors.js';
import { checkSameShapes, defineOp, floating, launchMap, predicate, promoted, type GradFn, type Meta, type OpDef } from './define.js';
import { show } from '../validate.js';

export function mapOp<A = Record<string, never>>(
  name: string,
  arity: number,
  expr: string | ((attrs: A) => string),
  shape: (inputs: Meta[], attrs: A) => Meta,
  grad: GradFn<A> | null,
  saves: OpDef['saves'] = 'inputs',
  params?: (attrs: A) => number[],
): OpDef<A> {
  return defineOp<A>({
    name,
    arity,
    broadcast: arity > 1,
    map: { expr, params },
    shape,
    forward: (out, inputs, attrs, inPlace) => launchMap(name, typeof expr === 'function' ? expr(attrs) : expr, out, inputs, params?.(attrs) ?? [], inPlace),
    grad,
    saves,
  });
}

/** PyTorch refuses − on bools (neg, and sub of two bools): the result would not be a bool. */
const refuseBool = (op: string, instead: string, rule: (inputs: Meta[]) => Meta) => (inputs: Meta[]): Meta => {
  if (inputs.every((m) => m.dtype === 'bool')) throw new DTypeError(`${op}: got ${inputs.length === 1 ? 'a bool tensor' : 'two bool tensors'}; subtraction and negation are not defined for bool, expected ${instead} to invert or compare masks`);
  return rule(inputs);
};

export const same = (op: string) => (inputs: Meta[]): Meta => ({ shape: checkSameShapes(op, inputs), dtype: inputs[0].dtype });

export const neg = mapOp('neg', 1, UNARY.neg, refuseBool('neg', 'logicalNot()', same('neg')), (g) => [g.neg()], 'none');
export const exp = mapOp('exp', 1, UNARY.exp, floating('exp'), (g, _, out) => [g.mul(out)], 'output');
export const log = mapOp('log', 1, UNARY.log, floating('log'), (g, [a]) => [g.div(a)]);
export const sqrt = mapOp('sqrt', 1, UNARY.sqrt, floating('sqrt'), (g, _, out) => [g.div(out.mul(2))], 'output'); // d√a = 1/(2√a)
// g·sign(a) from comparisons (bool masks carry no graph), so abs is twice differentiable (d² = 0) without a path through sign.
export const abs = mapOp('abs', 1, UNARY.abs, same('abs'), (g, [a]) => [g.mul(a.gt(0)).sub(g.mul(a.lt(0)))]);
// The derivative is zero almost everywhere (and taken as 0 at the jump, as PyTorch does).
export const sign = mapOp('sign', 1, UNARY.sign, same('sign'), (g) => [g.zerosLike()], 'none');
export const tanh = mapOp('tanh', 1, UNARY.tanh, floating('tanh'), (g, _, out) => [g.mul(out.mul(out).neg().add(1))], 'output'); // 1 − tanh²
export const sigmoid = mapOp('sigmoid', 1, UNARY.sigmoid, floating('sigmoid'), (g, _, out) => [g.mul(out.mul(out.neg().add(1)))], 'output'); // σ(1 − σ)
// The gradient is one fused pass, not g.mul(a.gt(0)): W2 spent two passes and a bool mask per layer on it.
export const relu = mapOp('relu', 1, UNARY.relu, same('relu'), (g, [a]) => [g.applyOp(reluBackward, [g, a], {})]);
/** reluBackward(g, a) = g·(a > 0). Linear in g; in a it is piecewise constant: no gradient. */
export const reluBackward: OpDef = mapOp('reluBackward', 2, BINARY.reluBackward, same('reluBackward'), (gg, [, a]) => [gg.applyOp(reluBackward, [gg, a], {}), null]);
export const logicalNot = mapOp('logicalNot', 1, UNARY.logicalNot, predicate('logicalNot'), null);

export interface ClampAttrs {
  min: number;
  max: number;
}
/** The gradient passes where min ≤ a ≤ max, as in PyTorch. */
export const clamp = mapOp<ClampAttrs>(
  'clamp',
  1,
  // clamp({min: 0}) is the tutorial's ReLU: the branch-free ReLU loop, not Math.max's.
  ({ min, max }) => (min === 0 && max === Infinity ? UNARY.relu : UNARY.clamp),
  (inputs, { min, max }) => {
    // Checked here, not only in the method, so clamp_ and graph nodes refuse NaN bounds too.
    if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) {
      throw new ValueError(`clamp: got min ${show(min)} and max ${show(max)}, expected numbers (not NaN)`);
    }
    const m = same('clamp')(inputs);
    // A fractional bound on an integer tensor gives a float result (as PyTorch), not a truncated bound.
    const fractional = [min, max].some((b) => Number.isFinite(b) && !Number.isInteger(b));
    return fractional && !isFloat(m.dtype) ? { shape: m.shape, dtype: 'float32' } : m;
  },
  (g, [a], _, { min, max }) => {
    let mask = g;
    if (min > -Infinity) mask = mask.mul(a.ge(min));
    if (max < Infinity) mask = mask.mul(a.le(max));
    return [mask];
  },
  'inputs',
  ({ min, max }) => [min, max],
);

export interface PowScalarAttrs {
  exponent: number;
}
/** d(aᵖ)/da = p·aᵖ⁻¹ */
export const powScalar = mapOp<PowScalarAttrs>(
  'powScalar',
  1,
  UNARY.powScalar,
  (inputs, { exponent }) => {
    const m = same('powScalar')(inputs);
    if (!Number.isInteger(exponent)) return floating('powScalar')(inputs);
    // 2 ** -1 has no integer value (it would truncate to 0 silently); PyTorch refuses it too.
    if (exponent < 0 && !isFloat(m.dtype)) {
      throw new ValueError(`pow: got a ${m.dtype} tensor and the negative exponent ${exponent}, expected a non-negative exponent for an integer tensor (or a float tensor)`);
    }
    return m;
  },
  // a⁰ = 1 has derivative 0 everywhere, a = 0 included (0·0⁻¹ would be NaN).
  (g, [a], _, { exponent }) => [exponent === 0 ? g.zerosLike() : exponent === 2 ? g.mul(a.mul(2)) : g.mul(a.pow(exponent - 1).mul(exponent))],
  'inputs',
  ({ exponent }) => [exponent],
);

export const add = mapOp('add', 2, BINARY.add, promoted('add'), (g) => [g, g], 'none');
export const sub = mapOp('sub', 2, BINARY.sub, refuseBool('sub', 'logicalXor or ne', promoted('sub')), (g) => [g, g.neg()], 'none');
export const mul = mapOp('mul', 2, BINARY.mul, promoted('mul'), (g, [a, b]) => [g.mul(b), g.mul(a)]);
export const div = mapOp('div', 2, BINARY.div, floating('div'), (g, [a, b]) => [g.div(b), g.neg().mul(a).div(b.mul(b))]); // d(a/b)/db = −a/b²
/**
 * d(aᵇ)/da = b·aᵇ⁻¹ and d(aᵇ)/db = aᵇ·ln a, with PyTorch's limits where those read 0·∞:
 * d/da = 0 where b = 0, and d/db = 0 where a = 0 and b ≥ 0.
 */
export const pow = mapOp(
  'pow',
  2,
  BINARY.pow,
  floating('pow'),
  (g, [a, b], out) => [
    g.mul(b.mul(a.pow(b.sub(1))).maskedFill(b.eq(0), 0)),
    g.mul(out.mul(a.log()).maskedFill(a.eq(0).mul(b.ge(0)), 0)),
  ],
  'inputsAndOutput',
);
/** Ties share the gradient equally, as in PyTorch. */
export const maximum = mapOp('maximum', 2, BINARY.maximum, promoted('maximum'), (g, [a, b]) => {
  const w = a.gt(b).add(a.eq(b).mul(0.5));
  return [g.mul(w), g.mul(w.neg().add(1))];
});
export const minimum = mapOp('minimum', 2, BINARY.minimum, promoted('minimum'), (g, [a, b]) => {
  const w = a.lt(b).add(a.eq(b).mul(0.5));
  return [g.mul(w), g.mul(w.neg().add(1))];
});

// Comparisons have no gradient; their bool outputs never require one.
export const lt = mapOp('lt', 2, BINARY.lt, predicate('lt'), null);
export const le = mapOp('le', 2, BINARY.le, predicate('le'), null);
export const gt = mapOp('gt', 2, BINARY.gt, predicate('gt'), null);
export const ge = mapOp('ge', 2, BINARY.ge, predicate('ge'), null);
export const eq = mapOp('eq', 2, BINARY.eq, predicate('eq'), null);
export const ne = mapOp('ne', 2, BINARY.ne, predicate('ne'), null);

/** where(cond, a, b): a where cond is true, else b. */
export const where = mapOp(
  'where',
  3,
  TERNARY.where,
  (inputs) => {
    if (inputs[0].dtype !== 'bool') throw new DTypeError(`where: got a condition of dtype ${inputs[0].dtype}, expected bool (compare first, e.g. x.gt(0))`);
    return { shape: checkSameShapes('where', inputs), dtype: promote(inputs[1].dtype, inputs[2].dtype) };
  },
  (g, [cond]) => [null, g.where(cond, 0), g.where(cond.logicalNot(), 0)],
);
