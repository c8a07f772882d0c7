// Every example the runner knows, in the order it lists them.
import { customRelu } from './custom-relu.js';
import type { Example } from './example.js';
import { mnistCnn } from './mnist-cnn.js';
import { mnistMlp } from './mnist-mlp.js';
import { staticGraph } from './static-graph.js';
import { twoLayerAutograd } from './two-layer-autograd.js';

export const EXAMPLES: Example[] = [twoLayerAutograd, customRelu, staticGraph, mnistMlp, mnistCnn];
