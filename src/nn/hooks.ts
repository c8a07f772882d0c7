// Module hooks, as torch.nn.Module's: forward pre-hooks, forward hooks and full backward hooks,
// run around every forward call. Module's constructor routes forward through callModule, so a
// subclass only writes forward and gets hooks and the user-op naming of errors for free.
import { AutogradError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { moduleCall, show } from '../validate.js';

/** What register…Hook returns: remove() unregisters the hook (again: nothing). */
export interface RemovableHandle {
  remove(): void;
}

export type ForwardPreHook = (module: any, args: unknown[]) => unknown[] | unknown | void;
export type ForwardHook = (module: any, args: unknown[], output: any) => unknown | void;
/** gradInput: d(loss)/d(each tensor input) (null where none); return replacements, or nothing. */
export type BackwardHook = (module: any, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => (Tensor | null)[] | void;

export interface ModuleHooks {
  pre: Map<number, ForwardPreHook>;
  forward: Map<number, ForwardHook>;
  backward: Map<number, BackwardHook>;
}

let nextHookId = 0;

export function newHooks(): ModuleHooks {
  return { pre: new Map(), forward: new Map(), backward: new Map() };
}

export function addHook<F>(map: Map<number, F>, op: string, hook: F): RemovableHandle {
  if (typeof hook !== 'function') throw new ValueError(`${op}: got ${show(hook)}, expected a function`);
  const id = nextHookId++;
  map.set(id, hook);
  return { remove: () => void map.delete(id) };
}

/** One forward call: pre-hooks, the forward (named for errors), backward wiring, forward hooks. */
export function callModule(module: object, hooks: ModuleHooks, forward: (...args: any[]) => any, args: unknown[]): any {
  const name = module.constructor.name;
  if (args.length > 0 && (args[0] === undefined || args[0] === null)) {
    throw new ValueError(`${name}.forward: got input ${show(args[0])}, expected a tensor`);
  }
  for (const hook of [...hooks.pre.values()]) {
    const r = hook(module, args);
    if (r !== undefined) args = Array.isArray(r) ? r : [r];
  }
  const wired = hooks.backward.size > 0 ? wireInputs(args) : null;
  if (wired !== null) args = wired.args;
  let out = moduleCall(name, () => forward.apply(module, args));
  for (const hook of [...hooks.forward.values()]) {
    const r = hook(module, args, out);
    if (r !== undefined) out = r;
  }
  if (wired !== null) wireOutputs(module, hooks, wired, out);
  return out;
}

interface Wired {
  args: unknown[];
  /** The identity views of inputs that require grad, in argument order. */
  inputs: Tensor[];
}

/** Each input that requires grad goes through a fresh identity view, whose gradient is gradInput. */
function wireInputs(args: unknown[]): Wired {
  const inputs: Tensor[] = [];
  const out = args.map((a) => {
    if (!(a instanceof Tensor) || !a.requiresGrad) return a;
    const v = a.view(a.shape);
    inputs.push(v);
    return v;
  });
  return { args: out, inputs };
}

/**
 * Backward: the outputs' gradients arrive first (gradOutput), then the inputs' (gradInput); the
 * hook runs once both are known, and may replace gradInput. With no input needing a gradient, it
 * runs as soon as gradOutput is known, with gradInput [null], as PyTorch does.
 */
function wireOutputs(module: object, hooks: ModuleHooks, wired: Wired, out: unknown): void {
  const outputs = (out instanceof Tensor ? [out] : Array.isArray(out) ? out.filter((o) => o instanceof Tensor) : []) as Tensor[];
  const live = outputs.filter((o) => o.requiresGrad);
  if (live.length === 0) return;
  const gradOutput: (Tensor | null)[] = outputs.map(() => null);
  const gradInput: (Tensor | null)[] = wired.inputs.map(() => null);
  let outputsLeft = live.length;
  let inputsLeft = wired.inputs.length;
  const run = (): (Tensor | null)[] => {
    let result = gradInput;
    for (const hook of [...hooks.backward.values()]) {
      const r = hook(module, result, gradOutput);
      if (r === undefined) continue;
      if (!Array.isArray(r) || r.length !== result.length) {
        throw new AutogradError(`${module.constructor.name}: a backward hook returned ${show(r)}, expected an array of ${result.length} gradients (or nothing)`);
      }
      result = r;
    }
    return result;
  };
  outputs.forEach((o, i) => {
    if (!o.requiresGrad) return;
    o.registerHook((g) => {
      gradOutput[i] = g;
      outputsLeft -= 1;
      if (outputsLeft === 0 && wired.inputs.length === 0) run();
    });
  });
  let replaced: (Tensor | null)[] | null = null;
  wired.inputs.forEach((x, i) => {
    x.registerHook((g) => {
      gradInput[i] = g;
      inputsLeft -= 1;
      if (inputsLeft === 0) replaced = run();
      // Each input's gradient is replaced once every input's is known (the last to arrive); the
      // earlier ones have already flowed on, as with PyTorch's hook on a multi-input module.
      return replaced !== null ? replaced[i] ?? undefined : undefined;
    });
  });
}
