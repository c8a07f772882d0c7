// More elementwise math: trigonometry, erf, rounding, log1p/expm1, reciprocals and the float
// predicates. One map pass each, like elementwise.ts; rounding passes a zero gradient (the
// derivative is 0 almost everywhere, as PyTorch takes it).
import { UNARY } from '../kernels/elementwise.js';
import { floating, predicate } from './define.js';
import { mapOp, same } from './elementwise.js';

const zeroGrad = (g: any) => [g.zerosLike()];
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const sin = mapOp('sin', 1, UNARY.sin, floating('sin'), (g, [a]) => [g.mul(a.cos())]);
export const cos = mapOp('cos', 1, UNARY.cos, floating('cos'), (g, [a]) => [g.mul(a.sin()).neg()]);
/** d erf(a)/da = 2/√π · e^(−a²) */
export const erf = mapOp('erf', 1, UNARY.erf, floating('erf'), (g, [a]) => [g.mul(a.mul(a).neg().exp().mul(TWO_OVER_SQRT_PI))]);
export const floor = mapOp('floor', 1, UNARY.floor, same('floor'), zeroGrad, 'none');
export const ceil = mapOp('ceil', 1, UNARY.ceil, same('ceil'), zeroGrad, 'none');
/** Halves go to the even neighbour, as torch.round. */
export const round = mapOp('round', 1, UNARY.round, same('round'), zeroGrad, 'none');
export const trunc = mapOp('trunc', 1, UNARY.trunc, same('trunc'), zeroGrad, 'none');
export const log1p = mapOp('log1p', 1, UNARY.log1p, floating('log1p'), (g, [a]) => [g.div(a.add(1))]);
/** d(eᵃ − 1)/da = eᵃ = out + 1 */
export const expm1 = mapOp('expm1', 1, UNARY.expm1, floating('expm1'), (g, _, out) => [g.mul(out.add(1))], 'output');
/** d a^(−½)/da = −½·a^(−3/2) = −½·out³ */
export const rsqrt = mapOp('rsqrt', 1, UNARY.rsqrt, floating('rsqrt'), (g, _, out) => [g.mul(out.mul(out).mul(out)).mul(-0.5)], 'output');
/** d(1/a)/da = −1/a² = −out² */
export const reciprocal = mapOp('reciprocal', 1, UNARY.reciprocal, floating('reciprocal'), (g, _, out) => [g.mul(out.mul(out)).neg()], 'output');
export const square = mapOp('square', 1, UNARY.square, same('square'), (g, [a]) => [g.mul(a.mul(2))]);
// Predicates: bool outputs, no gradient.
export const isnan = mapOp('isnan', 1, UNARY.isnan, predicate('isnan'), null);
export const isinf = mapOp('isinf', 1, UNARY.isinf, predicate('isinf'), null);
export const isfinite = mapOp('isfinite', 1, UNARY.isfinite, predicate('isfinite'), null);
