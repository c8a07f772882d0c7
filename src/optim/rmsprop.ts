// RMSprop by PyTorch's rule (torch.optim.RMSprop), with optional centring and momentum.
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { show } from '../validate.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  [key: string]: number | boolean;
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/**
 *   g ← ∇ + λ·w
 *   s ← α·s + (1 − α)·g²                 a ← α·a + (1 − α)·g   (centred only)
 *   d ← √(s − a²) + ε (centred) or √s + ε
 *   b ← μ·b + g/d, w ← w − lr·b           (μ ≠ 0)   or   w ← w − lr·g/d
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropOptions>>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, options, { maximize: 'maximize is not implemented', foreach: 'Skein fuses every update already', differentiable: 'not implemented' });
  }

  protected validate({ lr, alpha, eps, weightDecay, momentum }: RMSpropOptions): void {
    const check = (what: string, v: number, ok: boolean, want: string) => {
      if (!ok) throw new ValueError(`RMSprop: got ${what} ${show(v)}, expected ${want}`);
    };
    check('lr', lr, lr >= 0, 'a number ≥ 0');
    check('alpha', alpha, alpha >= 0, 'a number ≥ 0');
    check('eps', eps, eps >= 0, 'a number ≥ 0');
    check('weightDecay', weightDecay, weightDecay >= 0, 'a number ≥ 0');
    check('momentum', momentum, momentum >= 0, 'a number ≥ 0');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, { lr, alpha, eps, weightDecay, momentum, centered }: ParamGroup<RMSpropOptions>): void {
    const sq = this.buffer(p, state, 'squareAvg');
    // a = average, b = ∇, c = w; g = b + p2·c
    this.update(sq, 'p0 * a + p1 * (b + p2 * c) * (b + p2 * c)', [sq, grad, p], [alpha, 1 - alpha, weightDecay]);
    const gAvg = centered ? this.buffer(p, state, 'gradAvg') : null;
    if (gAvg !== null) this.update(gAvg, 'p0 * a + p1 * (b + p2 * c)', [gAvg, grad, p], [alpha, 1 - alpha, weightDecay]);
    // d is √(c − d²) + ε centred, √c + ε otherwise (c = s, d = a)
    const denom = gAvg !== null ? '(Math.sqrt(d - e * e) + p2)' : '(Math.sqrt(d) + p2)';
    const avgs = gAvg !== null ? [sq, gAvg] : [sq];
    if (momentum > 0) {
      const buf = this.buffer(p, state, 'momentumBuffer');
      // a = buffer, b = ∇, c = w, d = s, e = a
      this.update(buf, `p0 * a + (b + p1 * c) / ${denom}`, [buf, grad, p, ...avgs], [momentum, weightDecay, eps]);
      this.update(p, 'a - p0 * b', [p, buf], [lr]);
    } else {
      // a = w, b = ∇, c = w (again, so the names line up with the buffer pass), d = s, e = a
      this.update(p, `a - p0 * (b + p1 * c) / ${denom}`, [p, grad, p, ...avgs], [lr, weightDecay, eps]);
    }
  }
}
