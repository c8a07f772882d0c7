// Learning-rate schedules, chainable as PyTorch 1.13's: each group keeps the lr it started with
// as initialLr, and each step scales the group's CURRENT lr, so two schedulers on one optimizer
// compose (warm-up times cosine) instead of overwriting each other. SequentialLR hands over from
// one schedule to the next at milestones; ChainedScheduler steps several at once.
import { ValueError } from '../errors.js';
import { readSync } from '../read-sync.js';
import { Tensor } from '../tensor.js';
import { checkFunction, checkNumber, show } from '../validate.js';
import type { Hyper, Optimizer } from './optimizer.js';

type AnyOptimizer = Optimizer<{ lr: number } & Record<string, Hyper>>;
type Group = AnyOptimizer['paramGroups'][number] & { initialLr?: number };

export abstract class LRScheduler {
  /** Steps taken so far (PyTorch's last_epoch): 0 once constructed. */
  lastEpoch = -1;
  /** Each group's initialLr: what closed forms (and SequentialLR's restarts) scale. */
  readonly baseLrs: number[];
  private lastLr: number[] = [];

  constructor(readonly optimizer: AnyOptimizer) {
    if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
      throw new ValueError(`${this.constructor.name}: got ${show(optimizer)}, expected an optimizer`);
    }
    for (const g of optimizer.paramGroups as Group[]) g.initialLr ??= g.lr;
    this.baseLrs = (optimizer.paramGroups as Group[]).map((g) => g.initialLr as number);
  }

  /** The chainable rule: each group's next lr from its current lr and lastEpoch. */
  protected abstract chained(lr: number, base: number): number;

  /** The closed form at lastEpoch, from the base lr (used by step(epoch) and SequentialLR). */
  protected abstract closedForm(base: number): number;

  /** The first step, which PyTorch's constructor takes: lastEpoch becomes 0. Subclasses call it. */
  protected initialStep(): void {
    this.step();
  }

  /**
   * Moves to the next epoch (call after optimizer.step()); step(epoch) jumps to an epoch in
   * closed form, as PyTorch's deprecated form does (SequentialLR uses step(0)).
   */
  step(epoch?: number): void {
    const groups = this.optimizer.paramGroups;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = groups.map((g, i) => this.chained(g.lr, this.baseLrs[i]));
    } else {
      this.lastEpoch = checkNumber(`${this.constructor.name}.step`, 'epoch', epoch, { integer: true, min: 0 });
      values = groups.map((_, i) => this.closedForm(this.baseLrs[i]));
    }
    groups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = values;
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** lastEpoch, baseLrs and lastLr as float64 tensors (one checkpoint file holds everything). */
  stateDict(): Record<string, Tensor> {
    return { lastEpoch: f64([this.lastEpoch], []), baseLrs: f64(this.baseLrs, [this.baseLrs.length]), lastLr: f64(this.lastLr, [this.lastLr.length]) };
  }

  /**
   * Restores what stateDict() saved, synchronously (as Module's, the optimizers' and PyTorch's),
   * and puts lastLr back into the groups, so the schedule resumes even without the optimizer's state.
   */
  loadStateDict(dict: Record<string, Tensor>): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const { lastEpoch, baseLrs, lastLr } = (dict ?? {}) as Record<string, unknown>;
    if (!(lastEpoch instanceof Tensor) || !(baseLrs instanceof Tensor)) throw new ValueError(`${name}: got ${show(dict)}, expected tensors lastEpoch and baseLrs (and lastLr)`);
    const n = this.baseLrs.length;
    if (baseLrs.numel() !== n) throw new ValueError(`${name}: got ${baseLrs.numel()} base learning rates, expected ${n} (one per group)`);
    if (lastLr !== undefined && (!(lastLr instanceof Tensor) || lastLr.numel() !== n)) throw new ValueError(`${name}: got lastLr ${show(lastLr)}, expected ${n} learning rates`);
    const epoch = readSync(lastEpoch)[0];
    const bases = readSync(baseLrs);
    const lrs = lastLr instanceof Tensor ? readSync(lastLr) : bases.map((b) => b);
    this.lastEpoch = epoch;
    bases.forEach((v, i) => (this.baseLrs[i] = v));
    this.optimizer.paramGroups.forEach((g, i) => {
      (g as Group).initialLr = bases[i];
      g.lr = lrs[i];
    });
    this.lastLr = lrs;
  }
}

function f64(values: readonly number[], shape: number[]): Tensor {
  const t = Tensor.empty(shape, 'float64');
  t.storage.data.set(values);
  return t;
}

function positiveInt(op: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new ValueError(`${op}: got ${what} ${show(n)}, expected a positive integer`);
}

/** lr·γ every stepSize epochs: base·γ^⌊epoch/stepSize⌋ in closed form. */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    super(optimizer);
    positiveInt('StepLR', 'stepSize', stepSize);
    checkNumber('StepLR', 'gamma', gamma, { finite: true });
    this.initialStep();
  }

  protected chained(lr: number): number {
    return this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }

  protected closedForm(base: number): number {
    return base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize);
  }
}

/** lr·γ every epoch: base·γ^epoch in closed form. */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly gamma: number,
  ) {
    super(optimizer);
    checkNumber('ExponentialLR', 'gamma', gamma, { finite: true });
    this.initialStep();
  }

  protected chained(lr: number): number {
    return this.lastEpoch === 0 ? lr : lr * this.gamma;
  }

  protected closedForm(base: number): number {
    return base * this.gamma ** this.lastEpoch;
  }
}

/**
 * SGDR without restarts: closed form ηmin + (base − ηmin)·(1 + cos(π·e/Tmax))/2; the chainable
 * step multiplies (lr − ηmin) by the ratio of that curve at e and e − 1, as PyTorch 1.13 does.
 */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    super(optimizer);
    positiveInt('CosineAnnealingLR', 'tMax', tMax);
    checkNumber('CosineAnnealingLR', 'etaMin', etaMin, { finite: true });
    this.initialStep();
  }

  protected chained(lr: number, base: number): number {
    const e = this.lastEpoch;
    const { tMax, etaMin } = this;
    if (e === 0) return lr;
    if ((e - 1 - tMax) % (2 * tMax) === 0) return lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    return ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) + etaMin;
  }

  protected closedForm(base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2;
  }
}

/** lr = base·factor(epoch), for any schedule a function can say (not chainable, as PyTorch's). */
export class LambdaLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly factor: (epoch: number) => number,
  ) {
    super(optimizer);
    checkFunction('LambdaLR', 'factor', factor);
    this.initialStep();
  }

  protected chained(_lr: number, base: number): number {
    return this.closedForm(base);
  }

  protected closedForm(base: number): number {
    return base * this.factor(this.lastEpoch);
  }
}

/**
 * Linear warm-up (PyTorch's LinearLR): the factor goes from startFactor to endFactor over
 * totalIters steps, then stays. Chainable: each step multiplies lr by the ratio of consecutive
 * factors, 1 + (end − start)/(totalIters·start + (e − 1)·(end − start)).
 */
export class LinearLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly startFactor = 1 / 3,
    readonly endFactor = 1,
    readonly totalIters = 5,
  ) {
    super(optimizer);
    if (!(typeof startFactor === 'number' && startFactor > 0 && startFactor <= 1)) throw new ValueError(`LinearLR: got startFactor ${show(startFactor)}, expected a number in (0, 1]`);
    if (!(typeof endFactor === 'number' && endFactor >= 0 && endFactor <= 1)) throw new ValueError(`LinearLR: got endFactor ${show(endFactor)}, expected a number in [0, 1]`);
    positiveInt('LinearLR', 'totalIters', totalIters);
    this.initialStep();
  }

  protected chained(lr: number): number {
    const e = this.lastEpoch;
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return lr * s;
    if (e > n) return lr;
    return lr * (1 + (f - s) / (n * s + (e - 1) * (f - s)));
  }

  protected closedForm(base: number): number {
    const t = Math.min(this.lastEpoch, this.totalIters) / this.totalIters;
    return base * (this.startFactor + (this.endFactor - this.startFactor) * t);
  }
}

/** Warm-up from startFactor·lr to lr over `steps` steps. */
export class LinearWarmup extends LinearLR {
  constructor(optimizer: AnyOptimizer, steps: number, startFactor = 1 / steps) {
    super(optimizer, startFactor, 1, steps);
  }
}

function checkSchedulers(op: string, schedulers: unknown, optimizer?: AnyOptimizer): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0) throw new ValueError(`${op}: got schedulers ${show(schedulers)}, expected a non-empty array of schedulers`);
  schedulers.forEach((s, i) => {
    if (!(s instanceof LRScheduler)) throw new ValueError(`${op}: got ${show(s)} at schedulers[${i}], expected a scheduler`);
    if (optimizer !== undefined && s.optimizer !== optimizer) throw new ValueError(`${op}: schedulers[${i}] drives another optimizer; expected all to drive the one given`);
  });
  return schedulers as LRScheduler[];
}

/**
 * Runs schedulers[0] until milestones[0], then schedulers[1] (restarted at its epoch 0), …, as
 * PyTorch's SequentialLR. The schedulers' own construction steps are undone: lr starts from initialLr.
 * @example new SequentialLR(opt, [new LinearLR(opt, 0.1, 1, 5), new CosineAnnealingLR(opt, 95)], [5])
 */
export class SequentialLR {
  lastEpoch: number;
  private lastLr: number[];

  constructor(
    readonly optimizer: AnyOptimizer,
    readonly schedulers: LRScheduler[],
    readonly milestones: number[],
  ) {
    checkSchedulers('SequentialLR', schedulers, optimizer);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1 || milestones.some((m, i) => !Number.isInteger(m) || m <= 0 || (i > 0 && m <= milestones[i - 1]))) {
      throw new ValueError(`SequentialLR: got milestones ${show(milestones)} for ${schedulers.length} schedulers, expected ${schedulers.length - 1} increasing positive integers`);
    }
    this.lastEpoch = 0;
    for (const g of optimizer.paramGroups as Group[]) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }
}

/** Steps every scheduler at once, each scaling the lr the one before left (PyTorch's ChainedScheduler). */
export class ChainedScheduler {
  private lastLr: number[];

  constructor(readonly schedulers: LRScheduler[]) {
    checkSchedulers('ChainedScheduler', schedulers);
    this.lastLr = schedulers[schedulers.length - 1].optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.schedulers[this.schedulers.length - 1].optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }
}
