// Making tensors: from data, constants, ranges, and the seeded counter-based generator.
import { ARRAY_OF, checkDType, dtypeOfArray, isFloat, type DType } from './dtype.js';
import { DTypeError, ShapeError, ValueError } from './errors.js';
import type { RandomArgs } from './kernels/random.js';
import type { FloatArray } from './kernels/types.js';
import { launch, launchMap } from './ops/define.js';
import { numel } from './shape.js';
import { isTensor, Tensor } from './tensor.js';
import { checkAllocation, checkDTypeOption, checkNumber, checkOptions, checkShape, show } from './validate.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | boolean | readonly Nested[];

const TENSOR_OPTIONS = ['dtype', 'requiresGrad'];

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** PyTorch's limit on a tensor's rank; deeper nesting is a mistake (or a cycle), not data. */
const MAX_RANK = 64;

function shapeOf(data: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    if (shape.length === MAX_RANK) throw new ShapeError(`tensor: got arrays nested more than ${MAX_RANK} deep (or an array that contains itself), expected at most ${MAX_RANK} dims`);
    shape.push(level.length);
    level = level[0] as Nested;
  }
  return shape;
}

/** int32 holds integers in [−2³¹, 2³¹): anything else is refused, as PyTorch refuses to overflow. */
function checkInt32Values(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= -2147483648 && v <= 2147483647)) throw new ValueError(`${op}: got value ${show(v)} for an int32 tensor, expected an integer in [-2147483648, 2147483647] (it would overflow)`);
  }
}

/**
 * A tensor holding a copy of the data: nested arrays of numbers or booleans, a typed array
 * (1-D, its dtype kept unless given), or one number (0-d).
 * @example tensor([[1, 2], [3, 4]], { requiresGrad: true })
 */
export function tensor(data: Nested | ArrayLike<number>, options?: TensorOptions): Tensor {
  checkOptions('tensor', options, TENSOR_OPTIONS);
  const typed = ArrayBuffer.isView(data) ? dtypeOfArray(data) : null;
  if (ArrayBuffer.isView(data)) {
    if (typed === null) throw new ValueError(`tensor: got a ${data.constructor.name}, expected a Float32Array, Float64Array, Int32Array, Uint8Array or nested arrays`);
    const arr = data as unknown as ArrayLike<number>;
    const dtype = options?.dtype === undefined ? typed : checkDType(options.dtype, 'tensor');
    if (dtype === 'int32' && typed !== 'int32' && typed !== 'bool') checkInt32Values('tensor', arr);
    const t = Tensor.empty([arr.length], dtype, false, 'tensor');
    for (let i = 0; i < arr.length; i++) t.storage.data[i] = t.dtype === 'bool' ? Number(arr[i] !== 0) : arr[i];
    return finish(t, options);
  }
  const nested = data as Nested;
  const shape = shapeOf(nested);
  const flat: number[] = [];
  // PyTorch infers the widest kind present: all booleans give bool, any number gives float32.
  let sawBool = false;
  let sawNumber = false;
  const walk = (x: Nested, d: number): void => {
    if (d === shape.length) {
      if (typeof x === 'boolean') sawBool = true;
      else if (typeof x === 'number') sawNumber = true;
      else throw new ValueError(`tensor: got an element ${show(x)}, expected numbers or booleans`);
      flat.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new ShapeError(`tensor: got ragged nested arrays (a row of length ${Array.isArray(x) ? x.length : 'none'} at depth ${d}); expected a rectangular shape like [${shape.join(', ')}]`);
    }
    for (const y of x) walk(y, d + 1);
  };
  walk(nested, 0);
  const dtype = options?.dtype === undefined ? (sawBool && !sawNumber ? 'bool' : 'float32') : checkDType(options.dtype, 'tensor');
  if (dtype === 'int32') checkInt32Values('tensor', flat);
  const t = Tensor.empty(shape, dtype, false, 'tensor');
  t.storage.data.set(dtype === 'bool' ? flat.map((v) => Number(v !== 0)) : flat);
  return finish(t, options);
}

function sizes(op: string, shape: number | readonly number[]): number[] {
  return checkShape(op, shape);
}

/** full, zeros and ones: `op` names the function the user called, in errors. */
function filled(op: string, shape: number | readonly number[], value: number, options?: TensorOptions): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new ValueError(`${op}: got fill value ${show(value)}, expected a number`);
  checkOptions(op, options, TENSOR_OPTIONS);
  const dtype = checkDTypeOption(op, options?.dtype, typeof value === 'boolean' ? 'bool' : 'float32');
  value = Number(value);
  if (dtype === 'int32' && !Number.isFinite(value)) throw new ValueError(`${op}: got fill value ${value} for an int32 tensor, expected a finite number`);
  if (dtype === 'int32') checkInt32Values(op, [Math.trunc(value)]);
  const t = Tensor.empty(sizes(op, shape), dtype, value === 0, op);
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

function checkLike(op: string, t: unknown): asserts t is Tensor {
  if (!isTensor(t)) throw new ValueError(`${op}: got ${show(t)}, expected a tensor`);
}

export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  checkLike('zerosLike', t);
  return filled('zerosLike', t.shape, 0, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  checkLike('onesLike', t);
  return filled('onesLike', t.shape, 1, { dtype: t.dtype, ...options });
}

/** start, start + step, … below end (arange(n) counts 0 … n−1). */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every((v) => typeof v === 'number' && Number.isFinite(v)) || step === 0) {
    throw new ValueError(`arange: got start ${show(start)}, end ${show(end)}, step ${show(step)}; expected finite numbers and a non-zero step`);
  }
  // PyTorch: "upper bound and larger bound inconsistent with step sign".
  if ((end - start) * step < 0) throw new ValueError(`arange: got start ${start}, end ${end}, step ${step}; expected a step whose sign goes from start towards end`);
  checkOptions('arange', options, TENSOR_OPTIONS);
  const allInts = [start, end, step].every(Number.isInteger);
  const dtype = checkDTypeOption('arange', options?.dtype, allInts ? 'int32' : 'float32');
  if (dtype === 'bool') throw new DTypeError('arange: got dtype bool, expected float32, float64 or int32 (PyTorch has no bool arange either)');
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkAllocation('arange', [n], n, ARRAY_OF[dtype].BYTES_PER_ELEMENT);
  if (dtype === 'int32' && n > 0) checkInt32Values('arange', [start, start + (n - 1) * step]);
  const t = Tensor.empty([n], dtype, false, 'arange');
  for (let i = 0; i < n; i++) t.storage.data[i] = start + i * step;
  return finish(t, options);
}

/** steps evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  checkNumber('linspace', 'start', start, { finite: true });
  checkNumber('linspace', 'end', end, { finite: true });
  checkNumber('linspace', 'steps', steps, { integer: true, min: 0 });
  checkOptions('linspace', options, TENSOR_OPTIONS);
  const dtype = checkDTypeOption('linspace', options?.dtype, 'float32');
  if (dtype === 'int32') checkInt32Values('linspace', [start, end]);
  const t = Tensor.empty([steps], dtype, false, 'linspace');
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) t.storage.data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return finish(t, options);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  checkOptions('eye', options, TENSOR_OPTIONS);
  const t = Tensor.empty(checkShape('eye', [n, m]), checkDTypeOption('eye', options?.dtype, 'float32'), true, 'eye');
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
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`manualSeed: got ${show(seed)}, expected a non-negative safe integer`);
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
  checkOptions(op, options, TENSOR_OPTIONS);
  const dtype = checkDTypeOption(op, options?.dtype, 'float32');
  if (!isFloat(dtype)) throw new ValueError(`${op}: got dtype ${dtype}, expected float32 or float64`);
  const t = Tensor.empty(sizes(op, shape), dtype, false, op);
  const args: RandomArgs = { out: t.storage.data as FloatArray, kind, seed: generator.seed, counter: generator.offset, p0, p1, heap: t.storage.onHeap };
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
  checkLike('randnLike', t);
  return randn(t.shape, { dtype: t.dtype, ...options });
}

export function randLike(t: Tensor, options?: TensorOptions): Tensor {
  checkLike('randLike', t);
  return rand(t.shape, { dtype: t.dtype, ...options });
}
