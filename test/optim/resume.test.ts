// Resuming from a checkpoint file continues training exactly as if it had never stopped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DataLoader, load, manualSeed, nn, optim, randn, save, tensor, underPrefix, withPrefix, type Tensor } from '../../src/index.js';

const EPOCHS = 4;

function setup(initSeed: number) {
  manualSeed(initSeed);
  const model = new nn.Sequential(new nn.Linear(6, 16), new nn.Tanh(), new nn.Linear(16, 3));
  const optimizer = new optim.AdamW(model.parameters(), { lr: 0.05, weightDecay: 0.01 });
  const scheduler = new optim.CosineAnnealingLR(optimizer, 40);
  return { model, optimizer, scheduler };
}

async function data() {
  manualSeed(123);
  const x = randn([50, 6]);
  const y = tensor(Int32Array.from(await x.sum(1).gt(0).int().data()).map((v, i) => v + (i % 2)));
  return new DataLoader([x, y], { batchSize: 8, shuffle: true, seed: 9 });
}

/** Trains epochs [from, to), returning each step's loss. */
async function train(s: ReturnType<typeof setup>, loader: DataLoader, from: number, to: number): Promise<number[]> {
  const losses: number[] = [];
  loader.epoch = from;
  for (let e = from; e < to; e++) {
    for await (const [xb, yb] of loader) {
      const loss = nn.crossEntropy(s.model.forward(xb), yb);
      s.optimizer.zeroGrad();
      loss.backward();
      optim.clipGradNorm(s.model.parameters(), 1);
      s.optimizer.step();
      s.scheduler.step();
      losses.push(await loss.item());
    }
  }
  return losses;
}

it('resumes from a saved model, optimizer and schedule bit for bit', async () => {
  const straight = setup(1);
  const straightLosses = await train(straight, await data(), 0, EPOCHS);

  const first = setup(1);
  const firstLosses = await train(first, await data(), 0, 2);
  const dir = await mkdtemp(join(tmpdir(), 'skein-resume-'));
  const path = join(dir, 'checkpoint.safetensors');
  await save({ ...withPrefix('model.', first.model.stateDict()), ...withPrefix('optimizer.', first.optimizer.stateDict()), ...withPrefix('scheduler.', first.scheduler.stateDict()) }, path);

  // A fresh process would start from other weights and other hyper-parameters: all are overwritten.
  const resumed = setup(99);
  const file = await load(path);
  resumed.model.loadStateDict(underPrefix('model.', file));
  await resumed.optimizer.loadStateDict(underPrefix('optimizer.', file));
  await resumed.scheduler.loadStateDict(underPrefix('scheduler.', file));
  const resumedLosses = await train(resumed, await data(), 2, EPOCHS);
  await rm(dir, { recursive: true, force: true });

  expect([...firstLosses, ...resumedLosses]).toEqual(straightLosses);
  const bits = async (m: nn.Module) => Promise.all(m.parameters().map(async (p: Tensor) => Array.from(new Uint32Array((await p.data()).buffer))));
  expect(await bits(resumed.model)).toEqual(await bits(straight.model));
  expect(resumed.optimizer.paramGroups[0].lr).toBe(straight.optimizer.paramGroups[0].lr);
});
