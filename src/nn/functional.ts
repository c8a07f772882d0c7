// Functional layers and losses, composed from tensor methods: each has no kernel and no backward
// of its own (autograd differentiates the composition).
import { rand } from '../creation.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkShape, checkTensorArg, optionsOf, show, userOp } from '../validate.js';

export type Reduction = 'mean' | 'sum' | 'none';

export * from './functional-ops.js';

function reduce(op: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'none') return loss;
  throw new ValueError(`${op}: got reduction ${show(reduction)}, expected 'mean', 'sum' or 'none'`);
}

function sameShapes(op: string, a: Tensor, b: Tensor): void {
  checkTensorArg(op, 'input', a);
  checkTensorArg(op, 'target', b);
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: got input shape ${fmtShape(a.shape)} and target shape ${fmtShape(b.shape)}, expected equal shapes`);
  }
}

/** x·Wᵀ + b, with W of shape [out, in] as PyTorch stores it. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensorArg('linear', 'input', x);
  checkTensorArg('linear', 'weight', weight);
  if (bias !== undefined && bias !== null) checkTensorArg('linear', 'bias', bias);
  return userOp('linear', () => {
    const y = x.matmul(weight.t());
    return bias === undefined || bias === null ? y : y.add(bias);
  });
}

/**
 * Zeroes each element with probability p (draws from Skein's seeded generator) and scales the
 * rest by 1/(1 − p), so the expectation is unchanged; the identity when not training.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`dropout: got p ${show(p)}, expected a probability in [0, 1]`);
  checkTensorArg('dropout', 'input', x);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { dtype: x.dtype }).ge(p);
  return x.mul(keep).mul(1 / (1 - p));
}

/** (x − mean)/√(var + eps) over the trailing dims of normalizedShape (biased variance), then ·weight + bias. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkTensorArg('layerNorm', 'input', x);
  checkShape('layerNorm', normalizedShape, 'normalizedShape');
  return userOp('layerNorm', () => layerNormIn(x, normalizedShape, weight, bias, eps));
}

function layerNormIn(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || x.ndim < k || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(`layerNorm: got input shape ${fmtShape(x.shape)}, expected it to end with the normalized shape ${fmtShape(normalizedShape)}`);
  }
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const centred = x.sub(x.mean(dims, true));
  const variance = centred.mul(centred).mean(dims, true);
  let y = centred.div(variance.add(eps).sqrt());
  if (weight !== undefined && weight !== null) y = y.mul(weight);
  if (bias !== undefined && bias !== null) y = y.add(bias);
  return y;
}

export interface LossOptions {
  reduction?: Reduction;
}

/** Mean (or sum) of (input − target)². */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return userOp('mseLoss', () => mseLossIn(input, target, optionsOf('mseLoss', options, ['reduction'])));
}

function mseLossIn(input: Tensor, target: Tensor, { reduction = 'mean' }: LossOptions): Tensor {
  sameShapes('mseLoss', input, target);
  const d = input.sub(target);
  return reduce('mseLoss', d.mul(d), reduction);
}

function checkClassTarget(op: string, input: Tensor, target: Tensor): void {
  checkTensorArg(op, 'input', input);
  checkTensorArg(op, 'target', target);
  if (target.dtype !== 'int32') throw new DTypeError(`${op}: got a target of dtype ${target.dtype}, expected int32 class indices`);
  const want = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (input.ndim === 0 || target.ndim !== want.length || target.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: got input shape ${fmtShape(input.shape)} and target shape ${fmtShape(target.shape)}, expected input [N, C, …] with target [N, …] (or input [C] with a 0-d target)`);
  }
}

/** −logp[target] per sample, along the class dim (1, or 0 for a single sample); 0 where target is ignoreIndex. */
function pickedNll(logp: Tensor, target: Tensor, keep: Tensor | null): Tensor {
  const classDim = logp.ndim === 1 ? 0 : 1;
  const safe = keep === null ? target : target.where(keep, 0);
  const nll = logp.gather(classDim, safe.unsqueeze(classDim)).squeeze(classDim).neg();
  return keep === null ? nll : nll.where(keep, 0);
}

/** Which targets count (null: all), for PyTorch's ignoreIndex (default −100). */
function kept(op: string, target: Tensor, ignoreIndex: number): Tensor | null {
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex)) throw new ValueError(`${op}: got ignoreIndex ${show(ignoreIndex)}, expected an integer`);
  return target.ne(ignoreIndex);
}

/** 'mean' over the targets that count: Σ loss / (count not ignored), NaN when every one is ignored (as PyTorch). */
function reduceKept(op: string, loss: Tensor, keep: Tensor | null, reduction: Reduction): Tensor {
  if (reduction !== 'mean' || keep === null) return reduce(op, loss, reduction);
  return loss.sum().div(keep.sum().to(loss.dtype));
}

export interface NllLossOptions extends LossOptions {
  /** Targets equal to it add nothing to the loss or the mean's count. */
  ignoreIndex?: number;
}

/** The negative log-likelihood of int32 class targets under log-probabilities [N, C, …]. */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const { reduction = 'mean', ignoreIndex = -100 } = optionsOf('nllLoss', options, ['reduction', 'ignoreIndex']) as NllLossOptions;
  checkClassTarget('nllLoss', logProbs, target);
  return userOp('nllLoss', () => {
    const keep = kept('nllLoss', target, ignoreIndex);
    return reduceKept('nllLoss', pickedNll(logProbs, target, keep), keep, reduction);
  });
}

export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * ε: the target becomes (1 − ε)·one-hot + ε/C, so the loss is (1 − ε)·nll + ε·mean over classes of −logp.
   */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy of logits [N, C, …] against int32 class targets [N, …], or against
 * class probabilities of the logits' shape (float targets): −Σ_c target_c·logp_c per sample.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return userOp('crossEntropy', () => crossEntropyIn(logits, target, optionsOf('crossEntropy', options, ['reduction', 'labelSmoothing', 'ignoreIndex'])));
}

function crossEntropyIn(logits: Tensor, target: Tensor, { reduction = 'mean', labelSmoothing = 0, ignoreIndex = -100 }: CrossEntropyOptions): Tensor {
  checkTensorArg('crossEntropy', 'input', logits);
  checkTensorArg('crossEntropy', 'target', target);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ValueError(`crossEntropy: got labelSmoothing ${show(labelSmoothing)}, expected a number in [0, 1]`);
  }
  const classDim = logits.ndim === 1 ? 0 : 1;
  if (target.dtype === 'float32' || target.dtype === 'float64') {
    if (target.ndim !== logits.ndim || target.shape.some((d, i) => d !== logits.shape[i])) {
      throw new DTypeError(`crossEntropy: got a target of dtype ${target.dtype}, expected int32 class indices (or float class probabilities of the input's shape ${fmtShape(logits.shape)}; got shape ${fmtShape(target.shape)})`);
    }
    const classes = logits.shape[classDim];
    const soft = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / classes) : target;
    return reduce('crossEntropy', soft.mul(logits.logSoftmax(classDim)).sum(classDim).neg(), reduction);
  }
  checkClassTarget('crossEntropy', logits, target);
  const keep = kept('crossEntropy', target, ignoreIndex);
  const logp = logits.logSoftmax(classDim);
  let loss = pickedNll(logp, target, keep);
  if (labelSmoothing > 0) {
    const smooth = logp.mean(classDim).neg();
    loss = loss.mul(1 - labelSmoothing).add((keep === null ? smooth : smooth.where(keep, 0)).mul(labelSmoothing));
  }
  return reduceKept('crossEntropy', loss, keep, reduction);
}

/**
 * Sigmoid + binary cross-entropy in one stable expression (PyTorch's):
 *   loss = (1 − y)·x + m + log(e^(−m) + e^(−x−m)),  m = max(−x, 0)
 * m cancels in the derivative, which is exactly σ(x) − y, even at x = 0.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return userOp('binaryCrossEntropyWithLogits', () => bceIn(logits, target, optionsOf('binaryCrossEntropyWithLogits', options, ['reduction'])));
}

function bceIn(logits: Tensor, target: Tensor, { reduction = 'mean' }: LossOptions): Tensor {
  sameShapes('binaryCrossEntropyWithLogits', logits, target);
  const m = logits.neg().clamp({ min: 0 });
  const logTerm = m.neg().exp().add(logits.neg().sub(m).exp()).log();
  const loss = target.neg().add(1).mul(logits).add(m).add(logTerm);
  return reduce('binaryCrossEntropyWithLogits', loss, reduction);
}
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';

export * from './functional-vision.js';
export * from './functional-norm.js';
