// Gradient clipping by total norm, queued on the stream without a wait (the scale factor stays a
// tensor, as in PyTorch's clip_grad_norm_).
import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { stack } from '../ops/methods.js';
import type { Tensor } from '../tensor.js';

/**
 * Scales every gradient by min(1, maxNorm/(‖g‖ + 1e-6)), where ‖g‖ is the norm of all gradients
 * taken together (normType 2, or Infinity for the largest |gᵢ|). Returns ‖g‖ as a 0-d float64 tensor.
 * @example optim.clipGradNorm(model.parameters(), 1.0)
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, { normType = 2 }: { normType?: number } = {}): Tensor | null {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: got maxNorm ${maxNorm}, expected a number ≥ 0`);
  if (!(normType > 0)) throw new ValueError(`clipGradNorm: got normType ${normType}, expected a positive number or Infinity`);
  const grads = [...params].flatMap((p) => (p.grad === null ? [] : [p.grad]));
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
