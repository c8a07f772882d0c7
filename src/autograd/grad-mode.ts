// Whether ops record the graph. Off inside noGrad (optimizer updates, backward formulas).
//
// Synchronous regions flip one global flag (the hot path: read once per op). An async function
// given to noGrad/enableGrad runs in an AsyncLocalStorage context instead, so its mode follows
// its own awaits and never leaks into other tasks that run meanwhile; the context is consulted
// only once such a function has been seen.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ValueError } from '../errors.js';

let enabled = true;

interface Mode {
  enabled: boolean;
}
const asyncMode = new AsyncLocalStorage<Mode>();
let asyncModeUsed = false;

export function isGradEnabled(): boolean {
  if (asyncModeUsed) {
    const m = asyncMode.getStore();
    if (m !== undefined) return m.enabled;
  }
  return enabled;
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (fn.constructor?.name === 'AsyncFunction' || fn.constructor?.name === 'AsyncGeneratorFunction');
}

/** Runs fn with recording on or off, restoring the mode after. */
export function withGradMode<R>(mode: boolean, fn: () => R, op = 'noGrad'): R {
  if (typeof fn !== 'function') throw new ValueError(`${op}: got ${fn === null ? 'null' : typeof fn}, expected a function to run`);
  if (isAsyncFunction(fn)) {
    asyncModeUsed = true;
    return asyncMode.run({ enabled: mode }, fn);
  }
  const inAsync = asyncModeUsed ? asyncMode.getStore() : undefined;
  if (inAsync !== undefined) {
    // Inside an async region: change that region's mode, for the synchronous extent of fn.
    const previous = inAsync.enabled;
    inAsync.enabled = mode;
    try {
      return checkNotPromise(op, fn());
    } finally {
      inAsync.enabled = previous;
    }
  }
  const previous = enabled;
  enabled = mode;
  try {
    return checkNotPromise(op, fn());
  } finally {
    enabled = previous;
  }
}

/**
 * A plain function that returns a promise ran its synchronous part in the mode, but its
 * continuations would not: refused, since only an async function can carry the mode across awaits.
 */
function checkNotPromise<R>(op: string, r: R): R {
  if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
    (r as unknown as Promise<unknown>).then(undefined, () => {});
    throw new ValueError(`${op}: got a function that returned a promise; its code after the first await would run with the mode restored. Expected a synchronous function or an async function (${op}(async () => …))`);
  }
  return r;
}

/**
 * Runs fn without recording the graph, as `with torch.no_grad():`. An async function keeps the
 * mode across its awaits (and other tasks meanwhile keep theirs); its promise is returned.
 * @example noGrad(() => w.sub_(w.grad!.mul(lr)))
 * @example await noGrad(async () => { const out = model.forward(x); return await out.data() })
 */
export function noGrad<R>(fn: () => R): R {
  return withGradMode(false, fn, 'noGrad');
}

/** Runs fn with recording on, inside a noGrad region. */
export function enableGrad<R>(fn: () => R): R {
  return withGradMode(true, fn, 'enableGrad');
}

export function setGradEnabled(mode: boolean): void {
  const m = asyncModeUsed ? asyncMode.getStore() : undefined;
  if (m !== undefined) m.enabled = mode;
  else enabled = mode;
}
