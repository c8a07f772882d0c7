// Bench workload `cnn`: one training step of PyTorch's examples/mnist network (the mnist-cnn
// example's Net) on a batch of 64 random 28×28 images, Adam lr 1e-3; samples/s.
// Twin: bench/torch/cnn.py.
import { manualSeed, nn, optim, randn, tensor, type Tensor } from '../../src/index.js';
import type { BenchModel } from './types.js';

const BATCH = 64;

class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    let h = this.conv2.forward(this.conv1.forward(x).relu()).relu();
    h = this.dropout1.forward(nn.functional.maxPool2d(h, 2)).flatten(1);
    h = this.dropout2.forward(this.fc1.forward(h).relu());
    return this.fc2.forward(h).logSoftmax(1);
  }
}

export const model: BenchModel = {
  name: 'cnn',
  unit: 'samples/s',
  work: BATCH,
  async make() {
    manualSeed(0);
    const net = new Net();
    const optimizer = new optim.Adam(net.parameters(), { lr: 1e-3 });
    const x = randn([BATCH, 1, 28, 28]);
    const y = tensor(Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10));
    return {
      async step() {
        const loss = nn.nllLoss(net.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        await loss.item();
      },
      close() {},
    };
  },
};
