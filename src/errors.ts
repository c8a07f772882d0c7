// Every error Skein raises on purpose: a SkeinError subclass that names the op, what it got and
// what it expected, so a user can fix the call without reading Skein's source.

export class SkeinError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: mismatched, non-broadcastable, wrong rank, bad sizes. */
export class ShapeError extends SkeinError {}
/** A dtype the op does not accept, or two that do not mix. */
export class DTypeError extends SkeinError {}
/** A dim or index outside its range. */
export class IndexError extends SkeinError {}
/** A value the op cannot take: NaN where forbidden, a negative size, a non-tensor. */
export class ValueError extends SkeinError {}
/** Misuse of autograd: a freed graph, a non-scalar backward, a stale saved tensor. */
export class AutogradError extends SkeinError {}
/** A kernel that failed on the device: a worker threw or died. */
export class DeviceError extends SkeinError {}
/** A collective across processes that failed: a rank died, hangs past the timeout, or MPI is missing. */
export class DistributedError extends SkeinError {}

/** `[2, 3]` for messages. */
export function fmtShape(shape: readonly (number | null)[]): string {
  if (!Array.isArray(shape)) return dimText(shape);
  return `[${shape.map(dimText).join(', ')}]`;
}

/** One size as the user wrote it: a string stays quoted, anything odd is named, nothing throws. */
function dimText(d: unknown): string {
  if (d === null) return '?';
  if (typeof d === 'number') return String(d);
  if (typeof d === 'string') return JSON.stringify(d);
  if (typeof d === 'bigint') return `${d}n`;
  if (typeof d === 'object') return Array.isArray(d) ? 'an array' : 'an object';
  return typeof d === 'function' ? 'a function' : String(d);
}
