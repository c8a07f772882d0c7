// nn: modules, layers, losses and initialisation, as torch.nn.
export { Module, Parameter, isParameter, StateDictError, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { Linear, Sequential, ReLU, Tanh, Sigmoid, GELU, Dropout, LayerNorm, Embedding, type LinearOptions, type LayerNormOptions } from './layers.js';
export { Flatten, Identity, SiLU, LeakyReLU, ELU, Softplus, Hardtanh, LogSigmoid, Softmax, LogSoftmax } from './activations.js';
export { l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, klDiv, type GeluOptions, type KlDivOptions, type PadOptions } from './functional-ops.js';
export { mseLoss, crossEntropy, nllLoss, binaryCrossEntropyWithLogits, type Reduction, type LossOptions, type CrossEntropyOptions, type NllLossOptions } from './functional.js';
export * as functional from './functional.js';
export * as init from './init.js';
export * as parallel from './parallel.js';
export { RNN, LSTM, GRU, type RNNOptions } from './rnn.js';
export { RNNCell, LSTMCell, GRUCell, type RNNCellOptions } from './rnn-cells.js';
export { MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions, type TransformerEncoderLayerOptions, type TransformerEncoderLayerForwardOptions, type Activation } from './attention.js';
export { Conv1d, Conv2d, ConvTranspose2d, type ConvModuleOptions, type ConvTransposeModuleOptions } from './conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d } from './pooling.js';
export { BatchNorm1d, BatchNorm2d, GroupNorm, type BatchNormModuleOptions, type GroupNormModuleOptions } from './norm.js';
