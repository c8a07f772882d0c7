// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, by
// PyTorch's rule (torch.optim.SGD).
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface SGDOptions {
  [key: string]: number | boolean;
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/**
 *   g ← ∇ + λ·w
 *   b ← g on the first step, then μ·b + (1 − τ)·g          (when μ ≠ 0)
 *   g ← g + μ·b (Nesterov) or b
 *   w ← w − lr·g
 * @example const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, { lr: undefined as unknown as number, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }, options, { maximize: 'maximize is not implemented', foreach: 'Skein fuses every update already', differentiable: 'not implemented' });
  }

  protected validate({ lr, momentum, dampening, weightDecay, nesterov }: SGDOptions): void {
    if (!(lr >= 0)) throw new ValueError(`SGD: got lr ${lr}, expected a number ≥ 0`);
    if (!(momentum >= 0)) throw new ValueError(`SGD: got momentum ${momentum}, expected a number ≥ 0`);
    if (!(weightDecay >= 0)) throw new ValueError(`SGD: got weightDecay ${weightDecay}, expected a number ≥ 0`);
    if (!Number.isFinite(dampening)) throw new ValueError(`SGD: got dampening ${dampening}, expected a number`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new ValueError(`SGD: got nesterov with momentum ${momentum} and dampening ${dampening}, expected momentum > 0 and dampening 0`);
    }
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, { lr, momentum, dampening, weightDecay, nesterov }: ParamGroup<SGDOptions>): void {
    if (momentum === 0) {
      this.update(p, 'a - p0 * (b + p1 * a)', [p, grad], [lr, weightDecay]);
      return;
    }
    const buf = this.buffer(p, state, 'momentumBuffer');
    // a = buffer, b = ∇, c = w
    if (state.step === 1) this.update(buf, 'b + p0 * c', [buf, grad, p], [weightDecay]);
    else this.update(buf, 'p1 * a + p2 * (b + p0 * c)', [buf, grad, p], [weightDecay, momentum, 1 - dampening]);
    // a = w, b = ∇, c = buffer
    if (nesterov) this.update(p, 'a - p0 * ((b + p1 * a) + p2 * c)', [p, grad, buf], [lr, weightDecay, momentum]);
    else this.update(p, 'a - p0 * c', [p, grad, buf], [lr]);
  }
}
