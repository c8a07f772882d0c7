// Optimizers against PyTorch's own trajectories (test/torch/optim_reference.py): the same curved
// loss from the same start, with and without clipGradNorm, weights compared after every step.
// test/optim/optimizers.test.ts checks the update rules against a transcription; this checks
// the transcription's reading of PyTorch: defaults, the order of decay, momentum and clipping.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optim, tensor, type Tensor } from '../src/index.js';

interface Trajectory {
  clip: number | null;
  weights: number[][];
  norms: number[];
}

const REF = JSON.parse(readFileSync(new URL('./torch/optim-reference.json', import.meta.url), 'utf8')) as {
  steps: number;
  start: number[];
  c: number[];
  configs: Record<string, Trajectory>;
};

type Make = (params: Tensor[]) => { zeroGrad(): void; step(): unknown };

/** Each PyTorch configuration of optim_reference.py, as a Skein user writes it. */
const CONFIGS: Record<string, Make> = {
  sgd: (p) => new optim.SGD(p, { lr: 0.05 }),
  sgdMomentum: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  sgdNesterov: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true }),
  adam: (p) => new optim.Adam(p, { lr: 0.05 }),
  adamWeightDecay: (p) => new optim.Adam(p, { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }),
  adamW: (p) => new optim.AdamW(p, { lr: 0.05 }),
  adamWDecay: (p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0.3 }),
  rmsprop: (p) => new optim.RMSprop(p, { lr: 0.01 }),
  rmspropCentered: (p) => new optim.RMSprop(p, { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.05 }),
};

const close = (got: number, want: number) => Math.abs(got - want) <= 1e-12 + 1e-10 * Math.abs(want);

describe("Skein's optimizers follow PyTorch's trajectories", () => {
  it('covers every configuration the reference script ran', () => {
    const names = Object.keys(REF.configs).map((k) => k.replace(/Clipped$/, ''));
    expect([...new Set(names)].sort()).toEqual(Object.keys(CONFIGS).sort());
  });

  for (const [key, ref] of Object.entries(REF.configs)) {
    it(key, async () => {
      const w = tensor(REF.start, { dtype: 'float64', requiresGrad: true });
      const c = tensor(REF.c, { dtype: 'float64' });
      const optimizer = CONFIGS[key.replace(/Clipped$/, '')]([w]);
      for (let step = 0; step < REF.steps; step++) {
        optimizer.zeroGrad();
        c.mul(w).mul(w).add(w.mul(3).sin()).sum().backward();
        if (ref.clip !== null) {
          const norm = optim.clipGradNorm([w], ref.clip);
          expect(close(await norm!.item(), ref.norms[step]), `step ${step}: gradient norm ${await norm!.item()}, PyTorch ${ref.norms[step]}`).toBe(true);
        }
        optimizer.step();
        const got = Array.from(await w.data());
        got.forEach((v, k) => expect(close(v, ref.weights[step][k]), `step ${step}, w[${k}]: got ${v}, PyTorch ${ref.weights[step][k]}`).toBe(true));
      }
    });
  }
});
