// Skein's public API: tensors, autograd, custom functions, and the device.
import { AutogradFunction, FunctionCtx } from './autograd/function.js';
import { gradcheck, gradgradcheck, GradcheckError } from './autograd/gradcheck.js';
import { grad } from './autograd/grad.js';
import { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode.js';
import { closePool } from './runtime/pool.js';
import { stream } from './runtime/stream.js';
import { DeviceError } from './errors.js';

export { Tensor, isTensor } from './tensor.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, randLike, randnLike, manualSeed, type TensorOptions } from './creation.js';
export { cat, stack, where, type ClampOptions } from './ops/methods.js';
export { randint, normal, bernoulli, multinomial, type MultinomialOptions } from './random.js';
export type { ValuesIndices, VarOptions, SortOptions, TopkOptions } from './ops/everyday.js';
export { OPS, type OpName } from './ops/table.js';
export type { OpDef, Meta } from './ops/define.js';
export { DTYPES, type DType } from './dtype.js';
export { SkeinError, ShapeError, DTypeError, IndexError, ValueError, AutogradError, DeviceError, DistributedError } from './errors.js';
export { noGrad, enableGrad, isGradEnabled, gradcheck, gradgradcheck, GradcheckError, FunctionCtx };
export type { GradOptions } from './autograd/grad.js';
export type { BackwardOptions } from './autograd/engine.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export { setNumThreads, getNumThreads } from './runtime/pool.js';
export { synchronize, runtimeStats, setInlineLimit, getInlineLimit, setLaneLimit, getLaneLimit, type RuntimeStats } from './runtime/stream.js';
export { storageStats, type StorageStats } from './storage.js';
export { setPrintOptions, getPrintOptions, type PrintOptions } from './print.js';
export { grad } from './autograd/grad.js';
export { memoryStats, type MemoryStats } from './storage.js';
export { detectAnomaly, isAnomalyEnabled } from './autograd/anomaly.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { save, load, loadMetadata, withPrefix, underPrefix, CheckpointError } from './io/index.js';
export { DataLoader, randperm, type DataLoaderOptions } from './data/index.js';
export * as data from './data/index.js';

/** torch.autograd's counterpart: `class MyReLU extends autograd.Function { … }`. */
export const autograd = { Function: AutogradFunction, FunctionCtx, grad, gradcheck, gradgradcheck, noGrad, enableGrad, isGradEnabled };

/**
 * Stops the worker pool. Reads still waiting reject with a DeviceError; a later op starts a new
 * pool. Scripts need not call it: idle workers never keep the process alive.
 * @example await shutdown()
 */
export async function shutdown(): Promise<void> {
  stream.abandon(new DeviceError('shutdown: the device was shut down while this result was still being computed'));
  await closePool();
  // No worker can write now: an in-place update caught in flight gets its old bits back.
  stream.restoreAbandoned();
}

/** Collectives across processes over MPI (also importable as 'skein/distributed'); the addon loads on init(). */
export * as distributed from './distributed/index.js';

/** Static graphs, TensorFlow 1.x style (also importable as 'skein/graph'). */
export * as graph from './graph/index.js';
