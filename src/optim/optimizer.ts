// The optimizer base: parameter groups with their hyper-parameters, per-parameter state buffers,
// zeroGrad, and a state dict made only of tensors (so a checkpoint is one safetensors file).
// Updates run on the main thread over the parameters' shared storage, queued on the stream in
// order, one fused elementwise pass per buffer written (see update()).
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { checkIterable, checkOptions, show } from '../validate.js';
import { launchMap } from '../ops/define.js';
import { StateDictError } from '../nn/module.js';
import { waitForRoom } from '../runtime/stream.js';
import { readSync } from '../read-sync.js';
import { Tensor } from '../tensor.js';
import { optionsOf } from '../validate.js';

/** A hyper-parameter a group may hold: a number, a flag, or a pair (Adam's betas). */
export type Hyper = number | boolean | readonly number[];

export type ParamGroup<O> = O & { params: Tensor[] };
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> };

/** Per-parameter state: the step count and the buffers the rule keeps (momentum, moments …). */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

export interface ZeroGradOptions {
  /** Drop the gradients (the default, as in PyTorch 2) rather than zero them in place. */
  setToNone?: boolean;
}

export abstract class Optimizer<O extends { lr: number } & Record<string, Hyper>> {
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();

  readonly defaults: O;

  /**
   * options are checked against the defaults' keys BEFORE merging (a typo such as weight_decay
   * or learningRate is refused, not silently dropped); `unsupported` names PyTorch options Skein
   * lacks (amsgrad …), refused unless false.
   */
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>,
    defaults: O,
    options: Partial<O> = {},
    private readonly unsupported: Readonly<Record<string, string>> = {},
  ) {
    const name = this.constructor.name;
    checkOptions(name, options, Object.keys(defaults), unsupported);
    this.defaults = { ...defaults };
    for (const [k, v] of Object.entries(options)) if (v !== undefined && !(k in unsupported)) (this.defaults as Record<string, Hyper>)[k] = v as Hyper;
    checkHyperTypes(name, this.defaults, defaults);
    if (params instanceof Tensor) throw new ValueError(`${name}: got a single tensor as params, expected an iterable of tensors such as [w] or model.parameters()`);
    if (params !== null && typeof params === 'object' && typeof (params as { parameters?: unknown }).parameters === 'function' && !(Symbol.iterator in params)) {
      throw new ValueError(`${name}: got a ${(params as object).constructor.name} as params, expected its parameters: pass model.parameters()`);
    }
    const list = checkIterable(name, 'params', params, 'an iterable of tensors or of parameter groups, such as model.parameters()') as (Tensor | ParamGroupInput<O>)[];
    if (list.length === 0) throw new ValueError(`${this.constructor.name}: got an empty parameter list, expected at least one tensor`);
    const groups = list.every((p) => p instanceof Tensor) ? [{ params: list } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds parameters with their own hyper-parameters (unset ones come from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.constructor.name;
    if (group === null || typeof group !== 'object' || !(Symbol.iterator in Object(group.params))) {
      throw new ValueError(`${name}: got a parameter group without params, expected { params: Tensor[], …hyper-parameters }`);
    }
    const params = [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${name}: got ${typeof p} at parameter ${i}, expected a Tensor`);
      if (!isFloat(p.dtype) || !p.isLeaf || !p.requiresGrad) {
        throw new ValueError(`${name}: parameter ${i} (shape ${fmtShape(p.shape)}, dtype ${p.dtype}) cannot be optimized; expected a floating leaf tensor that requires grad`);
      }
      if (seen.has(p)) throw new ValueError(`${name}: parameter ${i} (shape ${fmtShape(p.shape)}) appears in more than one place; expected each parameter once`);
      seen.add(p);
    });
    const { params: _, ...own } = group as Record<string, unknown>;
    checkOptions(name, own, Object.keys(this.defaults), this.unsupported);
    const merged = { ...this.defaults } as Record<string, Hyper>;
    for (const [k, v] of Object.entries(own)) if (v !== undefined && !(k in this.unsupported)) merged[k] = v as Hyper;
    checkHyperTypes(name, merged, this.defaults);
    this.validate(merged as O);
    this.paramGroups.push({ ...(merged as O), params });
  }

  /** Throws a ValueError naming a hyper-parameter out of its range. */
  protected abstract validate(options: O): void;

  /**
   * Queues one update of every parameter that has a gradient. Values change in stream order.
   * The promise resolves after a turn of the event loop, once the queue is short (a step or so of
   * launches): a loop that awaits only this runs ahead of the device by a bounded amount and
   * leaves the event loop free. Ignoring it is fine; the queue stays bounded either way.
   * Every gradient is checked first, so a bad one changes no parameter.
   * @example await optimizer.step()
   */
  step(): Promise<void> {
    const name = `${this.constructor.name}.step`;
    this.paramGroups.forEach((group, g) =>
      group.params.forEach((p, i) => {
        const grad = p.grad as unknown;
        if (grad === null || grad === undefined) return;
        if (!(grad instanceof Tensor)) throw new ValueError(`${name}: group ${g} parameter ${i} (shape ${fmtShape(p.shape)}) has .grad ${show(grad)}, expected a tensor or null`);
        if (grad.ndim !== p.ndim || grad.shape.some((d, k) => d !== p.shape[k])) {
          throw new ShapeError(`${name}: group ${g} parameter ${i} has shape ${fmtShape(p.shape)} but its .grad has shape ${fmtShape(grad.shape)}; expected equal shapes`);
        }
        if (grad.dtype !== p.dtype) throw new DTypeError(`${name}: group ${g} parameter ${i} is ${p.dtype} but its .grad is ${grad.dtype}; expected the same dtype`);
      }),
    );
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null || p.grad === undefined) continue;
          let st = this.state.get(p);
          if (st === undefined) {
            st = { step: 0, buffers: {} };
            this.state.set(p, st);
          }
          st.step += 1;
          this.updateParam(p, p.grad, st, group);
        }
      }
    });
    return waitForRoom();
  }

  /** Queues the passes that update one parameter (and its state) from its gradient. */
  protected abstract updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** A state buffer, created zeroed on first use. */
  protected buffer(p: Tensor, state: ParamState, name: string): Tensor {
    state.buffers[name] ??= Tensor.empty(p.shape, p.dtype);
    return state.buffers[name];
  }

  /**
   * One fused elementwise pass, in place: target[i] = expr(inputs[i]), inputs named a, b, c …
   * and numbers p0, p1 … The target's version goes up as for any in-place write.
   */
  protected update(target: Tensor, expr: string, inputs: Tensor[], params: number[]): void {
    launchMap(`${this.constructor.name}.step`, expr, target, inputs, params, true);
    target.storage.version += 1;
  }

  zeroGrad(options: ZeroGradOptions = {}): void {
    const { setToNone = true } = optionsOf('zeroGrad', options, ['setToNone']) as ZeroGradOptions;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else noGrad(() => p.grad!.zero_());
      }
    }
  }

  /**
   * Everything needed to resume, as tensors: `state.<i>.step` and `state.<i>.<buffer>` per
   * parameter (numbered across groups in order), `group.<g>.<hyper-parameter>` and
   * `group.<g>.params` (the parameters' numbers). Buffers are shared, not copied.
   * @example await save(withPrefix('optimizer.', optimizer.stateDict()), path)
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    let index = 0;
    this.paramGroups.forEach((group, g) => {
      const numbers: number[] = [];
      for (const p of group.params) {
        const st = this.state.get(p);
        if (st !== undefined) {
          out[`state.${index}.step`] = scalarTensor(st.step);
          for (const [k, b] of Object.entries(st.buffers)) out[`state.${index}.${k}`] = b.detach();
        }
        numbers.push(index++);
      }
      out[`group.${g}.params`] = new Tensor(storageOf(Int32Array.from(numbers)), [numbers.length]);
      for (const [k, v] of Object.entries(group)) {
        if (k !== 'params') out[`group.${g}.${k}`] = hyperTensor(v as Hyper);
      }
    });
    return out;
  }

  /**
   * Restores hyper-parameters and state saved by stateDict(); checks every key, shape and dtype
   * first and changes nothing if one is wrong. Synchronous, as Module's and the schedulers' (and
   * PyTorch's): step counts and hyper-parameters are read to the host with a blocking read.
   */
  loadStateDict(dict: Record<string, Tensor>): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object') throw new StateDictError(`${name}: got ${show(dict)}, expected an object of tensors by name`);
    const host = new Map<Tensor, ArrayLike<number>>();
    for (const [k, t] of Object.entries(dict)) {
      if (!(t instanceof Tensor)) throw new StateDictError(`${name}: ${k} is ${typeof t}, expected a Tensor`);
      if (k.startsWith('group.') || k.endsWith('.step')) host.set(t, readSync(t));
    }
    const problems: string[] = [];
    const used = new Set<string>();
    const take = (key: string): Tensor | undefined => {
      const t = dict[key];
      if (t === undefined) problems.push(`missing key ${key}`);
      else used.add(key);
      return t;
    };
    const hypers: Record<string, Hyper>[] = [];
    const states = new Map<Tensor, ParamState>();
    let index = 0;
    this.paramGroups.forEach((group, g) => {
      const numbers = take(`group.${g}.params`);
      if (numbers !== undefined && numbers.numel() !== group.params.length) {
        problems.push(`group.${g}.params: got ${numbers.numel()} parameters, expected ${group.params.length}`);
      }
      const h: Record<string, Hyper> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params') continue;
        const t = take(`group.${g}.${k}`);
        if (t !== undefined) h[k] = readHyper(t, host.get(t)!, v as Hyper, `group.${g}.${k}`, problems);
      }
      // A scheduler records initialLr in the group; a checkpoint taken with one restores it.
      if (!('initialLr' in group) && dict[`group.${g}.initialLr`] !== undefined) {
        const t = take(`group.${g}.initialLr`) as Tensor;
        h.initialLr = readHyper(t, host.get(t)!, 0, `group.${g}.initialLr`, problems);
      }
      hypers.push(h);
      for (const p of group.params) {
        const prefix = `state.${index++}.`;
        const keys = Object.keys(dict).filter((k) => k.startsWith(prefix));
        if (keys.length === 0) continue;
        const st: ParamState = { step: 0, buffers: {} };
        const step = take(`${prefix}step`);
        if (step !== undefined) st.step = readHyper(step, host.get(step)!, 0, `${prefix}step`, problems) as number;
        for (const key of keys) {
          if (key === `${prefix}step`) continue;
          const t = take(key) as Tensor;
          if (t.dtype !== p.dtype || t.ndim !== p.ndim || t.shape.some((d, i) => d !== p.shape[i])) {
            problems.push(`${key}: got ${t.dtype} ${fmtShape(t.shape)}, expected ${p.dtype} ${fmtShape(p.shape)} like its parameter`);
          } else st.buffers[key.slice(prefix.length)] = noGrad(() => t.clone());
        }
        states.set(p, st);
      }
    });
    const unexpected = Object.keys(dict).filter((k) => !used.has(k));
    if (unexpected.length > 0) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (problems.length > 0) throw new StateDictError(`${name}: the state dict does not fit this optimizer; ${problems.join('; ')}`);
    this.paramGroups.forEach((group, g) => Object.assign(group, hypers[g]));
    this.state.clear();
    for (const [p, st] of states) this.state.set(p, st);
  }
}

/** Each hyper-parameter of the kind its default has: '0.1' is not an lr. */
function checkHyperTypes(name: string, merged: Record<string, Hyper>, defaults: Record<string, Hyper>): void {
  for (const [k, v] of Object.entries(merged)) {
    const like = defaults[k];
    const ok = Array.isArray(like) ? Array.isArray(v) && v.every((x) => typeof x === 'number') : typeof v === (like === undefined ? 'number' : typeof like);
    if (!ok) throw new ValueError(`${name}: got ${k} ${show(v)}, expected ${Array.isArray(like) ? 'an array of numbers' : typeof like === 'boolean' ? 'true or false' : 'a number'}`);
  }
}

function storageOf(values: Float64Array | Int32Array | Uint8Array): Tensor['storage'] {
  const t = Tensor.empty([values.length], values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'bool');
  t.storage.data.set(values);
  return t.storage;
}

function scalarTensor(v: number): Tensor {
  return new Tensor(storageOf(Float64Array.of(v)), []);
}

/** Numbers become 0-d float64 (exact), flags 0-d bool, pairs 1-D float64. */
function hyperTensor(v: Hyper): Tensor {
  if (typeof v === 'boolean') return new Tensor(storageOf(Uint8Array.of(Number(v))), []);
  if (typeof v === 'number') return scalarTensor(v);
  return new Tensor(storageOf(Float64Array.from(v)), [v.length]);
}

/** Reads a hyper-parameter back in the type of its current value. */
function readHyper(t: Tensor, values: ArrayLike<number>, like: Hyper, key: string, problems: string[]): Hyper {
  const at = (i: number) => values[i];
  if (typeof like === 'boolean') {
    if (t.ndim !== 0) problems.push(`${key}: got shape ${fmtShape(t.shape)}, expected a 0-d flag`);
    return at(0) !== 0;
  }
  if (typeof like === 'number') {
    if (t.ndim !== 0) problems.push(`${key}: got shape ${fmtShape(t.shape)}, expected a 0-d number`);
    return at(0);
  }
  if (t.ndim !== 1 || t.shape[0] !== like.length) problems.push(`${key}: got shape ${fmtShape(t.shape)}, expected [${like.length}]`);
  return Array.from({ length: like.length }, (_, i) => at(i));
}
