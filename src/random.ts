// More seeded draws (randint, normal, bernoulli, multinomial), from the same counter-based
// generator as randn (creation.ts): element i of a draw is a pure function of (seed, counter + i),
// so the draws are the same on any thread count, and manualSeed makes them repeat.
import { show, userOp } from './validate.js';
import { rand, randn, reserveDraws, type TensorOptions } from './creation.js';
import { checkDType, isFloat, type DType } from './dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from './errors.js';
import type { RandomArgs } from './kernels/random.js';
import { launch } from './ops/define.js';
import { OPS } from './ops/table.js';
import { checkSize, numel } from './shape.js';
import { Tensor, isTensor } from './tensor.js';

function sizes(op: string, shape: number | readonly number[]): number[] {
  return checkSize(op, typeof shape === 'number' ? [shape] : [...(shape ?? [])]);
}

function fill(op: string, kind: RandomArgs['kind'], shape: number[], dtype: DType, p0: number, p1: number): Tensor {
  const t = Tensor.empty(shape, dtype, false);
  const { seed, counter } = reserveDraws(numel(shape));
  const args: RandomArgs = { out: t.storage.data, kind, seed, counter, p0, p1, heap: t.storage.onHeap };
  launch(op, { kernel: 'random', args }, [], [t]);
  return t;
}

/**
 * Integers drawn uniformly from [low, high), int32 (PyTorch: int64).
 * @example manualSeed(0); const dice = randint(1, 7, [10])
 */
export function randint(low: number, high: number, shape: number | readonly number[], options: { dtype?: DType } = {}): Tensor {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new ValueError(`randint: got low ${String(low)} and high ${String(high)}, expected integers with low < high`);
  }
  const dtype = options.dtype === undefined ? 'int32' : checkDType(options.dtype, 'randint');
  if (dtype === 'int32' && (low < -(2 ** 31) || high > 2 ** 31)) throw new ValueError(`randint: got the range [${low}, ${high}), expected it inside int32's range`);
  if (dtype === 'bool') throw new DTypeError('randint: got dtype bool, expected int32, float32 or float64');
  return fill('randint', 'integer', sizes('randint', shape), dtype, low, high);
}

/**
 * Normal draws: mean and std numbers with a shape, or tensors (broadcast together) giving each
 * element its own mean and std.
 * @example const noise = normal(0, 0.1, [64, 10])
 */
export function normal(mean: number | Tensor, std: number | Tensor, shape?: number | readonly number[], options: TensorOptions = {}): Tensor {
  for (const [what, v] of [['mean', mean], ['std', std]] as const) {
    if (typeof v !== 'number' && !isTensor(v)) throw new ValueError(`normal: got ${what} ${String(v)}, expected a number or a tensor`);
  }
  if (typeof std === 'number' && !(std >= 0)) throw new ValueError(`normal: got std ${std}, expected a non-negative number`);
  if (typeof mean === 'number' && typeof std === 'number') {
    if (!Number.isFinite(mean)) throw new ValueError(`normal: got mean ${mean}, expected a finite number`);
    if (shape === undefined) throw new ShapeError('normal: got number mean and std and no shape, expected a shape (or tensor mean/std)');
    const dtype = options.dtype === undefined ? 'float32' : checkDType(options.dtype, 'normal');
    if (!isFloat(dtype)) throw new DTypeError(`normal: got dtype ${dtype}, expected float32 or float64`);
    const t = fill('normal', 'normal', sizes('normal', shape), dtype, mean, std);
    if (options.requiresGrad) t.requiresGrad = true;
    return t;
  }
  if (shape !== undefined) throw new ShapeError(`normal: got tensor mean/std and a shape ${show(shape)}, expected no shape (the tensors give it)`);
  // A tensor mean or std: z·std + mean, with z standard normal over the broadcast shape. Detached:
  // PyTorch's normal passes zero gradients to mean and std (it is a draw, not a reparameterisation).
  const m = isTensor(mean) ? mean.detach() : mean;
  const s = isTensor(std) ? std.detach() : std;
  const like = isTensor(m) ? m : (s as Tensor);
  const outShape = isTensor(m) && isTensor(s) ? m.add(s).shape : like.shape;
  const z = randn(outShape as number[], { dtype: options.dtype ?? (isFloat(like.dtype) ? like.dtype : 'float32') });
  return z.mul(s).add(m);
}

/**
 * 1 with probability p, else 0, for each element of probs (values in [0, 1]); the result has
 * probs' dtype, as torch.bernoulli.
 * @example const mask = bernoulli(full([4, 4], 0.3))
 */
export function bernoulli(probs: Tensor): Tensor {
  if (!isTensor(probs)) throw new ValueError(`bernoulli: got ${String(probs)}, expected a tensor of probabilities`);
  if (!isFloat(probs.dtype)) throw new DTypeError(`bernoulli: got probabilities of dtype ${probs.dtype}, expected float32 or float64`);
  // u < p with u uniform in [0, 1) is true with probability p; float64 draws, so u never rounds to 1.
  return rand(probs.shape as number[], { dtype: 'float64' }).lt(probs.detach()).to(probs.dtype);
}

export interface MultinomialOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
}

/**
 * n category indices per row of probs ([C] or [B, C]: non-negative weights, not necessarily
 * normalised), int32. With replacement each draw inverts the running sum of the weights at a
 * uniform u·total; without, the n smallest keys Eᵢ/wᵢ (Eᵢ ~ Exp(1)) are taken, which samples
 * without replacement in proportion to the weights (Efraimidis & Spirakis, 2006).
 * Weights are not read back to validate them (that would wait for the device): negative or NaN
 * weights give unspecified draws, where PyTorch raises.
 * @example manualSeed(1); const next = multinomial(logits.softmax(-1), 1)
 */
export function multinomial(probs: Tensor, n: number, options: MultinomialOptions = {}): Tensor {
  if (!isTensor(probs)) throw new ValueError(`multinomial: got ${String(probs)}, expected a tensor of weights`);
  if (!isFloat(probs.dtype)) throw new DTypeError(`multinomial: got weights of dtype ${probs.dtype}, expected float32 or float64`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new ShapeError(`multinomial: got weights of shape ${fmtShape(probs.shape)}, expected [C] or [B, C]`);
  const { replacement = false } = options ?? {};
  if (typeof replacement !== 'boolean') throw new ValueError(`multinomial: got replacement ${String(replacement)}, expected true or false`);
  const c = probs.shape[probs.ndim - 1] as number;
  if (!Number.isInteger(n) || n <= 0) throw new ValueError(`multinomial: got n ${String(n)}, expected a positive integer`);
  if (c === 0) throw new ShapeError('multinomial: got weights with no categories, expected at least one');
  if (!replacement && n > c) throw new ValueError(`multinomial: got n ${n} for ${c} categories without replacement, expected n ≤ ${c}`);
  // PyTorch refuses negative, infinite and NaN weights; they live on the device, so a kernel checks.
  const raw = (probs.ndim === 1 ? probs.unsqueeze(0) : probs).detach().to('float64');
  const w = userOp('multinomial', () => raw.applyOp(OPS.checkRange, [raw], { min: 0, max: Number.MAX_VALUE, what: 'the weights' }));
  const rows = w.shape[0] as number;
  let out: Tensor;
  if (replacement) {
    // Category i is drawn when cdf[i−1] ≤ u·total < cdf[i]: count the cdf entries ≤ u·total.
    const cdf = w.cumsum(1);
    const u = rand([rows, n], { dtype: 'float64' }).mul(cdf.narrow(1, c - 1, 1));
    out = cdf.unsqueeze(1).le(u.unsqueeze(2)).sum(2).minimum(c - 1);
  } else {
    const e = rand([rows, c], { dtype: 'float64' }).neg().log1p().neg(); // −ln(1 − u) ~ Exp(1), finite
    out = e.div(w).argsort({ dim: 1 }).narrow(1, 0, n);
  }
  out = out.to('int32');
  return probs.ndim === 1 ? out.squeeze(0) : out;
}
