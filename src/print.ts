// How a tensor prints: PyTorch's summarising rules (torch.set_printoptions). Above `threshold`
// elements only the first and last `edgeitems` of each dim are shown, with "..." between, and
// only those elements are read, so printing a 1000×1000 tensor builds a short string.
import { ValueError } from './errors.js';
import { show } from './validate.js';

export interface PrintOptions {
  /** Elements above which a tensor is summarised (PyTorch's default: 1000). */
  threshold?: number;
  /** Items shown at each end of a summarised dim (default 3). */
  edgeitems?: number;
  /**
   * Digits after the point for floats; null (Skein's default) prints each value exactly, in the
   * shortest form that reads back to the same number, where PyTorch rounds to 4.
   */
  precision?: number | null;
}

const options: Required<PrintOptions> = { threshold: 1000, edgeitems: 3, precision: null };

/**
 * Sets how tensors print, as torch.set_printoptions; unset keys keep their value.
 * @example setPrintOptions({ threshold: 10, edgeitems: 2, precision: 4 })
 */
export function setPrintOptions(next: PrintOptions): void {
  if (next === null || typeof next !== 'object') throw new ValueError(`setPrintOptions: got ${show(next)}, expected { threshold?, edgeitems?, precision? }`);
  const { threshold = options.threshold, edgeitems = options.edgeitems, precision = options.precision, ...rest } = next;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ValueError(`setPrintOptions: got an unknown option ${show(unknown[0])}, expected threshold, edgeitems or precision`);
  if (!(typeof threshold === 'number' && threshold >= 0)) throw new ValueError(`setPrintOptions: got threshold ${show(threshold)}, expected a non-negative number (Infinity: never summarise)`);
  if (!(Number.isSafeInteger(edgeitems) && edgeitems >= 1)) throw new ValueError(`setPrintOptions: got edgeitems ${show(edgeitems)}, expected a positive integer`);
  if (precision !== null && !(Number.isInteger(precision) && precision >= 0 && precision <= 20)) throw new ValueError(`setPrintOptions: got precision ${show(precision)}, expected an integer from 0 to 20, or null`);
  Object.assign(options, { threshold, edgeitems, precision });
}

export function getPrintOptions(): Required<PrintOptions> {
  return { ...options };
}

interface Strided {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
  data: ArrayLike<number>;
  bool: boolean;
  float: boolean;
}

/** Nested values as text: `[[1,2],[3,4]]`, or `[1,2,3,...,998,999,1000]` when summarised. */
export function formatValues(t: Strided): string {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const summarise = n > options.threshold;
  const e = options.edgeitems;
  const value = (o: number): string => {
    const v = t.data[o];
    if (t.bool) return String(v !== 0);
    if (t.float && options.precision !== null && Number.isFinite(v)) return v.toFixed(options.precision);
    return Object.is(v, -0) ? '-0' : String(v);
  };
  if (t.shape.length === 0) return value(t.offset);
  // Iterative over dims would need a stack as deep as the rank (≤ 64); recursion depth is the rank.
  const walk = (d: number, base: number): string => {
    const size = t.shape[d];
    const parts: string[] = [];
    const at = (i: number) => (d === t.shape.length - 1 ? value(base + i * t.strides[d]) : walk(d + 1, base + i * t.strides[d]));
    if (summarise && size > 2 * e) {
      for (let i = 0; i < e; i++) parts.push(at(i));
      parts.push('...');
      for (let i = size - e; i < size; i++) parts.push(at(i));
    } else {
      for (let i = 0; i < size; i++) parts.push(at(i));
    }
    return `[${parts.join(',')}]`;
  };
  return walk(0, t.offset);
}
