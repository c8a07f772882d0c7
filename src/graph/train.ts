// TF1's optimizers for graphs (`train.AdamOptimizer` …), with the update rules of Skein's eager
// `optim` (PyTorch's), so a model trains the same in both modes. Each update is an assign of one
// elementwise expression, which the compiler fuses into one pass writing the variable in place.
import { isFloat } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { TensorOps } from '../ops/methods.js';
import { gradients } from './gradients.js';
import type { Graph } from './graph.js';
import { SymbolicTensor, Variable } from './node.js';

/** A gradient (null when the loss does not depend on the variable) and its variable. */
export type GradAndVar = [SymbolicTensor | null, Variable];

export interface MinimizeOptions {
  /** The variables to train (default: the graph's trainable variables). */
  varList?: readonly Variable[];
  /** A variable incremented by one with each update (TF1's global_step), int32 or float. */
  globalStep?: Variable;
}

type Rate = number | SymbolicTensor;

function checkRate(op: string, what: string, v: Rate, ok: (x: number) => boolean, want: string): void {
  if (v instanceof SymbolicTensor) return;
  if (typeof v !== 'number' || !ok(v)) throw new ValueError(`${op}: got ${what} ${String(v)}, expected ${want}`);
}

/** What a value is, for messages: a node's class, or its type. */
function describe(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'an object') : typeof x;
}

const nonNegative = (x: number) => x >= 0;
const fraction = (x: number) => x >= 0 && x < 1;

export abstract class Optimizer {
  private readonly slots = new Map<Variable, Map<string, Variable>>();

  constructor(readonly name: string) {}

  /** Gradients of loss for each variable, paired with it; null for a variable loss does not reach. */
  computeGradients(loss: SymbolicTensor, { varList }: Pick<MinimizeOptions, 'varList'> = {}): GradAndVar[] {
    const op = `${this.name}.computeGradients`;
    if (!(loss instanceof SymbolicTensor)) throw new ValueError(`${op}: got ${typeof loss} as loss, expected a node of a graph`);
    if (!isFloat(loss.dtype)) throw new ValueError(`${op}: got a loss of dtype ${loss.dtype}, expected float32 or float64`);
    const vars = varList ?? loss.graph.trainableVariables();
    vars.forEach((v, i) => {
      if (!(v instanceof Variable)) throw new ValueError(`${op}: got ${v === null ? 'null' : ((v as object).constructor?.name ?? typeof v)} at varList[${i}], expected a Variable`);
    });
    if (vars.length === 0) throw new ValueError(`${op}: got no variables to train, expected a varList or trainable variables in the graph`);
    const grads = gradients(loss, vars);
    return vars.map((v, i) => [grads[i], v]);
  }

  /** One node that applies every update (and increments globalStep); run it once per step. */
  applyGradients(gradsAndVars: readonly GradAndVar[], { globalStep }: Pick<MinimizeOptions, 'globalStep'> = {}): SymbolicTensor {
    const op = `${this.name}.applyGradients`;
    if (!Array.isArray(gradsAndVars)) throw new ValueError(`${op}: got ${typeof gradsAndVars}, expected [gradient, variable] pairs`);
    gradsAndVars.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || !(pair[1] instanceof Variable) || !(pair[0] === null || pair[0] instanceof SymbolicTensor)) {
        throw new ValueError(`${op}: got ${Array.isArray(pair) ? `[${pair.map(describe).join(', ')}]` : describe(pair)} at ${i}, expected a [gradient or null, Variable] pair`);
      }
    });
    const live = gradsAndVars.filter((p): p is [SymbolicTensor, Variable] => p[0] !== null);
    if (live.length === 0) {
      throw new ValueError(`${op}: no gradients for any variable (${gradsAndVars.map(([, v]) => v.name).join(', ') || 'none given'}); expected the loss to depend on at least one of them`);
    }
    const graph: Graph = live[0][1].graph;
    for (const [g, v] of live) {
      graph.check(op, g);
      graph.check(op, v);
    }
    if (globalStep !== undefined && !(globalStep instanceof Variable)) throw new ValueError(`${op}: got ${describe(globalStep)} as globalStep, expected a Variable`);
    const shared = this.prepare(graph);
    const updates = live.flatMap(([g, v]) => this.applyDense(g, v, shared));
    const after = this.finish(shared);
    const step = globalStep === undefined ? [] : [globalStep.assign(globalStep.add(1))];
    return graph.group(...updates, ...after, ...step);
  }

  /** computeGradients then applyGradients. */
  minimize(loss: SymbolicTensor, { varList, globalStep }: MinimizeOptions = {}): SymbolicTensor {
    return this.applyGradients(this.computeGradients(loss, { varList }), { globalStep });
  }

  /** The slot variable `name` of v (Adam's "m" and "v", momentum's "momentum" …), or null. */
  getSlot(v: Variable, name: string): Variable | null {
    return this.slots.get(v)?.get(name) ?? null;
  }

  getSlotNames(): string[] {
    const names = new Set<string>();
    for (const m of this.slots.values()) for (const k of m.keys()) names.add(k);
    return [...names];
  }

  /** A variable like v, starting at zeros, created once; globalVariablesInitializer sets it. */
  protected slot(v: Variable, name: string, fill = 0): Variable {
    let own = this.slots.get(v);
    if (own === undefined) this.slots.set(v, (own = new Map()));
    let s = own.get(name);
    if (s === undefined) {
      s = v.graph.variable(v.graph.zeros(v.shape as number[], v.dtype).fullLike(fill), { name: `${v.name}/${this.name}/${name}`, trainable: false, dtype: v.dtype });
      own.set(name, s);
    }
    return s;
  }

  /** Values shared by every variable's update (Adam's β powers). */
  protected prepare(graph: Graph): unknown {
    void graph;
    return null;
  }

  /** The assigns that update v (and its slots) from gradient g. */
  protected abstract applyDense(g: SymbolicTensor, v: Variable, shared: unknown): SymbolicTensor[];

  /** Updates after every variable's (the scheduler runs them after every read of the old values). */
  protected finish(shared: unknown): SymbolicTensor[] {
    void shared;
    return [];
  }
}

/** A number, or a 0-d node, in v's dtype. */
function rate(v: Variable, r: Rate): SymbolicTensor | number {
  return typeof r === 'number' ? r : r.dtype === v.dtype ? r : r.to(v.dtype);
}

/**
 * w ← w − lr·g (torch.optim.SGD without momentum).
 * @example const train = new graph.train.GradientDescentOptimizer(0.1).minimize(loss)
 */
export class GradientDescentOptimizer extends Optimizer {
  constructor(readonly learningRate: Rate) {
    super('GradientDescent');
    checkRate('GradientDescentOptimizer', 'learningRate', learningRate, nonNegative, 'a number ≥ 0');
  }

  protected applyDense(g: SymbolicTensor, v: Variable): SymbolicTensor[] {
    return [v.assign(v.sub(g.mul(rate(v, this.learningRate))))];
  }
}

export interface MomentumOptions {
  useNesterov?: boolean;
}

/**
 * torch.optim.SGD's momentum (dampening 0), which TF1's momentum equals:
 *   b ← μ·b + g (b starts at 0, so b = g on the first step)
 *   w ← w − lr·(g + μ·b) (Nesterov) or w − lr·b
 */
export class MomentumOptimizer extends Optimizer {
  readonly useNesterov: boolean;

  constructor(
    readonly learningRate: Rate,
    readonly momentum: number,
    { useNesterov = false }: MomentumOptions = {},
  ) {
    super('Momentum');
    checkRate('MomentumOptimizer', 'learningRate', learningRate, nonNegative, 'a number ≥ 0');
    checkRate('MomentumOptimizer', 'momentum', momentum, nonNegative, 'a number ≥ 0');
    this.useNesterov = useNesterov;
  }

  protected applyDense(g: SymbolicTensor, v: Variable): SymbolicTensor[] {
    const b = this.slot(v, 'momentum');
    const b2 = b.assign(b.mul(this.momentum).add(g));
    const step = this.useNesterov ? g.add(b2.mul(this.momentum)) : b2;
    return [b2, v.assign(v.sub(step.mul(rate(v, this.learningRate))))];
  }
}

export interface AdamOptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam by torch.optim.Adam's rule (as `optim.Adam`; TF1 puts ε inside the bias correction):
 *   m ← β1·m + (1 − β1)·g        v ← β2·v + (1 − β2)·g²
 *   w ← w − (lr/(1 − β1ᵗ)) · m / (√v/√(1 − β2ᵗ) + ε)
 * β1ᵗ and β2ᵗ are float64 variables of the optimizer (TF1's beta1_power), multiplied after
 * every update.
 */
export class AdamOptimizer extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly powers = new Map<Graph, [Variable, Variable]>();

  constructor(
    readonly learningRate: Rate = 0.001,
    { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: AdamOptimizerOptions = {},
  ) {
    super('Adam');
    checkRate('AdamOptimizer', 'learningRate', learningRate, nonNegative, 'a number ≥ 0');
    checkRate('AdamOptimizer', 'beta1', beta1, fraction, 'a number in [0, 1)');
    checkRate('AdamOptimizer', 'beta2', beta2, fraction, 'a number in [0, 1)');
    checkRate('AdamOptimizer', 'epsilon', epsilon, nonNegative, 'a number ≥ 0');
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected override prepare(graph: Graph): [Variable, Variable] {
    let p = this.powers.get(graph);
    if (p === undefined) {
      const power = (b: number, name: string) => graph.variable(b, { dtype: 'float64', trainable: false, name });
      p = [power(this.beta1, 'Adam/beta1_power'), power(this.beta2, 'Adam/beta2_power')];
      this.powers.set(graph, p);
    }
    return p;
  }

  protected applyDense(g: SymbolicTensor, v: Variable, shared: unknown): SymbolicTensor[] {
    const [b1t, b2t] = shared as [Variable, Variable];
    const m = this.slot(v, 'm');
    const s = this.slot(v, 'v');
    const m2 = m.assign(m.mul(this.beta1).add(g.mul(1 - this.beta1)));
    const s2 = s.assign(s.mul(this.beta2).add(g.mul(g).mul(1 - this.beta2)));
    const lr = typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.to('float64');
    const stepSize = b1t.neg().add(1).pow(-1).mul(lr).to(v.dtype); // lr / (1 − β1ᵗ)
    const bc2 = b2t.neg().add(1).sqrt().to(v.dtype); // √(1 − β2ᵗ)
    return [m2, s2, v.assign(v.sub(stepSize.mul(m2).div(s2.sqrt().div(bc2).add(this.epsilon))))];
  }

  protected override finish(shared: unknown): SymbolicTensor[] {
    const [b1t, b2t] = shared as [Variable, Variable];
    return [b1t.assign(b1t.mul(this.beta1)), b2t.assign(b2t.mul(this.beta2))];
  }
}

export interface RMSPropOptions {
  /** The average's decay, α (default 0.9, as TF1). */
  decay?: number;
  momentum?: number;
  /** Default 1e-10, as TF1. */
  epsilon?: number;
  centered?: boolean;
}

/**
 * RMSprop by torch.optim.RMSprop's rule (as `optim.RMSprop`; TF1 puts ε inside the root and starts
 * the average at ones):
 *   s ← α·s + (1 − α)·g²          a ← α·a + (1 − α)·g   (centred only)
 *   d ← √(s − a²) + ε (centred) or √s + ε
 *   b ← μ·b + g/d, w ← w − lr·b   (μ ≠ 0)   or   w ← w − lr·g/d
 */
export class RMSPropOptimizer extends Optimizer {
  readonly decay: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(
    readonly learningRate: Rate,
    { decay = 0.9, momentum = 0, epsilon = 1e-10, centered = false }: RMSPropOptions = {},
  ) {
    super('RMSProp');
    checkRate('RMSPropOptimizer', 'learningRate', learningRate, nonNegative, 'a number ≥ 0');
    checkRate('RMSPropOptimizer', 'decay', decay, nonNegative, 'a number ≥ 0');
    checkRate('RMSPropOptimizer', 'momentum', momentum, nonNegative, 'a number ≥ 0');
    checkRate('RMSPropOptimizer', 'epsilon', epsilon, nonNegative, 'a number ≥ 0');
    this.decay = decay;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = centered;
  }

  protected applyDense(g: SymbolicTensor, v: Variable): SymbolicTensor[] {
    const s = this.slot(v, 'rms');
    const s2 = s.assign(s.mul(this.decay).add(g.mul(g).mul(1 - this.decay)));
    const out: SymbolicTensor[] = [s2];
    let denom: SymbolicTensor;
    if (this.centered) {
      const a = this.slot(v, 'mg');
      const a2 = a.assign(a.mul(this.decay).add(g.mul(1 - this.decay)));
      out.push(a2);
      denom = s2.sub(a2.mul(a2)).sqrt().add(this.epsilon);
    } else denom = s2.sqrt().add(this.epsilon);
    const lr = rate(v, this.learningRate);
    if (this.momentum > 0) {
      const b = this.slot(v, 'momentum');
      const b2 = b.assign(b.mul(this.momentum).add(g.div(denom)));
      out.push(b2, v.assign(v.sub(b2.mul(lr))));
    } else out.push(v.assign(v.sub(g.div(denom).mul(lr))));
    return out;
  }
}

/**
 * TF1's clip_by_global_norm: with N = √(Σ‖tᵢ‖²), every tᵢ becomes tᵢ·clipNorm/max(N, clipNorm)
 * (unchanged when N ≤ clipNorm). Nulls pass through. Returns the clipped list and N. Written with
 * tensor methods, so it serves eager tensors as well as graph nodes.
 * @example const [clipped, norm] = train.clipByGlobalNorm(grads, 5)
 */
export function clipByGlobalNorm<T extends TensorOps<T>>(tList: readonly (T | null)[], clipNorm: number, { useNorm }: { useNorm?: T } = {}): [(T | null)[], T] {
  if (!Array.isArray(tList)) throw new ValueError(`clipByGlobalNorm: got ${typeof tList}, expected a list of tensors`);
  if (!(typeof clipNorm === 'number' && clipNorm > 0)) throw new ValueError(`clipByGlobalNorm: got clipNorm ${String(clipNorm)}, expected a number > 0`);
  const present = tList.filter((t): t is T => t !== null);
  if (present.length === 0) throw new ValueError('clipByGlobalNorm: got no tensors (all null), expected at least one');
  const norm = useNorm ?? globalNorm(present);
  const scale = norm.maximum(clipNorm).pow(-1).mul(clipNorm); // clipNorm / max(N, clipNorm)
  return [tList.map((t) => (t === null ? null : t.mul(scale.dtype === t.dtype ? scale : scale.to(t.dtype)))), norm];
}

/** √(Σᵢ Σ tᵢ²), summed in list order. */
export function globalNorm<T extends TensorOps<T>>(tList: readonly T[]): T {
  let total: T | null = null;
  for (const t of tList) {
    const sq = t.mul(t).sum();
    total = total === null ? sq : total.add(sq);
  }
  return (total as T).sqrt();
}
