// Making tensors: from data, constants, ranges, and the seeded counter-based generator.
import { checkDType, dtypeOfArray, isFloat, type DType } from './dtype.js';
import { ShapeError, ValueError } from './errors.js';
import type { RandomArgs } from './kernels/random.js';
import type { FloatArray } from './kernels/types.js';
import { launch, launchMap } from './ops/define.js';
import { checkSize, numel } from './shape.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | boolean | readonly Nested[];

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  return t;
}

function shapeOf(data: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as Nested;
  }
  return shape;
}

/**
 * A tensor holding a copy of the data: nested arrays of numbers or booleans, a typed array
 * (1-D, its dtype kept unless given), or one number (0-d).
 * @example tensor([[1, 2], [3, 4]], { requiresGrad: true })
 */
export function tensor(data: Nested | ArrayLike<number>, options?: TensorOptions): Tensor {
  const typed = ArrayBuffer.isView(data) ? dtypeOfArray(data) : null;
  if (ArrayBuffer.isView(data)) {
    if (typed === null) throw new ValueError(`tensor: got a ${data.constructor.name}, expected a Float32Array, Float64Array, Int32Array, Uint8Array or nested arrays`);
    const arr = data as unknown as ArrayLike<number>;
    const t = Tensor.empty([arr.length], options?.dtype === undefined ? typed : checkDType(options.dtype, 'tensor'), false);
    for (let i = 0; i < arr.length; i++) t.storage.data[i] = t.dtype === 'bool' ? Number(arr[i] !== 0) : arr[i];
    return finish(t, options);
  }
  const nested = data as Nested;
  const shape = shapeOf(nested);
  const flat: number[] = [];
  let sawBool = false;
  const walk = (x: Nested, d: number): void => {
    if (d === shape.length) {
      if (typeof x === 'boolean') sawBool = true;
      else if (typeof x !== 'number') throw new ValueError(`tensor: got an element ${JSON.stringify(x)}, expected numbers or booleans`);
      flat.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new ShapeError(`tensor: got ragged nested arrays (a row of length ${Array.isArray(x) ? x.length : 'none'} at depth ${d}); expected a rectangular shape like [${shape.join(', ')}]`);
    }
    for (const y of x) walk(y, d + 1);
  };
  walk(nested, 0);
  const dtype = options?.dtype === undefined ? (sawBool ? 'bool' : 'float32') : checkDType(options.dtype, 'tensor');
  const t = Tensor.empty(shape, dtype, false);
  t.storage.data.set(dtype === 'bool' ? flat.map((v) => Number(v !== 0)) : flat);
  return finish(t, options);
}

function sizes(op: string, shape: number | readonly number[]): number[] {
  return checkSize(op, typeof shape === 'number' ? [shape] : [...shape]);
}

/** full, zeros and ones: `op` names the function the user called, in errors. */
function filled(op: string, shape: number | readonly number[], value: number, options?: TensorOptions): Tensor {
  if (typeof value !== 'number') throw new ValueError(`${op}: got fill value ${String(value)}, expected a number`);
  const dtype = options?.dtype === undefined ? 'float32' : checkDType(options.dtype, op);
  if (dtype === 'int32' && !Number.isFinite(value)) throw new ValueError(`${op}: got fill value ${value} for an int32 tensor, expected a finite number`);
  const t = Tensor.empty(sizes(op, shape), dtype, value === 0);
  if (value !== 0) launchMap(op, 'p0', t, [], [value]);
  return finish(t, options);
}

/** A tensor of one value. */
export function full(shape: number | readonly number[], value: number, options?: TensorOptions): Tensor {
  return filled('full', shape, value, options);
}

export function zeros(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return filled('zeros', shape, 0, options);
}

export function ones(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return filled('ones', shape, 1, options);
}

export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return ones(t.shape, { dtype: t.dtype, ...options });
}

/** start, start + step, … below end (arange(n) counts 0 … n−1). */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every(Number.isFinite) || step === 0) {
    throw new ValueError(`arange: got start ${start}, end ${end}, step ${step}; expected finite numbers and a non-zero step`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInts = [start, end, step].every(Number.isInteger);
  const t = Tensor.empty([n], options?.dtype ?? (allInts ? 'int32' : 'float32'), false);
  for (let i = 0; i < n; i++) t.storage.data[i] = start + i * step;
  return finish(t, options);
}

/** steps evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: got steps ${steps}, expected a non-negative integer`);
  const t = Tensor.empty([steps], options?.dtype ?? 'float32', false);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) t.storage.data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return finish(t, options);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  const t = Tensor.empty(checkSize('eye', [n, m]), options?.dtype ?? 'float32');
  for (let i = 0; i < Math.min(n, m); i++) t.storage.data[i * m + i] = 1;
  return finish(t, options);
}

// The generator: element i of a draw is Philox(seed, offset + i); each draw advances offset.
const generator = { seed: 67280421310721, offset: 0 };

/**
 * Makes every later random draw repeatable, whatever the thread count.
 * @example manualSeed(0); const w = randn([1000, 100])
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`manualSeed: got ${seed}, expected a non-negative safe integer`);
  generator.seed = seed;
  generator.offset = 0;
}

/** Reserves n elements of the generator's stream: the seed and counter a random kernel starts from. */
export function reserveDraws(n: number): { seed: number; counter: number } {
  const at = { seed: generator.seed, counter: generator.offset };
  generator.offset += n;
  return at;
}

function draw(op: string, kind: RandomArgs['kind'], shape: number | readonly number[], p0: number, p1: number, options?: TensorOptions): Tensor {
  const dtype = options?.dtype === undefined ? 'float32' : checkDType(options.dtype, op);
  if (!isFloat(dtype)) throw new ValueError(`${op}: got dtype ${dtype}, expected float32 or float64`);
  const t = Tensor.empty(sizes(op, shape), dtype, false);
  const args: RandomArgs = { out: t.storage.data as FloatArray, kind, seed: generator.seed, counter: generator.offset, p0, p1 };
  generator.offset += numel(t.shape);
  launch(op, { kernel: 'random', args }, [], [t]);
  return finish(t, options);
}

/** Standard normal draws. */
export function randn(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return draw('randn', 'normal', shape, 0, 1, options);
}

/** Uniform draws in [0, 1). */
export function rand(shape: number | readonly number[], options?: TensorOptions): Tensor {
  return draw('rand', 'uniform', shape, 0, 1, options);
}

export function randnLike(t: Tensor, options?: TensorOptions): Tensor {
  return randn(t.shape, { dtype: t.dtype, ...options });
}

export function randLike(t: Tensor, options?: TensorOptions): Tensor {
  return rand(t.shape, { dtype: t.dtype, ...options });
}
