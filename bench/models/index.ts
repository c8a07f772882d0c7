// The registry of contributed bench models (see ./types.ts): one import and one entry per model.
// bench/run.ts runs each at every thread count, with its PyTorch twin bench/torch/<name>.py when present.
import { model as cnn } from './cnn.js';
import { model as conv2dFwd } from './conv2d-fwd.js';
import { dwModel as conv2dDw, dxModel as conv2dDx } from './conv2d-grad.js';
import { model as lstm } from './lstm.js';
import { graphModel as rnnGraph, model as rnn } from './rnn.js';
import type { BenchModel } from './types.js';

export const MODELS: readonly BenchModel[] = [cnn, conv2dFwd, conv2dDx, conv2dDw, lstm, rnn, rnnGraph];
