// Gradient checking: analytic vector-Jacobian products against central differences.
import { SkeinError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from './grad-mode.js';

export class GradcheckError extends SkeinError {}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * Checks d(fn)/d(input) for every input that requires grad: column j of the Jacobian from
 * (fn(x + eps·eⱼ) − fn(x − eps·eⱼ)) / 2·eps, row i from backward with a one-hot gradient.
 * Use float64 inputs. Resolves true, or rejects with the worst mismatch.
 * @example await gradcheck((a, b) => a.mul(b).sum(), [x, y])
 */
export async function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): Promise<true> {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = options;
  const out = fn(...inputs);
  const outValues = Array.from(await out.data());
  const m = outValues.length;
  for (const [which, x] of inputs.entries()) {
    if (!x.requiresGrad) continue;
    const n = x.numel();
    // Analytic: one backward per output element, with a one-hot gradient.
    const analytic: number[][] = [];
    for (let i = 0; i < m; i++) {
      for (const y of inputs) y.grad = null;
      const onehot = rebuild(out, outValues.map((_, k) => (k === i ? 1 : 0)));
      const y = fn(...inputs);
      y.backward(onehot);
      analytic.push(x.grad === null ? new Array<number>(n).fill(0) : Array.from(await (x.grad as Tensor).data()));
    }
    const base = Array.from(await x.data());
    for (let j = 0; j < n; j++) {
      const at = (delta: number) => {
        const values = base.slice();
        values[j] += delta;
        const moved = inputs.map((t, k) => (k === which ? rebuild(t, values) : t.detach()));
        return noGrad(() => fn(...moved)).data();
      };
      const plus = await at(eps);
      const minus = await at(-eps);
      for (let i = 0; i < m; i++) {
        const numeric = (plus[i] - minus[i]) / (2 * eps);
        const a = analytic[i][j];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          throw new GradcheckError(`gradcheck: input ${which}, element ${j}, output ${i}: analytic ${a} vs numerical ${numeric} (atol ${atol}, rtol ${rtol})`);
        }
      }
    }
  }
  for (const y of inputs) y.grad = null;
  return true;
}

function rebuild(like: Tensor, values: number[]): Tensor {
  const Ctor = like.constructor as typeof Tensor;
  const t = Ctor.empty(like.shape, like.dtype);
  t.storage.data.set(values);
  return t;
}
