// Anomaly mode, as PyTorch's detect_anomaly: backward checks the gradients each node's formula
// returns and stops at the first NaN, naming the op whose backward made it. Each node then waits
// for its values (the stream is flushed on the main thread), so it is a debugging mode, off by default.
import { AutogradError, fmtShape } from '../errors.js';
import { stream } from '../runtime/stream.js';
import type { Tensor } from '../tensor.js';
import { forEachOffset } from '../shape.js';

let enabled = false;

/**
 * Turns anomaly mode on or off; with a function, runs it with anomaly mode on and restores the
 * previous mode (synchronous code only, like noGrad).
 * @example detectAnomaly(() => loss.backward())
 */
export function detectAnomaly(mode?: boolean): void;
export function detectAnomaly<R>(fn: () => R): R;
export function detectAnomaly<R>(arg: boolean | (() => R) = true): R | void {
  if (typeof arg !== 'function') {
    enabled = arg;
    return;
  }
  const previous = enabled;
  enabled = true;
  try {
    return arg();
  } finally {
    enabled = previous;
  }
}

export function isAnomalyEnabled(): boolean {
  return enabled;
}

/** Throws if a gradient the node `name` returned holds NaN (or was never computed). */
export function checkGradients(name: string, grads: readonly (Tensor | null | undefined)[]): void {
  stream.flushSync();
  grads.forEach((g, i) => {
    if (g === null || g === undefined) return;
    if (g.storage.error !== null) throw g.storage.error;
    const at = firstNaN(g);
    if (at >= 0) {
      throw new AutogradError(
        `${name}: its backward produced NaN in the gradient for input ${i} (shape ${fmtShape(g.shape)}, element ${at}); ` +
          'expected finite gradients (anomaly mode stopped the backward pass here)',
      );
    }
  });
}

/** Row-major position of the first NaN, or -1. */
function firstNaN(t: Tensor): number {
  let at = -1;
  let i = 0;
  forEachOffset(t.shape, t.strides, t.offset, (o) => {
    if (at < 0 && Number.isNaN(t.storage.data[o])) at = i;
    i += 1;
  });
  return at;
}
