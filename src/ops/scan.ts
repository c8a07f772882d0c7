// Scans along a dim: cumsum, and the linear recurrence y_i = a_i·y_(i−1) + b_i that cumprod is
// composed from (its gradient, written with the same recurrence run backwards, has no division,
// so zeros in the input are no special case).
import { isFloat, promote } from '../dtype.js';
import { fmtShape, ShapeError } from '../errors.js';
import type { ScanArgs } from '../kernels/scan.js';
import { normalizeDim } from '../shape.js';
import { checkSameShapes, contiguousBuf, defineOp, launch, type Buf, type Meta, type OpDef } from './define.js';

export interface ScanAttrs {
  /** Non-negative; filled in by the method. */
  dim: number;
  /** Scan from the last element of the dim to the first. */
  reverse: boolean;
}

function around(shape: readonly number[], dim: number): { outer: number; size: number; inner: number } {
  const prod = (xs: readonly number[]) => xs.reduce((p, q) => p * q, 1);
  return { outer: prod(shape.slice(0, dim)), size: shape[dim], inner: prod(shape.slice(dim + 1)) };
}

function checkDim(op: string, m: Meta, dim: number): void {
  if (m.shape.length === 0) throw new ShapeError(`${op}: got a 0-d tensor, expected at least one dim to scan`);
  normalizeDim(op, dim, m.shape.length);
}

function launchScan(op: string, kind: ScanArgs['kind'], out: Buf, b: Buf, a: Buf | null, { dim, reverse }: ScanAttrs): void {
  const bc = contiguousBuf(op, b);
  const ac = a === null ? null : contiguousBuf(op, a);
  const args: ScanArgs = { kind, b: bc.storage.data, bOffset: bc.offset, a: ac?.storage.data, aOffset: ac?.offset, out: out.storage.data, reverse, ...around(out.shape, dim) };
  launch(op, { kernel: 'scan', args }, ac === null ? [bc] : [bc, ac], [out]);
}

/** Running sums; integers and bools sum as int32 (PyTorch: int64). d/dx_i = Σ_(j≥i) g_j: the reverse scan of g. */
export const cumsum: OpDef<ScanAttrs> = defineOp<ScanAttrs>({
  name: 'cumsum',
  arity: 1,
  shape: ([a], { dim }) => (checkDim('cumsum', a, dim), { shape: a.shape, dtype: isFloat(a.dtype) ? a.dtype : 'int32' }),
  forward: (out, [x], attrs) => launchScan('cumsum', 'sum', out, x, null, attrs),
  grad: (g, _, __, { dim, reverse }) => [g.applyOp(cumsum, [g], { dim, reverse: !reverse })],
  saves: 'none',
});

/** Shifts x one step along dim, towards the end (forward) or the start, filling with 0. */
function shifted(x: any, dim: number, towardEnd: boolean): any {
  const n = x.shape[dim];
  if (n === 0) return x;
  return towardEnd ? x.narrow(dim, 0, n - 1).pad(dim, 1, 0) : x.narrow(dim, 1, n - 1).pad(dim, 0, 1);
}

/**
 * y_i = a_i·y_(i−1) + b_i with y_0 = b_0 (reverse: y_i = a_i·y_(i+1) + b_i from the end). Backward: with
 * S_i = ∂L/∂y_i summed over every later y, S_i = g_i + a_(i+1)·S_(i+1), the same recurrence
 * run the other way over a shifted a; then ∂L/∂b_i = S_i and ∂L/∂a_i = S_i·y_(i−1).
 */
export const linearScan: OpDef<ScanAttrs> = defineOp<ScanAttrs>({
  name: 'linearScan',
  arity: 2,
  broadcast: true,
  shape: (inputs, { dim }) => {
    const shape = checkSameShapes('linearScan', inputs);
    checkDim('linearScan', inputs[0], dim);
    if (inputs.some((m) => m.dtype === 'bool')) throw new ShapeError(`linearScan: got a bool operand of shape ${fmtShape(shape)}, expected numbers`);
    return { shape, dtype: promote(inputs[0].dtype, inputs[1].dtype) };
  },
  forward: (out, [a, b], attrs) => launchScan('linearScan', 'linear', out, b, a, attrs),
  grad: (g, [a], out, { dim, reverse }) => {
    const s: any = g.applyOp(linearScan, [shifted(a, dim, reverse), g], { dim, reverse: !reverse });
    return [s.mul(shifted(out, dim, !reverse)), s];
  },
  saves: 'inputsAndOutput',
});
