// The epoch loop the MNIST examples share: train over the loader, read each step's loss, redraw a
// progress bar on a terminal, score the test digits after every epoch and log one line per epoch.
import { noGrad, type DataLoader, type nn, type Tensor } from 'skein';

/** Test digits per forward pass when scoring (a CNN's activations for 2,000 at once are ~300 MB). */
const SCORE_BATCH = 250;

/** The fraction of `images` whose argmax class equals `labels`, in eval mode, batch by batch. */
export async function accuracy(model: nn.Module, images: Tensor, labels: Tensor): Promise<number> {
  model.eval();
  let correct = 0;
  for (let i = 0; i < labels.numel(); i += SCORE_BATCH) {
    const n = Math.min(SCORE_BATCH, labels.numel() - i);
    const hits = noGrad(() => model.forward(images.narrow(0, i, n)).argmax(1).eq(labels.narrow(0, i, n)).int().sum());
    correct += await hits.item();
  }
  model.train();
  return correct / labels.numel();
}

/** A one-line bar redrawn in place: `epoch 2/3 [#####.....] 63/125 loss 0.2310 · 512 samples/s`. */
function progress(epoch: number, epochs: number, step: number, steps: number, loss: number, rate: number): string {
  const width = 24;
  const filled = Math.round((width * step) / steps);
  return `epoch ${epoch}/${epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${steps} loss ${loss.toFixed(4)} · ${Math.round(rate).toLocaleString('en-US')} samples/s`;
}

export interface EpochLoop {
  model: nn.Module;
  loader: DataLoader;
  epochs: number;
  /** Stops early after this many steps in all (a short run). */
  totalSteps: number;
  /** One training step on a batch; returns its loss. */
  step(x: Tensor, y: Tensor): Tensor;
  test: { images: Tensor; labels: Tensor };
  bar: boolean;
  log(line: string): void;
}

/** Runs the epochs; `trainSeconds` leaves out the scoring. */
export async function trainEpochs(loop: EpochLoop): Promise<{ losses: number[]; accuracies: number[]; trainSeconds: number }> {
  const { model, loader, epochs, totalSteps, bar, log } = loop;
  const losses: number[] = [];
  const accuracies: number[] = [];
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= epochs && losses.length < totalSteps; epoch++) {
    const started = performance.now();
    let [sum, seen, step] = [0, 0, 0];
    for await (const [x, y] of loader) {
      if (losses.length >= totalSteps) break;
      const value = await loop.step(x, y).item();
      losses.push(value);
      sum += value * x.shape[0];
      seen += x.shape[0];
      step += 1;
      if (bar) process.stdout.write(`\r\x1b[2K${progress(epoch, epochs, step, loader.length, value, seen / ((performance.now() - started) / 1000))}`);
    }
    if (bar) process.stdout.write('\r\x1b[2K');
    const seconds = (performance.now() - started) / 1000;
    trainSeconds += seconds;
    accuracies.push(await accuracy(model, loop.test.images, loop.test.labels));
    const rate = Math.round(seen / seconds).toLocaleString('en-US');
    log(`epoch ${epoch}/${epochs} loss ${(sum / seen).toFixed(6)} test accuracy ${(100 * accuracies[accuracies.length - 1]).toFixed(2)}% (${rate} samples/s)`);
  }
  return { losses, accuracies, trainSeconds };
}
