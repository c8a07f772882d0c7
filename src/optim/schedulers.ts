// Learning-rate schedules: each sets every group's lr from its initial lr and the epoch count, in
// closed form (so resuming at epoch e needs only e).
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { Hyper, Optimizer } from './optimizer.js';

type AnyOptimizer = Optimizer<{ lr: number } & Record<string, Hyper>>;

export abstract class LRScheduler {
  /** Steps taken so far (PyTorch's last_epoch, which step() counts up from 0). */
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: AnyOptimizer) {
    if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray(optimizer.paramGroups)) {
      throw new ValueError(`${this.constructor.name}: got ${String(optimizer)}, expected an optimizer`);
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The factor or value for one group at an epoch. */
  protected abstract lrAt(epoch: number, baseLr: number): number;

  /** Sets the groups' lr for the current epoch; subclasses call it once constructed. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i])));
  }

  /** Moves to the next epoch (call after optimizer.step()). */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): Record<string, Tensor> {
    const t = Tensor.empty([], 'float64');
    t.storage.data[0] = this.lastEpoch;
    const base = Tensor.empty([this.baseLrs.length], 'float64');
    base.storage.data.set(this.baseLrs);
    return { lastEpoch: t, baseLrs: base };
  }

  async loadStateDict(dict: Record<string, Tensor>): Promise<void> {
    const name = `${this.constructor.name}.loadStateDict`;
    const { lastEpoch, baseLrs } = dict ?? {};
    if (!(lastEpoch instanceof Tensor) || !(baseLrs instanceof Tensor)) throw new ValueError(`${name}: expected tensors lastEpoch and baseLrs`);
    if (baseLrs.numel() !== this.baseLrs.length) throw new ValueError(`${name}: got ${baseLrs.numel()} base learning rates, expected ${this.baseLrs.length} (one per group)`);
    this.lastEpoch = await lastEpoch.item();
    (await baseLrs.data()).forEach((v, i) => (this.baseLrs[i] = v));
    this.apply();
  }
}

function positiveInt(op: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new ValueError(`${op}: got ${what} ${String(n)}, expected a positive integer`);
}

/** lr = base·γ^⌊epoch/stepSize⌋ */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    super(optimizer);
    positiveInt('StepLR', 'stepSize', stepSize);
    this.apply();
  }

  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/Tmax))/2 (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    super(optimizer);
    positiveInt('CosineAnnealingLR', 'tMax', tMax);
    this.apply();
  }

  protected lrAt(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** lr = base·factor(epoch), for any schedule a function can say. */
export class LambdaLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly factor: (epoch: number) => number,
  ) {
    super(optimizer);
    if (typeof factor !== 'function') throw new ValueError(`LambdaLR: got ${typeof factor}, expected a function of the epoch`);
    this.apply();
  }

  protected lrAt(epoch: number, base: number): number {
    return base * this.factor(epoch);
  }
}

/**
 * Linear warm-up (PyTorch's LinearLR): the factor goes from startFactor to endFactor over
 * totalIters steps, then stays at endFactor.
 */
export class LinearLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly startFactor = 1 / 3,
    readonly endFactor = 1,
    readonly totalIters = 5,
  ) {
    super(optimizer);
    if (!(startFactor > 0 && startFactor <= 1)) throw new ValueError(`LinearLR: got startFactor ${startFactor}, expected a number in (0, 1]`);
    positiveInt('LinearLR', 'totalIters', totalIters);
    this.apply();
  }

  protected lrAt(epoch: number, base: number): number {
    const t = Math.min(epoch, this.totalIters) / this.totalIters;
    return base * (this.startFactor + (this.endFactor - this.startFactor) * t);
  }
}

/** Warm-up from startFactor·lr to lr over `steps` steps. */
export class LinearWarmup extends LinearLR {
  constructor(optimizer: AnyOptimizer, steps: number, startFactor = 1 / steps) {
    super(optimizer, startFactor, 1, steps);
  }
}
