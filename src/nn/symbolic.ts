// nn modules on graphs. A module's forward, called with a tensor of another kind (a graph's
// symbolic tensor), runs with each of the module's own parameters and buffers replaced by that
// kind's stand-in for it (the graph's variable, made once per graph from the module's values
// at that time). Forward bodies call tensor methods on whatever they receive, so any module
// composed of tensor methods, in any file, runs in both modes without knowing graphs exist.
import { Tensor } from '../tensor.js';

/** A tensor kind that can stand in for a module's eager tensors (graph nodes implement it). */
export interface ModuleTensorHost {
  /** The stand-in for t, a parameter (trainable) or a buffer, named as the module's field. */
  liftModuleTensor(t: Tensor, options: { trainable: boolean; name: string }): unknown;
}

function isHost(x: unknown): x is ModuleTensorHost {
  return typeof x === 'object' && x !== null && !(x instanceof Tensor) && typeof (x as ModuleTensorHost).liftModuleTensor === 'function';
}

/** The first argument (or element of an array argument) of a kind other than eager. */
function hostAmong(args: readonly unknown[]): ModuleTensorHost | null {
  for (const a of args) {
    if (isHost(a)) return a;
    if (Array.isArray(a)) for (const x of a) if (isHost(x)) return x;
  }
  return null;
}

/**
 * Makes m.forward swap in stand-ins when called on another tensor kind; eager calls go straight
 * through. Called once per module, from Module's constructor.
 */
export function bindForward(m: object, isParameter: (x: unknown) => boolean, isBuffer: (x: unknown) => boolean): void {
  const forward = (m as { forward: (...args: unknown[]) => unknown }).forward;
  Object.defineProperty(m, 'forward', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: Record<string, unknown>, ...args: unknown[]): unknown {
      const host = hostAmong(args);
      if (host === null) return forward.apply(this, args);
      const own = Object.entries(this).filter(([, v]) => isParameter(v) || isBuffer(v)) as [string, Tensor][];
      for (const [key, t] of own) this[key] = host.liftModuleTensor(t, { trainable: isParameter(t), name: `${this.constructor.name}.${key}` });
      try {
        return forward.apply(this, args);
      } finally {
        for (const [key, t] of own) this[key] = t;
      }
    },
  });
}
