// Whether ops record the graph. Off inside noGrad (optimizer updates, backward formulas).

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn with recording on or off, restoring the mode after. */
export function withGradMode<R>(mode: boolean, fn: () => R): R {
  const previous = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/**
 * Runs fn without recording the graph, as `with torch.no_grad():`. Synchronous code only: the
 * mode is restored when fn returns.
 * @example noGrad(() => w.sub_(w.grad!.mul(lr)))
 */
export function noGrad<R>(fn: () => R): R {
  return withGradMode(false, fn);
}

/** Runs fn with recording on, inside a noGrad region. */
export function enableGrad<R>(fn: () => R): R {
  return withGradMode(true, fn);
}

export function setGradEnabled(mode: boolean): void {
  enabled = mode;
}
