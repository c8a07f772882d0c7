// The MNIST network of PyTorch's own examples repository (examples/mnist/main.py), trained on
// MNIST's 60,000 training digits and scored on its 10,000 test digits: two 3×3 convolutions, a
// 2×2 max-pool, dropout and two linear layers, Adam at lr 1e-3, batch 64, 3 epochs. Prints a
// progress bar on a terminal, a line per epoch, the test accuracy and samples/s; fails below
// 98.5% test accuracy.
import { DataLoader, manualSeed, nn, noGrad, optim, type Tensor } from 'skein';
import type { Example } from './example.js';
import { readMnist } from './mnist-data.js';

const EPOCHS = 3;
const BATCH = 64;
/** Test digits per forward pass when scoring (the activations of 2,000 at once are ~300 MB). */
const EVAL_BATCH = 250;
/** The example fails below this test accuracy (PyTorch's example passes 98.5% after one epoch). */
const PASS_ACCURACY = 0.985;
/** MNIST's pixel mean and standard deviation, as the PyTorch example normalises with. */
const MEAN = 0.1307;
const STD = 0.3081;

/** PyTorch's examples/mnist Net, layer for layer. */
class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    let h = this.conv1.forward(x).relu();
    h = this.conv2.forward(h).relu();
    h = nn.functional.maxPool2d(h, 2);
    h = this.dropout1.forward(h).flatten(1);
    h = this.dropout2.forward(this.fc1.forward(h).relu());
    return this.fc2.forward(h).logSoftmax(1);
  }
}

async function accuracy(model: nn.Module, images: Tensor, labels: Tensor): Promise<number> {
  model.eval();
  let correct = 0;
  for (let i = 0; i < labels.numel(); i += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, labels.numel() - i);
    const hits = noGrad(() => model.forward(images.narrow(0, i, n)).argmax(1).eq(labels.narrow(0, i, n)).int().sum());
    correct += await hits.item();
  }
  model.train();
  return correct / labels.numel();
}

/** A one-line bar redrawn in place: `epoch 2/3 [#####.....] 63/125 loss 0.2310 · 512 samples/s`. */
function progress(epoch: number, step: number, steps: number, loss: number, rate: number): string {
  const width = 24;
  const filled = Math.round((width * step) / steps);
  return `epoch ${epoch}/${EPOCHS} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${steps} loss ${loss.toFixed(4)} · ${Math.round(rate).toLocaleString('en-US')} samples/s`;
}

export const mnistCnn: Example = {
  name: 'mnist-cnn',
  description: `PyTorch's examples/mnist CNN (conv 1→32→64, max-pool, dropout, 9216→128→10) on MNIST's 60,000 digits, ${EPOCHS} epochs of Adam, test accuracy ≥ 98.5%`,
  async run({ steps, quiet, seed, threads, log }) {
    const normalise = (images: Tensor) => images.reshape([-1, 1, 28, 28]).sub(MEAN).div(STD);
    const train = readMnist('train');
    const test = readMnist('test');
    const [testX, testY] = [normalise(test.images), test.labels];
    const loader = new DataLoader([normalise(train.images), train.labels], { batchSize: BATCH, shuffle: true, seed });

    manualSeed(seed);
    const model = new Net();
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const totalSteps = Math.min(steps ?? Infinity, EPOCHS * loader.length);

    const bar = !quiet && process.stdout.isTTY === true;
    const losses: number[] = [];
    let accuracyNow = 0;
    let trainSeconds = 0;
    for (let epoch = 1; epoch <= EPOCHS && losses.length < totalSteps; epoch++) {
      const epochStarted = performance.now();
      let sum = 0;
      let seen = 0;
      let step = 0;
      for await (const [x, y] of loader) {
        if (losses.length >= totalSteps) break;
        const loss = nn.nllLoss(model.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        const value = await loss.item();
        losses.push(value);
        sum += value * x.shape[0];
        seen += x.shape[0];
        step += 1;
        if (bar) process.stdout.write(`\r\x1b[2K${progress(epoch, step, loader.length, value, seen / ((performance.now() - epochStarted) / 1000))}`);
      }
      if (bar) process.stdout.write('\r\x1b[2K');
      const seconds = (performance.now() - epochStarted) / 1000;
      trainSeconds += seconds;
      accuracyNow = await accuracy(model, testX, testY);
      log(`epoch ${epoch}/${EPOCHS} loss ${(sum / seen).toFixed(6)} test accuracy ${(100 * accuracyNow).toFixed(2)}% (${Math.round(seen / seconds).toLocaleString('en-US')} samples/s)`);
    }
    const rate = (losses.length * BATCH) / trainSeconds;
    log(`mnist-cnn: ${train.labels.numel()} training and ${testY.numel()} test digits, ${losses.length} steps on ${threads} thread(s)`);
    log(`${Math.round(rate)} samples/s`);
    return { ok: accuracyNow >= PASS_ACCURACY, summary: `test accuracy ${(100 * accuracyNow).toFixed(2)}%`, losses };
  },
};
