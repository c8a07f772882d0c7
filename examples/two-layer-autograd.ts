// The tutorial's "PyTorch: Variables and autograd" program, in Skein.
import { manualSeed, noGrad, randn } from 'skein';
import { lossFell, type Example } from './example.js';

export const twoLayerAutograd: Example = {
  name: 'two-layer-autograd',
  description: "the tutorial's two-layer net trained with autograd (N=64, 1000→100→10, 500 steps)",
  async run({ steps = 500, quiet, seed, threads, log }) {
    manualSeed(seed);
    // N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
    const [N, D_in, H, D_out] = [64, 1000, 100, 10];

    // Random inputs and outputs; they need no gradients.
    const x = randn([N, D_in]);
    const y = randn([N, D_out]);

    // Random weights; requiresGrad asks autograd for their gradients.
    const w1 = randn([D_in, H], { requiresGrad: true });
    const w2 = randn([H, D_out], { requiresGrad: true });

    const learningRate = 1e-6;
    const losses: number[] = [];
    const started = performance.now();
    for (let t = 0; t < steps; t++) {
      // Forward pass: the same ops as by hand, but autograd records them.
      const yPred = x.mm(w1).clamp({ min: 0 }).mm(w2);

      // The loss is a 0-d tensor; item() waits for its value.
      const loss = yPred.sub(y).pow(2).sum();
      losses.push(await loss.item());
      if (!quiet) log(`${t} ${losses[t]}`);

      // Backward pass: fills w1.grad and w2.grad.
      loss.backward();

      // Update the weights without recording, then zero the gradients by hand.
      noGrad(() => {
        w1.sub_(w1.grad!.mul(learningRate));
        w2.sub_(w2.grad!.mul(learningRate));
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
    }
    return lossFell(this.name, losses, 1000, (performance.now() - started) / 1000, threads);
  },
};
