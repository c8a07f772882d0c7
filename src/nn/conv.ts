// Convolution layers: each holds PyTorch's parameters (same names, layouts and initialisation)
// and applies nn.functional's convolution.
import { show } from '../validate.js';
import type { DType } from '../dtype.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import * as F from './functional-vision.js';
import * as init from './init.js';
import { Module, Parameter } from './module.js';

type Pair = F.Pair;

export interface ConvModuleOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
  dtype?: DType;
}

function channels(op: string, inChannels: number, outChannels: number, groups: number): void {
  for (const [what, n] of [['inChannels', inChannels], ['outChannels', outChannels], ['groups', groups]] as const) {
    if (!Number.isInteger(n) || n <= 0) throw new ValueError(`${op}: got ${what} ${String(n)}, expected a positive integer`);
  }
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ValueError(`${op}: got inChannels ${inChannels} and outChannels ${outChannels} with groups ${groups}, expected both divisible by groups`);
  }
}

function kernelDims(op: string, kernelSize: Pair, n: number): number[] {
  const ks = typeof kernelSize === 'number' ? new Array<number>(n).fill(kernelSize) : Array.isArray(kernelSize) ? [...kernelSize] : [];
  if (ks.length !== n || ks.some((k) => !Number.isInteger(k) || k <= 0)) throw new ValueError(`${op}: got kernelSize ${show(kernelSize)}, expected ${n === 1 ? 'a positive integer' : 'a positive integer or two'}`);
  return ks;
}

/**
 * PyTorch's reset_parameters for every convolution: W ~ kaiming_uniform(a = √5), which is
 * U(±1/√fanIn), and b ~ U(±1/√fanIn), fanIn = weight.size(1)·kH·kW.
 */
function initConv(weight: Tensor, outChannels: number, bias: boolean): { weight: Tensor; bias: Tensor | null } {
  const w = Parameter(init.kaimingUniform_(weight, { a: Math.sqrt(5) }));
  if (!bias) return { weight: w, bias: null };
  const bound = 1 / Math.sqrt(init.calculateFans(w).fanIn);
  return { weight: w, bias: Parameter(init.uniform_(Tensor.empty([outChannels], w.dtype), -bound, bound)) };
}

abstract class ConvNd extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  protected readonly options: F.ConvOptions;

  constructor(op: string, dims: number, readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, paddingMode = 'zeros', dtype = 'float32' }: ConvModuleOptions, transposed = false) {
    super();
    channels(op, inChannels, outChannels, groups);
    if (paddingMode !== 'zeros') throw new ValueError(`${op}: got paddingMode ${show(paddingMode)}, expected 'zeros'`);
    const k = kernelDims(op, kernelSize, dims);
    const shape = transposed ? [inChannels, outChannels / groups, ...k] : [outChannels, inChannels / groups, ...k];
    const p = initConv(Tensor.empty(shape, dtype), outChannels, bias);
    this.weight = p.weight;
    this.bias = p.bias;
    this.options = { stride, padding, dilation, groups };
  }
}

/**
 * y = x ⋆ W + b over [N, C, H, W]; weight [out, in/groups, kH, kW].
 * @example const conv = new nn.Conv2d(1, 32, 3, { stride: 1 }); const y = conv.forward(x)
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvModuleOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options);
  }
}

/**
 * y = x ⋆ W + b over [N, C, L]; weight [out, in/groups, k].
 * @example const conv = new nn.Conv1d(16, 32, 5, { padding: 'same' })
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvModuleOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.options);
  }
}

export interface ConvTransposeModuleOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  bias?: boolean;
  dilation?: Pair;
  paddingMode?: 'zeros';
  dtype?: DType;
}

/**
 * The transposed convolution (a learned upsampling); weight [in, out/groups, kH, kW], as PyTorch.
 * @example const up = new nn.ConvTranspose2d(64, 32, 2, { stride: 2 })
 */
export class ConvTranspose2d extends ConvNd {
  private readonly transposeOptions: F.ConvTransposeOptions;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, { outputPadding = 0, ...options }: ConvTransposeModuleOptions = {}) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, options, true);
    this.transposeOptions = { stride: options.stride, padding: options.padding, dilation: options.dilation, groups: options.groups, outputPadding };
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.transposeOptions);
  }
}
