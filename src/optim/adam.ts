// Adam and AdamW by PyTorch's rules (torch.optim.Adam / AdamW): three fused passes per parameter
// (first moment, second moment, weights), in that order on the stream.
import { show } from '../validate.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

const ADAM_UNSUPPORTED = {
  amsgrad: 'AMSGrad is not implemented',
  maximize: 'maximize is not implemented',
  foreach: 'Skein fuses every update already',
  capturable: 'not applicable',
  differentiable: 'not implemented',
  fused: 'Skein fuses every update already',
};

export interface AdamOptions {
  [key: string]: number | readonly number[];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/**
 * Adam (Kingma & Ba, 2015), with bias correction and L2 weight decay added to the gradient:
 *   g ← ∇ + λ·w
 *   m ← β1·m + (1 − β1)·g        v ← β2·v + (1 − β2)·g²
 *   w ← w − (lr/(1 − β1ᵗ)) · m / (√v/√(1 − β2ᵗ) + ε)
 * @example const opt = new optim.Adam(model.parameters(), { lr: 1e-3 })
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options, ADAM_UNSUPPORTED);
  }

  /** AdamW decays the weights directly; Adam adds λ·w to the gradient. */
  protected readonly decoupled: boolean = false;

  protected validate({ lr, betas, eps, weightDecay }: AdamOptions): void {
    const name = this.constructor.name;
    if (!(lr >= 0)) throw new ValueError(`${name}: got lr ${lr}, expected a number ≥ 0`);
    if (!(eps >= 0)) throw new ValueError(`${name}: got eps ${eps}, expected a number ≥ 0`);
    if (!(weightDecay >= 0)) throw new ValueError(`${name}: got weightDecay ${weightDecay}, expected a number ≥ 0`);
    if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => b >= 0 && b < 1)) {
      throw new ValueError(`${name}: got betas ${show(betas)}, expected two numbers in [0, 1)`);
    }
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, { lr, betas, eps, weightDecay }: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = betas;
    const m = this.buffer(p, state, 'expAvg');
    const v = this.buffer(p, state, 'expAvgSq');
    const l2 = this.decoupled ? 0 : weightDecay;
    // a = moment, b = ∇, c = w; g = b + p2·c
    this.update(m, 'p0 * a + p1 * (b + p2 * c)', [m, grad, p], [beta1, 1 - beta1, l2]);
    this.update(v, 'p0 * a + p1 * (b + p2 * c) * (b + p2 * c)', [v, grad, p], [beta2, 1 - beta2, l2]);
    const stepSize = lr / (1 - beta1 ** state.step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** state.step);
    const shrink = this.decoupled ? 1 - lr * weightDecay : 1;
    // a = w, b = m, c = v
    this.update(p, 'a * p3 - p0 * b / (Math.sqrt(c) / p1 + p2)', [p, m, v], [stepSize, bc2Sqrt, eps, shrink]);
  }
}

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with the weight decay applied to the weights,
 * w ← w·(1 − lr·λ), instead of added to the gradient. Default λ = 0.01.
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
