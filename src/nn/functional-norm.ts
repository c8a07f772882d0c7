// nn.functional's batch and group normalisation, composed from tensor methods (autograd
// differentiates the composition). Running statistics are updated in place, outside autograd.
import { noGrad } from '../autograd/grad-mode.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { OPS } from '../ops/table.js';
import type { Tensor } from '../tensor.js';

export interface BatchNormOptions {
  /** Normalise with the batch's statistics (and update the running ones); default false, as PyTorch. */
  training?: boolean;
  /** running ← (1 − momentum)·running + momentum·batch statistic. */
  momentum?: number;
  eps?: number;
}

function checkVector(op: string, what: string, t: Tensor | null | undefined, c: number): void {
  if (t === null || t === undefined) return;
  if (t.ndim !== 1 || t.shape[0] !== c) throw new ShapeError(`${op}: got ${what} of shape ${fmtShape(t.shape)}, expected [${c}]`);
}

/** [1, C, 1, …]: a per-channel vector that broadcasts over x [N, C, …]. */
const perChannel = (t: Tensor, x: Tensor) => t.reshape([1, x.shape[1], ...new Array<number>(x.ndim - 2).fill(1)]);

/**
 * Batch normalisation of x [N, C, …] per channel C:
 *   y = (x − μ) / √(σ² + eps) · weight + bias
 * Training uses the batch's μ and biased σ², and moves the running statistics toward μ and the
 * unbiased σ²·n/(n − 1) (n = elements per channel), as PyTorch; eval uses the running ones.
 * @example const y = nn.functional.batchNorm(x, mean, var_, gamma, beta, { training: true })
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null, { training = false, momentum = 0.1, eps = 1e-5 }: BatchNormOptions = {}): Tensor {
  const op = 'batchNorm';
  if (x.ndim < 2) throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)}, expected [N, C, …]`);
  const c = x.shape[1] as number;
  checkVector(op, 'runningMean', runningMean, c);
  checkVector(op, 'runningVar', runningVar, c);
  checkVector(op, 'weight', weight, c);
  checkVector(op, 'bias', bias, c);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new ValueError(`${op}: got momentum ${String(momentum)}, expected a number in [0, 1]`);
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ValueError(`${op}: got eps ${String(eps)}, expected a non-negative number`);
  let mean: Tensor;
  let variance: Tensor;
  if (training) {
    const n = x.numel() / c;
    if (n <= 1) throw new ValueError(`${op}: got input shape ${fmtShape(x.shape)}, expected more than 1 value per channel when training`);
    // One launch for both statistics (their gradient is the op's own formula).
    const stats = x.applyOp(OPS.batchNormStats, [x], {});
    mean = perChannel(stats.narrow(0, 0, 1), x);
    variance = perChannel(stats.narrow(0, 1, 1), x);
    noGrad(() => {
      if (runningMean !== null) runningMean.mul_(1 - momentum).add_(mean.reshape([c]).mul(momentum));
      if (runningVar !== null) runningVar.mul_(1 - momentum).add_(variance.reshape([c]).mul((momentum * n) / (n - 1)));
    });
  } else {
    if (runningMean === null || runningVar === null) throw new ValueError(`${op}: got no running statistics, expected runningMean and runningVar when not training`);
    mean = perChannel(runningMean, x);
    variance = perChannel(runningVar, x);
  }
  let y = x.sub(mean).div(variance.add(eps).sqrt());
  if (weight !== null) y = y.mul(perChannel(weight, x));
  if (bias !== null) y = y.add(perChannel(bias, x));
  return y;
}

export interface GroupNormOptions {
  eps?: number;
}

/**
 * Group normalisation of x [N, C, …]: the C channels are split into numGroups groups, each
 * normalised over its channels and positions (biased variance), then ·weight[C] + bias[C].
 * @example const y = nn.functional.groupNorm(x, 8, gamma, beta)
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, { eps = 1e-5 }: GroupNormOptions = {}): Tensor {
  const op = 'groupNorm';
  if (x.ndim < 2) throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)}, expected [N, C, …]`);
  const c = x.shape[1] as number;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new ValueError(`${op}: got numGroups ${String(numGroups)} for ${c} channels, expected a positive divisor of the channel count`);
  }
  checkVector(op, 'weight', weight, c);
  checkVector(op, 'bias', bias, c);
  const grouped = x.reshape([x.shape[0], numGroups, -1]);
  const centred = grouped.sub(grouped.mean(2, true));
  const variance = centred.mul(centred).mean(2, true);
  let y = centred.div(variance.add(eps).sqrt()).reshape(x.shape);
  if (weight !== null) y = y.mul(perChannel(weight, x));
  if (bias !== null) y = y.add(perChannel(bias, x));
  return y;
}
