// The MNIST network of PyTorch's own examples repository (examples/mnist/main.py), trained on
// MNIST's 60,000 training digits and scored on its 10,000 test digits: two 3×3 convolutions, a
// 2×2 max-pool, dropout and two linear layers, Adam at lr 1e-3, batch 64, 3 epochs. Prints a
// progress bar on a terminal, a line per epoch, the test accuracy and samples/s; fails below
// 98.5% test accuracy.
import { DataLoader, manualSeed, nn, optim, type Tensor } from 'skein';
import type { Example } from './example.js';
import { readMnist } from './mnist-data.js';
import { trainEpochs } from './mnist-train.js';

const EPOCHS = 3;
const BATCH = 64;
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

    const { losses, accuracies, trainSeconds } = await trainEpochs({
      model,
      loader,
      epochs: EPOCHS,
      totalSteps,
      test: { images: testX, labels: testY },
      bar: !quiet && process.stdout.isTTY === true,
      log,
      step(x, y) {
        const loss = nn.nllLoss(model.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss;
      },
    });
    const accuracyNow = accuracies[accuracies.length - 1];
    const rate = (losses.length * BATCH) / trainSeconds;
    log(`mnist-cnn: ${train.labels.numel()} training and ${testY.numel()} test digits, ${losses.length} steps on ${threads} thread(s)`);
    log(`${Math.round(rate)} samples/s`);
    return { ok: accuracyNow >= PASS_ACCURACY, summary: `test accuracy ${(100 * accuracyNow).toFixed(2)}%`, losses };
  },
};
