// Session: holds the variables' values and runs fragments of a graph. Each distinct (fetches,
// feed shapes) is compiled once and cached; a run binds the feeds and issues the plan's steps.
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { dtypeOfArray, type DType } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { runtimeStats, stream, synchronize } from '../runtime/stream.js';
import { Storage } from '../storage.js';
import { contiguousStrides, numel } from '../shape.js';
import type { Module, StateDict } from '../nn/module.js';
import { show } from '../validate.js';
import { Tensor } from '../tensor.js';
import { compile, type FeedSpec } from './compile.js';
import { ClosedSessionError, GraphMismatchError, UninitializedVariableError } from './errors.js';
import { execute } from './execute.js';
import { explainPlan } from './explain.js';
import type { Graph } from './graph.js';
import { SymbolicTensor, type Variable } from './node.js';
import type { CompileOptions, Plan } from './plan.js';

/** A value fed for a placeholder: a Skein tensor, a typed array (flat, row-major) or nested arrays. */
export type FeedValue = Tensor | Float32Array | Float64Array | Int32Array | Uint8Array | number | boolean | readonly unknown[];
export type Feeds = ReadonlyMap<SymbolicTensor, FeedValue> | readonly (readonly [SymbolicTensor, FeedValue])[];
export type Fetches = SymbolicTensor | readonly SymbolicTensor[] | Readonly<Record<string, SymbolicTensor>>;
/** What run() resolves to: the fetches' shape, with a tensor (null for a group) in each place. */
export type Fetched<F> = F extends SymbolicTensor ? Tensor | null : F extends readonly SymbolicTensor[] ? (Tensor | null)[] : { [K in keyof F]: Tensor | null };

export interface SessionOptions {
  /** Each optimisation can be turned off, for comparison and debugging; all default on. */
  fold?: boolean;
  cse?: boolean;
  fuse?: boolean;
  reuseBuffers?: boolean;
}

export class Session {
  private readonly options: CompileOptions;
  private readonly values = new Map<Variable, Storage>();
  private readonly plans = new Map<string, Promise<Plan>>();
  private closed = false;

  /** @example const sess = new Session(g) */
  constructor(
    readonly graph: Graph,
    options: SessionOptions = {},
  ) {
    this.options = { fold: options.fold ?? true, cse: options.cse ?? true, fuse: options.fuse ?? true, reuseBuffers: options.reuseBuffers ?? true };
  }

  /**
   * Runs the fragment of the graph the fetches need, with the feeds substituted; resolves once the
   * results are computed. Variables keep their values across runs.
   * @example const [lossValue] = await sess.run([loss, newW1, newW2], [[x, xValue], [y, yValue]])
   */
  async run<F extends Fetches>(fetches: F, feeds: Feeds = []): Promise<Fetched<F>> {
    const { list, rebuild } = this.flatten(fetches);
    const bound = this.bindFeeds(feeds);
    const plan = await this.planFor(list, bound);
    for (const v of plan.reads) {
      if (!this.values.has(v)) {
        throw new UninitializedVariableError(`variable ${v.name} (shape ${fmtShape(v.shape)}): read before it was initialized; expected a run of its initializer (or globalVariablesInitializer()) first`);
      }
    }
    for (const v of plan.writes) if (!this.values.has(v)) this.values.set(v, new Storage(v.dtype, numel(v.shape)));
    const before = runtimeStats();
    const bufs = await execute(plan, { feeds: plan.feeds.map((n) => bound.get(n) as Tensor), variable: (v) => this.values.get(v) as Storage });
    // Only failures of this run's own writes (its outputs and variables): an unrelated eager op
    // that failed unread is not this run's error.
    const owned = new Set<Storage>([...bufs.flatMap((b) => (b === null ? [] : [b.storage])), ...plan.writes.map((v) => this.values.get(v) as Storage)]);
    await stream.synchronize(owned);
    const failed = bufs.find((b) => b !== null && b.storage.error !== null);
    if (failed) throw stream.reported(failed.storage.error as Error);
    const after = runtimeStats();
    plan.lastRun = { inlineLaunches: after.inlineLaunches - before.inlineLaunches, poolLaunches: after.poolLaunches - before.poolLaunches, poolTasks: after.poolTasks - before.poolTasks };
    return rebuild(bufs.map((b) => (b === null ? null : new Tensor(b.storage, b.shape, b.strides, b.offset)))) as Fetched<F>;
  }

  /**
   * The compiled plan for these fetches and feeds, as text: steps (fused groups marked), buffers
   * with reuse, and the launches of the last run.
   */
  async explain(fetches: Fetches, feeds: Feeds = []): Promise<string> {
    const { list } = this.flatten(fetches);
    const bound = this.bindFeeds(feeds);
    return explainPlan(await this.planFor(list, bound), list);
  }

  /**
   * The session's values of an nn module's parameters and buffers (those a call on this graph
   * made variables of), as a state dict keyed as module.stateDict() is. The tensors are copies.
   * @example await save(await sess.stateDict(model), 'model.safetensors')
   */
  async stateDict(module: Module): Promise<StateDict> {
    if (this.closed) throw new ClosedSessionError('Session.stateDict: the session is closed; expected a new Session');
    const out: StateDict = {};
    for (const [name, t] of moduleTensors('Session.stateDict', module)) {
      const v = this.graph.variableOf(t);
      const s = v === null ? undefined : this.values.get(v);
      if (s !== undefined) out[name] = noGrad(() => new Tensor(s, [...t.shape], contiguousStrides(t.shape), 0).clone());
    }
    await synchronize();
    return out;
  }

  /**
   * Copies the session's values of a module's variables into the module's own parameters and
   * buffers, so the model trained as a graph runs, saves and loads eagerly.
   * @example await sess.writeBack(model); await save(model.stateDict(), 'model.safetensors')
   */
  async writeBack(module: Module): Promise<void> {
    moduleTensors('Session.writeBack', module);
    const state = await this.stateDict(module);
    noGrad(() => {
      for (const [name, t] of moduleTensors('Session.writeBack', module)) if (state[name] !== undefined) t.copy_(state[name]);
    });
    await synchronize();
  }

  /**
   * Sets the session's variables for a module's tensors from a state dict (as module.stateDict()
   * gives, or load() reads), through the module: it checks the keys, shapes and dtypes.
   */
  async loadStateDict(module: Module, state: StateDict): Promise<void> {
    if (this.closed) throw new ClosedSessionError('Session.loadStateDict: the session is closed; expected a new Session');
    moduleTensors('Session.loadStateDict', module);
    module.loadStateDict(state);
    for (const [, t] of moduleTensors('Session.loadStateDict', module)) {
      const v = this.graph.variableOf(t);
      if (v === null) continue;
      let s = this.values.get(v);
      if (s === undefined) this.values.set(v, (s = new Storage(v.dtype, numel(v.shape))));
      const dst = new Tensor(s, [...t.shape], contiguousStrides(t.shape), 0);
      noGrad(() => dst.copy_(t));
    }
    await synchronize();
  }

  /** Forgets the variables' values and the compiled plans; later runs throw. */
  close(): void {
    this.closed = true;
    this.values.clear();
    this.plans.clear();
  }

  private planFor(list: readonly SymbolicTensor[], feeds: ReadonlyMap<SymbolicTensor, Tensor>): Promise<Plan> {
    const specs = new Map<SymbolicTensor, FeedSpec>();
    for (const [node, t] of feeds) specs.set(node, { shape: t.shape, dtype: t.dtype });
    const key = `${list.map((n) => n.id).join(',')}|${[...specs].map(([n, s]) => `${n.id}:${s.shape.join('x')}`).sort().join(',')}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = compile(list, specs, this.options);
      this.plans.set(key, plan);
      plan.catch(() => this.plans.delete(key));
    }
    return plan;
  }

  private flatten(fetches: Fetches): { list: SymbolicTensor[]; rebuild: (xs: (Tensor | null)[]) => unknown } {
    if (this.closed) throw new ClosedSessionError('Session.run: the session is closed; expected a new Session');
    const check = (x: unknown, where: string): SymbolicTensor => {
      if (!(x instanceof SymbolicTensor)) throw new ValueError(`Session.run: got ${x === null ? 'null' : typeof x} as fetch ${where}, expected a node of the session's graph`);
      if (x.graph !== this.graph) throw new GraphMismatchError(`Session.run: fetch ${where} (${x.name}) belongs to another graph; expected nodes of the session's graph`);
      return x;
    };
    if (fetches instanceof SymbolicTensor) return { list: [check(fetches, '0')], rebuild: (xs) => xs[0] };
    if (Array.isArray(fetches)) return { list: fetches.map((f, i) => check(f, String(i))), rebuild: (xs) => xs };
    if (typeof fetches === 'object' && fetches !== null) {
      const keys = Object.keys(fetches);
      const record = fetches as Record<string, SymbolicTensor>;
      return { list: keys.map((k) => check(record[k], k)), rebuild: (xs) => Object.fromEntries(keys.map((k, i) => [k, xs[i]])) };
    }
    return { list: [check(fetches, '0')], rebuild: (xs) => xs[0] };
  }

  private bindFeeds(feeds: Feeds): Map<SymbolicTensor, Tensor> {
    const entries = feeds instanceof Map ? [...feeds.entries()] : Array.isArray(feeds) ? feeds : null;
    if (entries === null) throw new ValueError('Session.run: got feeds that are neither a Map nor an array of [node, value] pairs');
    const out = new Map<SymbolicTensor, Tensor>();
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ValueError(`Session.run: got feed ${show(entry)}, expected a [placeholder, value] pair`);
      const [node, value] = entry as [unknown, FeedValue];
      if (!(node instanceof SymbolicTensor)) throw new ValueError(`Session.run: got a feed key that is not a node (${typeof node}), expected [placeholder, value] pairs`);
      if (node.graph !== this.graph) throw new GraphMismatchError(`Session.run: feed ${node.name} belongs to another graph; expected nodes of the session's graph`);
      out.set(node, toFeedTensor(node, value));
    }
    return out;
  }
}

function moduleTensors(op: string, module: Module): [string, Tensor][] {
  if (module === null || typeof module !== 'object' || typeof (module as Module).namedParameters !== 'function') {
    throw new ValueError(`${op}: got ${module === null ? 'null' : typeof module}, expected an nn.Module`);
  }
  return [...module.namedParameters(), ...module.namedBuffers()];
}

/** A feed as a contiguous tensor of the node's dtype, its shape checked against the node's. */
function toFeedTensor(node: SymbolicTensor, value: FeedValue): Tensor {
  const where = `feed for ${node.name}`;
  let t: Tensor;
  if (value instanceof Tensor) {
    if (value.dtype !== node.dtype) throw new DTypeError(`${where}: got a tensor of dtype ${value.dtype}, expected ${node.dtype}`);
    t = value.isContiguous() ? value : noGrad(() => value.contiguous());
  } else if (ArrayBuffer.isView(value)) {
    const dtype: DType | null = dtypeOfArray(value);
    if (dtype !== node.dtype) throw new DTypeError(`${where}: got a ${value.constructor.name}, expected the typed array of dtype ${node.dtype}`);
    const flat = tensor(value as Float32Array, { dtype });
    t = flat.reshape(typedShape(node, flat.numel()));
  } else if (typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) {
    t = tensor(value as never, { dtype: node.dtype });
  } else {
    throw new ValueError(`${where}: got ${value === null ? 'null' : typeof value}, expected a Skein tensor, a typed array or nested arrays`);
  }
  const fits = t.shape.length === node.shape.length && t.shape.every((d, i) => node.shape[i] === null || node.shape[i] === d);
  if (!fits) throw new ShapeError(`${where}: got shape ${fmtShape(t.shape)}, expected ${fmtShape(node.shape)}`);
  return t;
}

/** The shape a flat typed array takes: the node's, with one unknown dim inferred from the length. */
function typedShape(node: SymbolicTensor, length: number): number[] {
  const unknown = node.shape.filter((d) => d === null).length;
  const known = numel(node.shape.filter((d) => d !== null));
  if (unknown > 1) throw new ShapeError(`feed for ${node.name}: got a flat typed array of ${length} elements for shape ${fmtShape(node.shape)} with ${unknown} unknown dims; expected a tensor or nested arrays`);
  const fill = unknown === 1 ? length / (known || 1) : known;
  if (!Number.isInteger(fill) || (unknown === 0 && length !== known)) {
    throw new ShapeError(`feed for ${node.name}: got a typed array of ${length} elements, expected ${unknown === 0 ? known : `a multiple of ${known}`} for shape ${fmtShape(node.shape)}`);
  }
  return node.shape.map((d) => d ?? fill);
}
