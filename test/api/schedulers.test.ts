// Chained learning-rate schedules against PyTorch 1.13's own rates, written out below (computed
// with torch.optim.lr_scheduler on SGD(lr=0.1), reading param_groups[0]['lr'] after each step;
// the script is in the comment of each row). Equal to 1e-12.
import { describe, expect, it } from 'vitest';
import { optim, tensor, ValueError } from '../../src/index.js';

const TOL = 1e-12;
const sgd = () => new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
type Stepper = { step(): void };

/** lr at epoch 0 (after construction), then after each of n − 1 steps of every stepper, in order. */
function rates(opt: optim.SGD, steppers: Stepper[], n: number): number[] {
  const out = [opt.paramGroups[0].lr];
  for (let i = 1; i < n; i++) {
    for (const s of steppers) s.step();
    out.push(opt.paramGroups[0].lr);
  }
  return out;
}

const CASES: [string, (opt: optim.SGD) => Stepper[], number[]][] = [
  [
    // [LinearLR(o, 0.1, 1.0, 5), CosineAnnealingLR(o, 20, 0.001)], both stepped each epoch
    'warm-up then cosine, two schedulers on one optimizer',
    (o) => [new optim.LinearLR(o, 0.1, 1, 5), new optim.CosineAnnealingLR(o, 20, 0.001)],
    [
      0.010000000000000002,
      0.027833792598034365,
      0.04490265600487655,
      0.06058122471168044,
      0.0742976470835135,
      0.08555892033098739,
      0.07964851111305161,
      0.07302119292387341,
      0.06584015233207839,
      0.05828221038954391,
      0.05053346871026637,
      0.04278472703098885,
      0.03522678508845436,
      0.02804574449665934,
      0.021418426307481135,
      0.015508017089545353,
      0.010460050733321173,
      0.0063988249237386585,
      0.0034243405186654445,
      0.0016098391959022055,
      0.001,
      0.0016094271405406803,
      0.003422702443389889,
      0.006395177052675788,
      0.010453658778440095,
      0.015498214331265886,
      0.02140463001152257,
      0.028027470262892415,
      0.03520365877844008,
      0.04275649398050855,
    ],
  ],
  [
    // [StepLR(o, 3, 0.5), ExponentialLR(o, 0.9)]
    'step and exponential decay together',
    (o) => [new optim.StepLR(o, 3, 0.5), new optim.ExponentialLR(o, 0.9)],
    [
      0.1,
      0.09000000000000001,
      0.08100000000000002,
      0.03645000000000001,
      0.03280500000000001,
      0.02952450000000001,
      0.013286025000000005,
      0.011957422500000005,
      0.010761680250000006,
      0.0048427561125000025,
      0.004358480501250002,
      0.003922632451125002,
    ],
  ],
  [
    // SequentialLR(o, [LinearLR(o, 0.25, 1.0, 4), CosineAnnealingLR(o, 10, 0.0)], [4])
    'SequentialLR: a linear warm-up for 4 epochs, then cosine restarted from the base lr',
    (o) => [new optim.SequentialLR(o, [new optim.LinearLR(o, 0.25, 1, 4), new optim.CosineAnnealingLR(o, 10, 0)], [4])],
    [
      0.025,
      0.043750000000000004,
      0.06250000000000001,
      0.08125000000000002,
      0.1,
      0.09755282581475769,
      0.09045084971874738,
      0.07938926261462367,
      0.06545084971874739,
      0.05000000000000001,
      0.03454915028125264,
      0.020610737385376353,
      0.009549150281252635,
      0.002447174185242324,
      0.0,
      0.0024471741852423235,
      0.009549150281252666,
      0.020610737385376433,
    ],
  ],
  [
    // ChainedScheduler([LinearLR(o, 0.5, 1.0, 3), ExponentialLR(o, 0.8)])
    'ChainedScheduler: linear warm-up and exponential decay stepped as one',
    (o) => [new optim.ChainedScheduler([new optim.LinearLR(o, 0.5, 1, 3), new optim.ExponentialLR(o, 0.8)])],
    [
      0.05,
      0.05333333333333334,
      0.05333333333333334,
      0.0512,
      0.04096,
      0.032768000000000005,
      0.026214400000000006,
      0.020971520000000007,
    ],
  ],
];

describe('chained schedulers', () => {
  it.each(CASES)('match PyTorch: %s', (_, make, want) => {
    const opt = sgd();
    const got = rates(opt, make(opt), want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `epoch ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(TOL));
  });

  it('keeps each group\'s starting lr as initialLr', () => {
    const opt = sgd();
    new optim.ExponentialLR(opt, 0.5).step();
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.05, 15);
    expect((opt.paramGroups[0] as unknown as { initialLr: number }).initialLr).toBe(0.1);
  });

  it('refuses what is not a schedule', () => {
    const opt = sgd();
    const table: [() => unknown, RegExp][] = [
      [() => new optim.SequentialLR(opt, [new optim.ExponentialLR(opt, 0.9)], [3]), /^SequentialLR: got milestones \[3\] for 1 schedulers, expected 0 increasing positive integers/],
      [() => new optim.SequentialLR(opt, [new optim.ExponentialLR(opt, 0.9), new optim.ExponentialLR(sgd(), 0.9)], [3]), /^SequentialLR: schedulers\[1\] drives another optimizer/],
      [() => new optim.ChainedScheduler([5 as never]), /^ChainedScheduler: got 5 at schedulers\[0\], expected a scheduler/],
      [() => new optim.ExponentialLR(opt, '0.9' as never), /^ExponentialLR: got gamma "0\.9", expected a finite number/],
      [() => new optim.StepLR(null as never, 2), /^StepLR: got null, expected an optimizer/],
    ];
    for (const [act, message] of table) {
      expect(act).toThrow(ValueError);
      expect(act).toThrow(message);
    }
  });
});
