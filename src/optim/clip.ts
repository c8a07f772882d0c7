// Gradient clipping by total norm, queued on the stream without a wait (the scale factor stays a
// tensor, as in PyTorch's clip_grad_norm_).
import { optionsOf } from '../validate.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { stack } from '../ops/methods.js';
import { isTensor, type Tensor } from '../tensor.js';
import { checkIterable, checkNumber, show } from '../validate.js';

/**
 * Scales every gradient by min(1, maxNorm/(‖g‖ + 1e-6)), where ‖g‖ is the norm of all gradients
 * taken together (normType 2, or Infinity for the largest |gᵢ|). Returns ‖g‖ as a 0-d float64 tensor.
 * @example optim.clipGradNorm(model.parameters(), 1.0)
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, options: { normType?: number } = {}): Tensor | null {
  const { normType = 2 } = optionsOf('clipGradNorm', options, ['normType']) as { normType?: number };
  const list = isTensor(params) ? [params] : checkIterable('clipGradNorm', 'params', params, 'a tensor or an iterable of tensors, such as model.parameters()');
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, { min: 0 });
  if (!(typeof normType === 'number' && normType > 0)) throw new ValueError(`clipGradNorm: got normType ${show(normType)}, expected a positive number or Infinity`);
  const grads = list.flatMap((p, i) => {
    if (!isTensor(p)) throw new ValueError(`clipGradNorm: got ${show(p)} at params[${i}], expected a tensor`);
    const g = p.grad as unknown;
    if (g === null || g === undefined) return [];
    if (!isTensor(g)) throw new ValueError(`clipGradNorm: params[${i}] has .grad ${show(g)}, expected a tensor or null`);
    return [g];
  });
  if (grads.length === 0) return null;
  return noGrad(() => {
    const parts = grads.map((g) => {
      const a = g.abs().to('float64');
      return normType === Infinity ? a.max() : a.pow(normType).sum();
    });
    const all = stack(parts);
    const total = normType === Infinity ? all.max() : all.sum().pow(1 / normType);
    const coef = total.add(1e-6).pow(-1).mul(maxNorm).clamp({ max: 1 });
    for (const g of grads) g.mul_(coef.to(g.dtype));
    return total;
  });
}
