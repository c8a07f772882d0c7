// mnist-mlp's model and data under DistributedDataParallel: N processes (mpirun -np N --bind-to
// none node dist/examples/run.js mnist-ddp, or the runner's --procs N), each training on its
// DistributedSampler shard with a per-rank batch of 64 / N, so the global batch and the steps per
// epoch are mnist-mlp's. Metrics are all-reduced; rank 0 alone prints and writes the checkpoint,
// between barriers. Run as a plain process it is a world of one.
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cat, DataLoader, data, distributed as dist, manualSeed, nn, noGrad, optim, save, tensor, withPrefix, type Tensor } from 'skein';
import type { Example } from './example.js';
import { readMnist } from './mnist-data.js';
import { makeModel } from './mnist-mlp.js';

const EPOCHS = 4;
/** The global batch, as mnist-mlp's; each rank takes its share. */
const BATCH = 64;
const PASS_ACCURACY = 0.97;

/** Held-out accuracy over all ranks: each scores every world-th row, and the counts are summed. */
async function accuracy(model: nn.Module, images: Tensor, labels: Tensor, rank: number, world: number): Promise<number> {
  const rows = tensor(Int32Array.from({ length: Math.ceil((labels.numel() - rank) / world) }, (_, k) => rank + k * world));
  model.eval();
  const correct = noGrad(() => model.forward(images.indexSelect(0, rows)).argmax(1).eq(labels.indexSelect(0, rows)).int().sum());
  model.train();
  const counts = dist.allReduce(cat([correct.reshape([1]).to('int32'), tensor(Int32Array.of(rows.numel()))]), { op: 'sum' });
  const [hits, total] = await counts.data();
  return hits / total;
}

export const mnistDdp: Example = {
  name: 'mnist-ddp',
  description: `mnist-mlp under DistributedDataParallel over MPI (use --procs N, or mpirun -np N --bind-to none), ${EPOCHS} epochs, test accuracy ≥ 97%`,
  async run({ steps, quiet, seed, threads, log, out }) {
    await dist.init();
    const rank = dist.getRank();
    const world = dist.getWorldSize();
    const say = rank === 0 ? log : () => undefined;
    const train = readMnist('train');
    const { images: testX, labels: testY } = readMnist('test');
    const sampler = new data.DistributedSampler(train.labels.numel(), { seed });
    const batch = Math.max(1, Math.round(BATCH / world));
    const loader = new DataLoader([train.images, train.labels], { batchSize: batch, sampler });

    manualSeed(seed);
    const ddp = new nn.parallel.DistributedDataParallel(makeModel());
    const totalSteps = Math.min(steps ?? Infinity, EPOCHS * loader.length);
    const optimizer = new optim.AdamW(ddp.parameters(), { lr: 2e-3, weightDecay: 1e-4 });
    const scheduler = new optim.CosineAnnealingLR(optimizer, totalSteps);

    const losses: number[] = [];
    let accuracyNow = 0;
    const trainingStarted = performance.now();
    for (let epoch = 1; epoch <= EPOCHS && losses.length < totalSteps; epoch++) {
      sampler.setEpoch(epoch);
      const epochStarted = performance.now();
      let sum = 0;
      let seen = 0;
      for await (const [x, y] of loader) {
        if (losses.length >= totalSteps) break;
        const loss = nn.crossEntropy(ddp.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        scheduler.step();
        // The mean over all ranks' batches: what a single process would have seen.
        const value = await dist.allReduce(loss.detach().clone(), { op: 'avg' }).item();
        losses.push(value);
        sum += value * x.shape[0] * world;
        seen += x.shape[0] * world;
        if (!quiet && losses.length % 50 === 0) say(`  step ${losses.length} loss ${value.toFixed(4)}`);
      }
      accuracyNow = await accuracy(ddp.module, testX, testY, rank, world);
      const rate = seen / ((performance.now() - epochStarted) / 1000);
      say(`epoch ${epoch}/${EPOCHS} loss ${(sum / seen).toFixed(6)} test accuracy ${(100 * accuracyNow).toFixed(2)}% (${Math.round(rate).toLocaleString('en-US')} samples/s over ${world} process(es))`);
    }
    const trainSeconds = (performance.now() - trainingStarted) / 1000;

    // Rank 0 writes the checkpoint; the barriers keep the others from reading or exiting early.
    await dist.barrier();
    let checkpoint = '';
    if (rank === 0) {
      const dir = out ?? (await mkdtemp(join(tmpdir(), 'skein-mnist-ddp-')));
      await mkdir(dir, { recursive: true });
      checkpoint = join(dir, 'mnist-ddp.safetensors');
      await save({ ...withPrefix('model.', ddp.module.stateDict()), ...withPrefix('optimizer.', optimizer.stateDict()) }, checkpoint, {
        metadata: { example: 'mnist-ddp', processes: String(world), testAccuracy: accuracyNow.toFixed(4) },
      });
    }
    await dist.barrier();
    const samples = losses.length * batch * world;
    say(
      `mnist-ddp: ${losses.length} steps of ${batch}×${world} samples in ${trainSeconds.toFixed(1)} s ` +
        `(${Math.round(samples / trainSeconds).toLocaleString('en-US')} samples/s) on ${world} process(es) × ${threads} thread(s)${checkpoint ? `; checkpoint ${checkpoint}` : ''}`,
    );
    await dist.destroy();
    return { ok: accuracyNow >= PASS_ACCURACY, summary: `${rank === 0 ? '' : `rank ${rank}: `}test accuracy ${(100 * accuracyNow).toFixed(1)}%`, losses };
  },
};
