// Learning-rate schedules against their closed forms, worked by hand.
import { describe, expect, it } from 'vitest';
import { optim, tensor } from '../../src/index.js';

const sgd = (lr = 1) => new optim.SGD([tensor([0], { requiresGrad: true })], { lr });

/** lr for epochs 0 … n−1: the value set at construction, then one step() each. */
function lrs(s: optim.LRScheduler, n: number): number[] {
  const out = [s.getLastLr()[0]];
  for (let i = 1; i < n; i++) {
    s.step();
    out.push(s.getLastLr()[0]);
  }
  return out;
}

describe('schedulers', () => {
  const table: [string, () => optim.LRScheduler, number, number[]][] = [
    // 0.1·0.5^⌊e/2⌋
    ['StepLR halves every 2 epochs', () => new optim.StepLR(sgd(0.1), 2, 0.5), 6, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]],
    // (1 + cos(πe/4))/2: 1, (1 + √½)/2, ½, (1 − √½)/2, 0, then back up past Tmax
    ['CosineAnnealingLR falls to etaMin at Tmax', () => new optim.CosineAnnealingLR(sgd(1), 4), 5, [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2, 0]],
    ['CosineAnnealingLR stays above etaMin', () => new optim.CosineAnnealingLR(sgd(1), 2, 0.2), 3, [1, 0.6, 0.2]],
    ['LambdaLR multiplies by the function of the epoch', () => new optim.LambdaLR(sgd(2), (e) => 1 / (e + 1)), 4, [2, 1, 2 / 3, 0.5]],
    // factor 0.25 → 1 over 3 steps: 0.25, 0.5, 0.75, 1, 1
    ['LinearWarmup ramps from startFactor·lr to lr, then holds', () => new optim.LinearWarmup(sgd(1), 3, 0.25), 5, [0.25, 0.5, 0.75, 1, 1]],
    ['LinearLR ramps between two factors', () => new optim.LinearLR(sgd(1), 1, 0.5, 2), 4, [1, 0.75, 0.5, 0.5]],
  ];
  it.each(table)('%s', (_, make, n, want) => {
    lrs(make(), n).forEach((v, i) => expect(v, `epoch ${i}`).toBeCloseTo(want[i], 12));
  });

  it('resumes at the saved epoch from its state dict', async () => {
    const a = new optim.StepLR(sgd(0.1), 2, 0.5);
    lrs(a, 4);
    const opt = sgd(0.1);
    const b = new optim.StepLR(opt, 2, 0.5);
    await b.loadStateDict(a.stateDict());
    expect(b.lastEpoch).toBe(3);
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.05, 12);
    b.step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.025, 12);
  });

  it('rejects a non-positive step size', () => {
    expect(() => new optim.StepLR(sgd(), 0)).toThrow(/StepLR: got stepSize 0, expected a positive integer/);
  });
});
