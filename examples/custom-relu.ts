// The tutorial's "PyTorch: Defining new autograd functions" program, in Skein.
import { autograd, manualSeed, noGrad, randn, type FunctionCtx, type Tensor } from 'skein';
import { lossFell, type Example } from './example.js';

/** A ReLU with a hand-written backward, as an autograd Function. */
class MyReLU extends autograd.Function {
  /** Receives the input, returns the output; ctx keeps what backward needs. */
  static override forward(ctx: FunctionCtx, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return input.clamp({ min: 0 });
  }

  /** Receives d(loss)/d(output), returns d(loss)/d(input). */
  static override backward(ctx: FunctionCtx, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    const gradInput = gradOutput.clone();
    gradInput.maskedFill_(input.lt(0), 0);
    return gradInput;
  }
}

export const customRelu: Example = {
  name: 'custom-relu',
  description: 'the same net with a user-defined autograd Function for the ReLU',
  async run({ steps = 500, quiet, seed, threads, log }) {
    manualSeed(seed);
    const [N, D_in, H, D_out] = [64, 1000, 100, 10];
    const x = randn([N, D_in]);
    const y = randn([N, D_out]);
    const w1 = randn([D_in, H], { requiresGrad: true });
    const w2 = randn([H, D_out], { requiresGrad: true });

    const learningRate = 1e-6;
    const losses: number[] = [];
    const started = performance.now();
    for (let t = 0; t < steps; t++) {
      // Function.apply runs forward and links backward into the graph.
      const relu = (z: Tensor) => MyReLU.apply(z);
      const yPred = relu(x.mm(w1)).mm(w2);

      const loss = yPred.sub(y).pow(2).sum();
      losses.push(await loss.item());
      if (!quiet) log(`${t} ${losses[t]}`);

      loss.backward();

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
