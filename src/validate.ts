// Argument checks shared by the public API, and the user-op context: a public function or
// composite runs its body inside userOp(name, …), so an error raised by a primitive it calls
// (softmax's max, stack's cat) is reported under the name the user called, with the primitive's
// name kept in brackets. Errors here name the value as the user passed it (strings quoted,
// BigInts with their n), never as Skein converted it.
import { DTYPES, type DType } from './dtype.js';
import { DTypeError, ShapeError, SkeinError, ValueError } from './errors.js';
import { TensorOps } from './ops/methods.js';

// ---- the user-op context ----

const opStack: string[] = [];
/** Errors already renamed for the user: an outer op or module leaves them as they are. */
const attributed = new WeakSet<Error>();

/**
 * Runs fn as the public op `name`: a SkeinError raised inside, under another op's name, is
 * renamed `name: … (in <inner op>)`. Nested userOp calls keep the outermost name, which is the
 * one the user wrote. Cheap: a push, a pop and a try.
 * @example softmax(dim) { return userOp('softmax', () => …max…exp…sum…) }
 */
export function userOp<R>(name: string, fn: () => R): R {
  opStack.push(name);
  try {
    return fn();
  } catch (err) {
    if (opStack.length === 1 && err instanceof SkeinError && !attributed.has(err)) renameError(err, name);
    throw err;
  } finally {
    opStack.pop();
  }
}

/**
 * Runs a module's forward: ops inside start a fresh user-op context (softmax inside a module is
 * still named softmax), and an error no inner op or module claimed is named after this module
 * (Embedding, not indexSelect). The innermost module wins: Sequential does not rename Linear's.
 */
export function moduleCall<R>(name: string, fn: () => R): R {
  const saved = opStack.splice(0);
  const outerModule = moduleName;
  moduleName = name;
  try {
    return fn();
  } catch (err) {
    if (err instanceof SkeinError && !attributed.has(err)) renameError(err, name);
    throw err;
  } finally {
    moduleName = outerModule;
    opStack.length = 0;
    opStack.push(...saved);
  }
}

/** The innermost module whose forward is running (kernel launches are named after it). */
let moduleName: string | null = null;

/** The op the user called (the outermost userOp), or `fallback` outside any. */
export function currentOp(fallback: string): string {
  return opStack.length > 0 ? opStack[0] : moduleName ?? fallback;
}

/** `max: got dim 5 …` under softmax becomes `softmax: got dim 5 … (in max)`. */
export function renameError(err: Error, name: string): void {
  attributed.add(err);
  const m = /^([A-Za-z_][\w.]*): /.exec(err.message);
  if (m === null || m[1] === name || m[1].startsWith(`${name}.`) || m[1] === `${name}_`) return;
  const message = `${name}: ${err.message.slice(m[0].length)} (in ${m[1]})`;
  if (err.stack !== undefined) err.stack = err.stack.replace(err.message, message);
  err.message = message;
}

// ---- describing what the user passed ----

const MAX_SHOWN = 8;

/**
 * A value as the user wrote it, for messages: strings quoted, 5n for a BigInt, arrays element
 * by element (at most 8, two levels), objects by constructor. Never throws (cycles, getters).
 */
export function show(x: unknown, depth = 0): string {
  if (x === null) return 'null';
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
    case 'bigint':
      return `${x}n`;
    case 'number':
      return Object.is(x, -0) ? '-0' : String(x);
    case 'undefined':
    case 'boolean':
    case 'symbol':
      return String(x);
    case 'function':
      return `a function${x.name ? ` ${x.name}` : ''}`;
    default:
      break;
  }
  if (Array.isArray(x)) {
    if (depth >= 2) return `[…${x.length}]`;
    const items = x.slice(0, MAX_SHOWN).map((v) => show(v, depth + 1));
    return `[${items.join(', ')}${x.length > MAX_SHOWN ? `, … (${x.length})` : ''}]`;
  }
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}(${(x as unknown as ArrayLike<number>).length})`;
  let ctor: string | undefined;
  try {
    ctor = (x as object).constructor?.name;
  } catch {
    ctor = undefined;
  }
  if (ctor === 'Tensor' || ctor === 'SymbolicTensor') {
    const t = x as { shape: readonly (number | null)[]; dtype: string };
    return `a ${ctor === 'Tensor' ? 'tensor' : 'symbolic tensor'} of shape [${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}] (${t.dtype})`;
  }
  return ctor === undefined || ctor === 'Object' ? 'an object' : `a ${ctor}`;
}

// ---- checks ----

/** A shape argument: one size or an array of sizes, each a non-negative safe integer. */
export function checkShape(op: string, shape: unknown, what = 'size'): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(list)) throw new ShapeError(`${op}: got ${what} ${show(shape)}, expected a non-negative integer or an array of them`);
  for (const d of list) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${op}: got ${what} ${show(shape)}, expected non-negative integers`);
    }
  }
  return [...list] as number[];
}

/** A dtype option: undefined gives `fallback`. */
export function checkDTypeOption(op: string, dtype: unknown, fallback: DType): DType {
  if (dtype === undefined) return fallback;
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`${op}: got dtype ${show(dtype)}, expected one of ${DTYPES.join(', ')}`);
  }
  return dtype as DType;
}

export interface NumberRule {
  integer?: boolean;
  finite?: boolean;
  min?: number;
  /** min is exclusive. */
  above?: number;
  max?: number;
}

/** A number argument named `what` of op, by the rule; the message shows it as passed. */
export function checkNumber(op: string, what: string, x: unknown, rule: NumberRule = {}): number {
  const ok =
    typeof x === 'number' &&
    !Number.isNaN(x) &&
    (!rule.integer || Number.isSafeInteger(x)) &&
    (!rule.finite || Number.isFinite(x)) &&
    (rule.min === undefined || x >= rule.min) &&
    (rule.above === undefined || x > rule.above) &&
    (rule.max === undefined || x <= rule.max);
  if (ok) return x as number;
  const kind = rule.integer ? 'integer' : rule.finite ? 'finite number' : 'number';
  const parts = [rule.min === 0 ? `a non-negative ${kind}` : `${rule.integer ? 'an' : 'a'} ${kind}`];
  if (rule.min !== undefined && rule.min !== 0) parts.push(`≥ ${rule.min}`);
  if (rule.above !== undefined) parts.push(`> ${rule.above}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  throw new ValueError(`${op}: got ${what} ${show(x)}, expected ${parts.join(' ')}`);
}

/** A plain options object (or undefined); its keys all in `allowed`, none in `unsupported`. */
export function checkOptions(op: string, options: unknown, allowed: readonly string[], unsupported: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options === 'string') {
    throw new ValueError(`${op}: got options ${show(options)}, expected an options object such as { ${allowed.includes('dtype') ? `dtype: ${show(options)}` : `${allowed[0]}: …`} }`);
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${op}: got options ${show(options)}, expected an object with keys among ${allowed.join(', ')}`);
  }
  for (const key of Object.keys(options)) {
    if (key in unsupported && (options as Record<string, unknown>)[key] !== undefined && (options as Record<string, unknown>)[key] !== false) {
      throw new ValueError(`${op}: got option ${key}, which Skein does not implement (${unsupported[key]})`);
    }
    if (!allowed.includes(key) && !(key in unsupported)) {
      const near = allowed.find((a) => a.toLowerCase() === key.replace(/_/g, '').toLowerCase());
      throw new ValueError(`${op}: got an unknown option ${JSON.stringify(key)}${near ? ` (did you mean ${near}?)` : ''}, expected one of ${allowed.join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
}

/** A tensor argument (eager or symbolic): anything else is refused before any op runs. */
export function checkTensorArg(op: string, what: string, x: unknown): void {
  if (!(x instanceof TensorOps)) throw new ValueError(`${op}: got ${what} ${show(x)}, expected a tensor`);
}

/** An options argument (undefined → {}), checked as checkOptions: for `{ a = 1 } = optionsOf(…)` destructuring that null would crash. */
export function optionsOf(op: string, options: unknown, allowed: readonly string[]): Record<string, any> {
  return checkOptions(op, options, allowed);
}

/** A function argument. */
export function checkFunction(op: string, what: string, f: unknown): void {
  if (typeof f !== 'function') throw new ValueError(`${op}: got ${what} ${show(f)}, expected a function`);
}

/** An iterable argument (an array, a generator …), as an array. */
export function checkIterable(op: string, what: string, x: unknown, expected: string): unknown[] {
  if (x === null || x === undefined || typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function' || typeof x === 'string') {
    throw new ValueError(`${op}: got ${what} ${show(x)}, expected ${expected}`);
  }
  return [...(x as Iterable<unknown>)];
}

/** The largest single tensor Skein allocates: a typed array's limit on 64-bit Node. */
export const MAX_TENSOR_BYTES = 2 ** 32;

/** Before allocating numel elements of `bytesPer` bytes for op: a clear error past the limit. */
export function checkAllocation(op: string, shape: readonly number[], numel: number, bytesPer: number): void {
  const bytes = numel * bytesPer;
  if (!(bytes <= MAX_TENSOR_BYTES)) {
    throw new ValueError(`${op}: a tensor of shape [${shape.join(', ')}] needs ${bytes.toExponential(3)} bytes, more than the ${MAX_TENSOR_BYTES} bytes one tensor may hold`);
  }
}
