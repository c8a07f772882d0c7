// Gradient checking: analytic vector-Jacobian products against central differences.
import { SkeinError, ValueError } from '../errors.js';
import { cat } from '../ops/methods.js';
import { isTensor, type Tensor } from '../tensor.js';
import { checkFunction, checkIterable, checkNumber, checkOptions, show } from '../validate.js';
import { grad } from './grad.js';
import { enableGrad, noGrad } from './grad-mode.js';

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
  checkArgs('gradcheck', fn, inputs, options);
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
          // PyTorch warns up front that non-double inputs will likely fail; here the hint rides on the failure.
          const hint = x.dtype === 'float64' ? '' : `; input ${which} is ${x.dtype}, expected float64 (central differences in ${x.dtype} are too coarse to compare)`;
          throw new GradcheckError(`gradcheck: input ${which}, element ${j}, output ${i}: analytic ${a} vs numerical ${numeric} (atol ${atol}, rtol ${rtol})${hint}`);
        }
      }
    }
  }
  for (const y of inputs) y.grad = null;
  return true;
}

function checkArgs(op: string, fn: unknown, inputs: unknown, options: unknown): void {
  checkFunction(op, 'fn', fn);
  const list = checkIterable(op, 'inputs', inputs, 'an array of tensors');
  list.forEach((x, i) => {
    if (!isTensor(x)) throw new ValueError(`${op}: got ${show(x)} at inputs[${i}], expected a tensor`);
  });
  const o = checkOptions(op, options, ['eps', 'atol', 'rtol']);
  for (const k of ['eps', 'atol', 'rtol']) if (o[k] !== undefined) checkNumber(op, k, o[k], { min: 0, finite: true });
}

/**
 * Checks second derivatives: gradcheck of x ↦ autograd.grad(fn(x), x, { gradOutputs: v,
 * createGraph: true }) with v a fixed random gradient of fn's output (seeded by `seed`), so the
 * gradients of the backward formulas themselves are compared with central differences.
 * Use float64 inputs.
 * @example await gradgradcheck((x) => x.tanh(), [x])
 */
export async function gradgradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions & { seed?: number } = {}): Promise<true> {
  const { seed = 0, ...rest } = options;
  checkArgs('gradgradcheck', fn, inputs, rest);
  const needs = inputs.map((x) => x.requiresGrad);
  if (!needs.some(Boolean)) throw new ValueError('gradgradcheck: got no input that requires grad, expected at least one');
  const out0 = fn(...inputs);
  // A fixed gradient of the output, not all ones: ones hide formulas that ignore g's values.
  let state = (seed * 2654435761 + 12345) >>> 0;
  const v = (out0.constructor as typeof Tensor).empty(out0.shape, out0.dtype);
  for (let i = 0; i < v.numel(); i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    v.storage.data[i] = 0.5 + state / 2 ** 32;
  }
  v.requiresGrad = true;
  // v is an input too, as in PyTorch: a linear op's first derivative depends on v alone.
  const firstOrder = (...all: Tensor[]): Tensor =>
    enableGrad(() => {
      const xs = all.slice(0, -1);
      const gv = all[all.length - 1];
      // gradcheck perturbs copies that do not require grad; the inner grad needs them to.
      const live = xs.map((x, k) => (needs[k] && !x.requiresGrad ? x.detach().requiresGrad_() : x));
      const wrt = live.filter((_, k) => needs[k]);
      const gs = grad(fn(...live), wrt, { gradOutputs: gv, createGraph: true, allowUnused: true });
      return cat(gs.map((g, k) => (g === null ? wrt[k].detach().zerosLike() : g).reshape([-1])));
    });
  return gradcheck(firstOrder, [...inputs, v], rest);
}

function rebuild(like: Tensor, values: number[]): Tensor {
  const Ctor = like.constructor as typeof Tensor;
  const t = Ctor.empty(like.shape, like.dtype);
  t.storage.data.set(values);
  return t;
}
