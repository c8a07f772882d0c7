// Every example the runner knows, in the order it lists them.
import { charRnn } from './char-rnn.js';
import { charTransformer } from './char-transformer.js';
import { customRelu } from './custom-relu.js';
import type { Example } from './example.js';
import { mnistMlp } from './mnist-mlp.js';
import { staticGraph } from './static-graph.js';
import { twoLayerAutograd } from './two-layer-autograd.js';

export const EXAMPLES: Example[] = [twoLayerAutograd, customRelu, staticGraph, mnistMlp, charRnn, charTransformer];
