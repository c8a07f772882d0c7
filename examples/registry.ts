// Every example the runner knows, in the order it lists them.
import { charRnnGraph, charRnnGraphEager } from './char-rnn-graph.js';
import { charRnn } from './char-rnn.js';
import { charTransformer } from './char-transformer.js';
import { customRelu } from './custom-relu.js';
import type { Example } from './example.js';
import { mnistCnn } from './mnist-cnn.js';
import { mnistDdp } from './mnist-ddp.js';
import { mnistMlp } from './mnist-mlp.js';
import { staticGraph } from './static-graph.js';
import { twoLayerAutograd } from './two-layer-autograd.js';

export const EXAMPLES: Example[] = [twoLayerAutograd, customRelu, staticGraph, mnistMlp, mnistCnn, mnistDdp, charRnn, charTransformer, charRnnGraph, charRnnGraphEager];
