// nn.Module: a model is an object whose fields are parameters, buffers and submodules. They are
// found by walking the fields (in the order they were assigned), so `this.fc = new Linear(…)`
// registers a submodule and `this.w = Parameter(randn([3]))` a parameter, as in PyTorch.
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat } from '../dtype.js';
import { fmtShape, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { bindForward } from './symbolic.js';
import { addHook, callModule, newHooks, type BackwardHook, type ForwardHook, type ForwardPreHook, type ModuleHooks, type RemovableHandle } from './hooks.js';
import { optionsOf, show } from '../validate.js';

const HOOKS = Symbol('hooks');

const PARAMETERS = new WeakSet<Tensor>();
const BUFFERS = new WeakSet<Tensor>();

/** A tensor's values and metadata keyed by dotted name: what checkpoints store. */
export type StateDict = Record<string, Tensor>;

/** A key that loadStateDict could not match, with why. */
export class StateDictError extends ValueError {}

/**
 * Marks a tensor as a module parameter: a leaf that requires grad, trained by optimizers and
 * saved in the state dict. A non-leaf is detached first.
 * @example this.scale = Parameter(ones([4]))
 */
export function Parameter(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(`Parameter: got ${typeof t}, expected a Tensor`);
  if (!isFloat(t.dtype)) throw new ValueError(`Parameter: got a tensor of dtype ${t.dtype}, expected float32 or float64`);
  const leaf = t.isLeaf ? t : t.detach();
  leaf.requiresGrad = true;
  PARAMETERS.add(leaf);
  return leaf;
}

export function isParameter(x: unknown): x is Tensor {
  return x instanceof Tensor && PARAMETERS.has(x);
}

export function isBuffer(x: unknown): x is Tensor {
  return x instanceof Tensor && BUFFERS.has(x);
}

export interface LoadStateDictOptions {
  /** When false, missing and unexpected keys are reported instead of thrown (mis-shaped keys always throw). */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

type Entry = { kind: 'module'; value: Module } | { kind: 'parameter' | 'buffer'; value: Tensor };

export abstract class Module {
  /** Dropout and friends behave differently in training; set with train() / eval(). */
  training = true;

  abstract forward(...inputs: any[]): any;

  constructor() {
    // forward goes through callModule (hooks, input checks, errors named after this module). Not
    // enumerable, so the field walk below never sees it; the subclass's forward is on the prototype.
    const hooks = newHooks();
    const forward = this.forward;
    Object.defineProperty(this, HOOKS, { value: hooks, enumerable: false });
    Object.defineProperty(this, 'forward', {
      value: (...args: unknown[]) => callModule(this, hooks, forward, args),
      enumerable: false,
      writable: true,
      configurable: true,
    });
    // Called on a graph's symbolic tensor, forward uses the graph's variables (see symbolic.ts).
    bindForward(this, isParameter, isBuffer);
  }

  private hooks(): ModuleHooks {
    return (this as unknown as Record<symbol, ModuleHooks>)[HOOKS];
  }

  /**
   * hook(module, args) runs before every forward; returning a value replaces the arguments.
   * @example const h = model.registerForwardPreHook((m, args) => console.log(args)); h.remove()
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(this.hooks().pre, 'registerForwardPreHook', hook);
  }

  /** hook(module, args, output) runs after every forward; returning a value replaces the output. */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(this.hooks().forward, 'registerForwardHook', hook);
  }

  /**
   * hook(module, gradInput, gradOutput) runs in backward once the gradients with respect to the
   * module's tensor inputs are known; returning an array replaces gradInput.
   */
  registerFullBackwardHook(hook: BackwardHook): RemovableHandle {
    return addHook(this.hooks().backward, 'registerFullBackwardHook', hook);
  }

  /**
   * A tensor that is saved in the state dict but not trained (running statistics and the like).
   * @example this.registerBuffer('steps', zeros([], { dtype: 'int32' }))
   */
  registerBuffer(name: string, t: Tensor): void {
    if (!(t instanceof Tensor)) throw new ValueError(`registerBuffer: got ${typeof t} for ${show(name)}, expected a Tensor`);
    BUFFERS.add(t);
    (this as Record<string, unknown>)[name] = t;
  }

  /** This module's own fields that are modules, parameters or buffers; arrays of modules too. */
  private *entries(): Generator<[string, Entry]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, { kind: 'module', value }];
      else if (value instanceof Tensor && PARAMETERS.has(value)) yield [key, { kind: 'parameter', value }];
      else if (value instanceof Tensor && BUFFERS.has(value)) yield [key, { kind: 'buffer', value }];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] instanceof Module) yield [`${key}.${i}`, { kind: 'module', value: value[i] }];
      }
    }
  }

  *namedChildren(): Generator<[string, Module]> {
    for (const [name, e] of this.entries()) if (e.kind === 'module') yield [name, e.value];
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every submodule, depth first, each once (a shared submodule keeps its first name). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.namedChildren()) visit(sub, name === '' ? child : `${name}.${child}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedTensors(kind: 'parameter' | 'buffer'): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, e] of m.entries()) {
        if (e.kind !== kind || seen.has(e.value)) continue;
        seen.add(e.value);
        out.push([prefix === '' ? name : `${prefix}.${name}`, e.value]);
      }
    }
    return out;
  }

  /** Every parameter with its dotted name; a parameter shared by two modules appears once. */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors('parameter');
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    return this.namedTensors('buffer');
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient: drops it (the default, as PyTorch 2), or zeroes it in place. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const { setToNone = true } = optionsOf('zeroGrad', options, ['setToNone']) as { setToNone?: boolean };
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (setToNone) p.grad = null;
      else noGrad(() => p.grad!.zero_());
    }
  }

  /**
   * Parameters and buffers by dotted name. The tensors share the module's memory (detached), as
   * PyTorch's do: save them before the next update, or clone them.
   * @example await save(model.stateDict(), 'model.safetensors')
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) out[name] = t.detach();
    return out;
  }

  /**
   * Copies values into the parameters and buffers. Every key must exist with the same shape and
   * dtype; all problems are listed in one error. Strict by default.
   * @example model.loadStateDict(await load('model.safetensors'))
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { strict = true } = optionsOf('loadStateDict', options, ['strict']) as LoadStateDictOptions;
    if (state === null || typeof state !== 'object') throw new StateDictError(`loadStateDict: got ${show(state)}, expected an object of tensors by name`);
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missingKeys = [...own.keys()].filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [name, target] of own) {
      const src = state[name];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) problems.push(`${name}: got ${typeof src}, expected a Tensor`);
      else if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        problems.push(`${name}: got shape ${fmtShape(src.shape)}, expected ${fmtShape(target.shape)}`);
      } else if (src.dtype !== target.dtype) problems.push(`${name}: got dtype ${src.dtype}, expected ${target.dtype}`);
    }
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length > 0) throw new StateDictError(`loadStateDict: the state dict does not fit ${this.constructor.name}; ${problems.join('; ')}`);
    noGrad(() => {
      for (const [name, target] of own) if (state[name] !== undefined) target.copy_(state[name]);
    });
    return { missingKeys, unexpectedKeys };
  }
}
