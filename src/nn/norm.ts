// Batch and group normalisation layers, with PyTorch's parameter and buffer names, so state
// dicts map one to one: weight, bias, running_mean, running_var, num_batches_tracked.
import { noGrad } from '../autograd/grad-mode.js';
import { ones, zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { batchNorm, groupNorm } from './functional-norm.js';
import { Module, Parameter } from './module.js';

export interface BatchNormModuleOptions {
  eps?: number;
  /** null: a cumulative average (factor 1/num_batches_tracked), as PyTorch's momentum=None. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

abstract class BatchNormNd extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;
  declare readonly running_mean: Tensor | null;
  declare readonly running_var: Tensor | null;
  declare readonly num_batches_tracked: Tensor | null;

  constructor(private readonly op: string, private readonly ranks: number[], readonly numFeatures: number, { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = 'float32' }: BatchNormModuleOptions) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new ValueError(`${op}: got numFeatures ${String(numFeatures)}, expected a positive integer`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new ValueError(`${op}: got momentum ${String(momentum)}, expected a number in [0, 1] or null`);
    this.eps = eps;
    this.momentum = momentum;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? Parameter(zeros([numFeatures], { dtype })) : null;
    if (trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    } else {
      Object.assign(this, { running_mean: null, running_var: null, num_batches_tracked: null });
    }
  }

  get runningMean(): Tensor | null {
    return this.running_mean;
  }

  get runningVar(): Tensor | null {
    return this.running_var;
  }

  /**
   * Training (train()): batch statistics, and the running ones move toward them; eval(): the
   * running statistics (or the batch's when none are tracked), exactly as PyTorch.
   */
  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim)) throw new ShapeError(`${this.op}: got input shape ${fmtShape(x.shape)}, expected ${this.ranks.join('-D or ')}-D input`);
    if (x.shape[1] !== this.numFeatures) throw new ShapeError(`${this.op}: got input shape ${fmtShape(x.shape)}, expected ${this.numFeatures} channels in dim 1`);
    let factor = this.momentum ?? 0;
    if (this.training && this.num_batches_tracked !== null) {
      const tracked = this.num_batches_tracked;
      noGrad(() => tracked.add_(1));
      // momentum null: the running statistics are the plain average of all batches so far.
      if (this.momentum === null) factor = 1 / (this.batchesSeen += 1);
    }
    const useBatch = this.training || this.running_mean === null;
    return batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, { training: useBatch, momentum: factor, eps: this.eps });
  }

  /** Batches counted since construction, host-side, for momentum null (the buffer lives on the device). */
  private batchesSeen = 0;
}

/**
 * Batch normalisation over [N, C] or [N, C, L], per channel.
 * @example const bn = new nn.BatchNorm1d(64)
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super('BatchNorm1d', [2, 3], numFeatures, options);
  }
}

/**
 * Batch normalisation over [N, C, H, W], per channel.
 * @example const bn = new nn.BatchNorm2d(32); bn.eval(); // running statistics from now on
 */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super('BatchNorm2d', [4], numFeatures, options);
  }
}

export interface GroupNormModuleOptions {
  eps?: number;
  affine?: boolean;
  dtype?: DType;
}

/**
 * Group normalisation: weight (ones) and bias (zeros) per channel, as PyTorch.
 * @example const gn = new nn.GroupNorm(8, 64)
 */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, { eps = 1e-5, affine = true, dtype = 'float32' }: GroupNormModuleOptions = {}) {
    super();
    if (!Number.isInteger(numChannels) || numChannels <= 0 || !Number.isInteger(numGroups) || numGroups <= 0 || numChannels % numGroups !== 0) {
      throw new ValueError(`GroupNorm: got numGroups ${String(numGroups)} and numChannels ${String(numChannels)}, expected positive integers with numChannels divisible by numGroups`);
    }
    this.eps = eps;
    this.weight = affine ? Parameter(ones([numChannels], { dtype })) : null;
    this.bias = affine ? Parameter(zeros([numChannels], { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) throw new ShapeError(`GroupNorm: got input shape ${fmtShape(x.shape)}, expected [N, ${this.numChannels}, …]`);
    return groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }
}
