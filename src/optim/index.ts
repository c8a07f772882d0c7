// optim: optimizers, gradient clipping and learning-rate schedules, as torch.optim.
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type ZeroGradOptions, type Hyper } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { clipGradNorm } from './clip.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, LinearLR, LinearWarmup, SequentialLR, ChainedScheduler } from './schedulers.js';
