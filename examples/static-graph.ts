// The tutorial's "TensorFlow: Static Graphs" program, in Skein's graph mode.
import { manualSeed, randn, type Tensor } from 'skein';
import { Graph, gradients, Session, type SymbolicTensor } from 'skein/graph';
import { lossFell, type Example } from './example.js';

export interface TwoLayerGraph {
  graph: Graph;
  x: SymbolicTensor;
  y: SymbolicTensor;
  loss: SymbolicTensor;
  newW1: SymbolicTensor;
  newW2: SymbolicTensor;
}

/**
 * The tutorial's graph: placeholders for x and y, variables w1 and w2 drawn from a normal, the
 * forward pass, tf.gradients, and the two assigns. The bench builds its W1 workload from this.
 */
export function buildTwoLayerGraph(dIn = 1000, h = 100, dOut = 10, learningRate = 1e-6): TwoLayerGraph {
  const g = new Graph();
  // Placeholders for the input and target data; they are filled with real data at each run.
  const x = g.placeholder('float32', [null, dIn], 'x');
  const y = g.placeholder('float32', [null, dOut], 'y');

  // Variables for the weights, initialized with random data; they persist across runs.
  const w1 = g.variable(g.randomNormal([dIn, h]), { name: 'w1' });
  const w2 = g.variable(g.randomNormal([h, dOut]), { name: 'w2' });

  // Forward pass: this only builds nodes; nothing is computed yet.
  const hidden = x.matmul(w1);
  const hRelu = hidden.maximum(g.zeros([1]));
  const yPred = hRelu.matmul(w2);

  // The loss, and its gradient with respect to w1 and w2.
  const loss = y.sub(yPred).pow(2).sum();
  const [gradW1, gradW2] = gradients(loss, [w1, w2]);

  // The update is part of the graph: running newW1 and newW2 assigns the new weights.
  const newW1 = w1.assign(w1.sub(gradW1!.mul(learningRate)));
  const newW2 = w2.assign(w2.sub(gradW2!.mul(learningRate)));
  return { graph: g, x, y, loss, newW1, newW2 };
}

export const staticGraph: Example = {
  name: 'static-graph',
  description: "the tutorial's TensorFlow program: placeholders, variables, gradients, assigns, Session.run (N=64, 1000→100→10, 500 runs)",
  async run({ steps = 500, quiet, seed, threads, log }) {
    manualSeed(seed);
    // N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
    const [N, D_in, H, D_out] = [64, 1000, 100, 10];
    const { graph, x, y, loss, newW1, newW2 } = buildTwoLayerGraph(D_in, H, D_out);

    // The data, drawn before the weights (as the eager examples draw them), so that from the same
    // seed this program follows the same loss trajectory as two-layer-autograd.
    const xValue: Tensor = randn([N, D_in]);
    const yValue: Tensor = randn([N, D_out]);

    const sess = new Session(graph);
    // Run the graph once to initialize the variables w1 and w2.
    await sess.run(graph.globalVariablesInitializer());

    const losses: number[] = [];
    const started = performance.now();
    for (let t = 0; t < steps; t++) {
      // Each run feeds x and y, computes the loss and assigns the new weights.
      const [lossValue] = await sess.run([loss, newW1, newW2], [[x, xValue], [y, yValue]]);
      losses.push(await (lossValue as Tensor).item());
      if (!quiet) log(`${t} ${losses[t]}`);
    }
    const seconds = (performance.now() - started) / 1000;
    sess.close();
    return lossFell(this.name, losses, 1000, seconds, threads);
  },
};
