// Activations, losses, oneHot and pad of issue 11, composed from tensor methods (no kernel or
// backward of their own). Branches are built with where; the branch not taken is fed a clamped
// input, so its gradient is 0·(finite), never 0·∞ = NaN.
import { checkTensorArg, show, userOp } from '../validate.js';
import { arange, tensor } from '../creation.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { OPS } from '../ops/table.js';
import type { Tensor } from '../tensor.js';
import type { LossOptions, Reduction } from './functional.js';

function reduce(op: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'none') return loss;
  throw new ValueError(`${op}: got reduction ${show(reduction)}, expected 'mean', 'sum' or 'none'`);
}

function sameShapes(op: string, a: Tensor, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: got input shape ${fmtShape(a.shape)} and target shape ${fmtShape(b.shape)}, expected equal shapes`);
  }
}

function number(op: string, what: string, v: unknown, check: (v: number) => boolean = Number.isFinite, want = 'a finite number'): number {
  if (typeof v !== 'number' || !check(v)) throw new ValueError(`${op}: got ${what} ${String(v)}, expected ${want}`);
  return v;
}

function options<O extends object>(op: string, o: O | undefined): O {
  if (o !== undefined && (typeof o !== 'object' || o === null)) throw new ValueError(`${op}: got options ${String(o)}, expected an options object`);
  return (o ?? {}) as O;
}

/** x·σ(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

/** x where x > 0, else negativeSlope·x; the gradient at 0 is negativeSlope, as PyTorch's. */
export function leakyRelu(x: Tensor, opts?: { negativeSlope?: number }): Tensor {
  const { negativeSlope = 0.01 } = options('leakyRelu', opts);
  number('leakyRelu', 'negativeSlope', negativeSlope);
  return x.where(x.gt(0), x.mul(negativeSlope));
}

/** x where x > 0, else α(eˣ − 1). */
export function elu(x: Tensor, opts?: { alpha?: number }): Tensor {
  const { alpha = 1 } = options('elu', opts);
  number('elu', 'alpha', alpha);
  return x.where(x.gt(0), x.clamp({ max: 0 }).expm1().mul(alpha));
}

/** log(1 + e^(βx))/β, and x itself where βx > threshold (where the two agree to float precision). */
export function softplus(x: Tensor, opts?: { beta?: number; threshold?: number }): Tensor {
  const { beta = 1, threshold = 20 } = options('softplus', opts);
  number('softplus', 'beta', beta, (v) => Number.isFinite(v) && v !== 0, 'a finite non-zero number');
  number('softplus', 'threshold', threshold);
  const bx = x.mul(beta);
  const soft = bx.clamp({ max: threshold }).exp().log1p().div(beta);
  return x.where(bx.gt(threshold), soft);
}

/** log σ(x) = min(x, 0) − log(1 + e^(−|x|)), stable for large |x|. */
export function logSigmoid(x: Tensor): Tensor {
  return x.clamp({ max: 0 }).sub(x.abs().neg().exp().log1p());
}

/** x clamped to [minVal, maxVal]. */
export function hardtanh(x: Tensor, opts?: { minVal?: number; maxVal?: number }): Tensor {
  const { minVal = -1, maxVal = 1 } = options('hardtanh', opts);
  number('hardtanh', 'minVal', minVal);
  number('hardtanh', 'maxVal', maxVal);
  if (minVal > maxVal) throw new ValueError(`hardtanh: got minVal ${minVal} above maxVal ${maxVal}, expected minVal ≤ maxVal`);
  return x.clamp({ min: minVal, max: maxVal });
}

export interface GeluOptions {
  /** 'none' (the default): x·Φ(x) with the exact erf; 'tanh': ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  approximate?: 'none' | 'tanh';
}

/** GELU (Hendrycks & Gimpel, 2016): x·Φ(x) = ½x(1 + erf(x/√2)), or its tanh approximation. */
export function gelu(x: Tensor, opts?: GeluOptions): Tensor {
  checkTensorArg('gelu', 'input', x);
  const { approximate = 'none' } = options('gelu', opts);
  if (approximate === 'tanh') {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(inner.tanh().add(1)).mul(0.5);
  }
  if (approximate !== 'none') throw new ValueError(`gelu: got approximate ${show(approximate)}, expected 'none' or 'tanh'`);
  return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);
}

/** |input − target|, reduced. */
export function l1Loss(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const { reduction = 'mean' } = options('l1Loss', opts);
  sameShapes('l1Loss', input, target);
  return reduce('l1Loss', input.sub(target).abs(), reduction);
}

/** ½d²/β where |d| < β, else |d| − ½β (d = input − target); β = 0 is the L1 loss. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts?: LossOptions & { beta?: number }): Tensor {
  const { reduction = 'mean', beta = 1 } = options('smoothL1Loss', opts);
  number('smoothL1Loss', 'beta', beta, (v) => Number.isFinite(v) && v >= 0, 'a non-negative number');
  sameShapes('smoothL1Loss', input, target);
  const d = input.sub(target);
  const a = d.abs();
  const loss = beta === 0 ? a : a.sub(0.5 * beta).where(a.ge(beta), d.mul(d).mul(0.5 / beta));
  return reduce('smoothL1Loss', loss, reduction);
}

/** ½d² where |d| < δ, else δ(|d| − ½δ): smoothL1Loss scaled by δ. */
export function huberLoss(input: Tensor, target: Tensor, opts?: LossOptions & { delta?: number }): Tensor {
  const { reduction = 'mean', delta = 1 } = options('huberLoss', opts);
  number('huberLoss', 'delta', delta, (v) => Number.isFinite(v) && v > 0, 'a positive number');
  sameShapes('huberLoss', input, target);
  const d = input.sub(target);
  const a = d.abs();
  return reduce('huberLoss', a.sub(0.5 * delta).mul(delta).where(a.ge(delta), d.mul(d).mul(0.5)), reduction);
}

/**
 * −w·(y·log x + (1 − y)·log(1 − x)) for probabilities x, each log clamped at −100 as in PyTorch
 * (so x = 0 or 1 gives a finite loss). An input outside [0, 1] fails the loss with a ValueError
 * at its read, as PyTorch raises.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, weight: Tensor | null = null, opts?: LossOptions): Tensor {
  const { reduction = 'mean' } = options('binaryCrossEntropy', opts);
  sameShapes('binaryCrossEntropy', input, target);
  input = userOp('binaryCrossEntropy', () => input.applyOp(OPS.checkRange, [input], { min: 0, max: 1, what: 'the input (probabilities)' }));
  const logX = input.log().clamp({ min: -100 });
  const log1mX = input.neg().add(1).log().clamp({ min: -100 });
  let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  if (weight !== null && weight !== undefined) loss = loss.mul(weight);
  return reduce('binaryCrossEntropy', loss, reduction);
}

export interface KlDivOptions {
  /** 'mean' averages over every element (PyTorch's default); 'batchmean' divides the sum by the batch size. */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities. */
  logTarget?: boolean;
}

/** KL(target ‖ exp(input)) pointwise: target·(log target − input), 0 where target = 0; input is log-probabilities. */
export function klDiv(input: Tensor, target: Tensor, opts?: KlDivOptions): Tensor {
  const { reduction = 'mean', logTarget = false } = options('klDiv', opts);
  sameShapes('klDiv', input, target);
  const loss = logTarget ? target.exp().mul(target.sub(input)) : target.mul(target.where(target.gt(0), 1).log()).sub(target.mul(input));
  if (reduction === 'batchmean') return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]);
  return reduce('klDiv', loss, reduction);
}

/**
 * One-hot rows of numClasses int32 entries (PyTorch: int64) for int32 indices of any shape.
 * numClasses is required: inferring it (PyTorch's −1) would have to wait for the device.
 * Indices outside [0, numClasses) give all-zero rows (they are not read back to be refused).
 */
export function oneHot(t: Tensor, opts?: { numClasses?: number }): Tensor {
  const { numClasses } = options('oneHot', opts);
  if (t.dtype !== 'int32') throw new DTypeError(`oneHot: got a tensor of dtype ${t.dtype}, expected int32 class indices`);
  if (numClasses === undefined || numClasses === -1) throw new ValueError('oneHot: got no numClasses, expected { numClasses } (Skein does not read the indices back to infer it)');
  number('oneHot', 'numClasses', numClasses, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  return t.unsqueeze(-1).eq(arange(numClasses)).to('int32');
}

export interface PadOptions {
  mode?: 'constant' | 'reflect' | 'replicate';
  /** The fill of constant mode. */
  value?: number;
}

/**
 * Pads the last dims: pads = [lastBefore, lastAfter, secondLastBefore, …], as torch.nn.functional.pad.
 * constant fills with value (a negative pad crops); reflect mirrors without repeating the edge;
 * replicate repeats the edge. reflect and replicate read through an index (indexSelect).
 */
export function pad(x: Tensor, pads: readonly number[], opts?: PadOptions): Tensor {
  const { mode = 'constant', value = 0 } = options('pad', opts);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length / 2 > x.ndim || pads.some((p) => !Number.isInteger(p))) {
    throw new ValueError(`pad: got pads ${show(pads)} for a tensor of rank ${x.ndim}, expected an even number (at most ${2 * x.ndim}) of integers`);
  }
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate') throw new ValueError(`pad: got mode ${show(mode)}, expected 'constant', 'reflect' or 'replicate'`);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ValueError(`pad: got value ${String(value)}, expected a number`);
  let out = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const d = normalizeDim('pad', -1 - k, x.ndim);
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    const n = out.shape[d];
    if (mode === 'constant') {
      // Negative pads crop first; then zeros are padded and the fill is put where the mask is off.
      const from = Math.max(0, -before);
      const keep = n - from - Math.max(0, -after);
      if (keep < 0) throw new ShapeError(`pad: got pads ${before} and ${after} on dim ${d} of size ${n}, expected crops no larger than the dim`);
      const cropped = out.narrow(d, from, keep);
      const [b, a] = [Math.max(0, before), Math.max(0, after)];
      out = cropped.pad(d, b, a);
      if (value !== 0 && b + a > 0) out = out.where(cropped.fullLike(1, 'bool').pad(d, b, a), value);
      continue;
    }
    if (before < 0 || after < 0) throw new ValueError(`pad: got negative pads ${before} and ${after} in ${mode} mode, expected non-negative pads`);
    if (mode === 'reflect' && (before >= n || after >= n)) {
      throw new ShapeError(`pad: got pads ${before} and ${after} on dim ${d} of size ${n} in reflect mode, expected pads smaller than the dim`);
    }
    if (mode === 'replicate' && n === 0 && before + after > 0) throw new ShapeError(`pad: got an empty dim ${d} in replicate mode, expected a non-empty dim`);
    const index = Array.from({ length: before + n + after }, (_, j) => {
      const i = j - before;
      if (mode === 'replicate') return Math.min(Math.max(i, 0), n - 1);
      return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; // mirror about the edge element
    });
    out = out.indexSelect(d, tensor(index, { dtype: 'int32' }));
  }
  return out;
}
