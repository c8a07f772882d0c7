// The standard layers: each holds its parameters as fields and composes tensor methods in forward.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import * as init from './init.js';

const empty = (shape: readonly number[], dtype: DType) => Tensor.empty(shape, dtype);
import { Module, Parameter } from './module.js';
import { checkOptions, checkShape, checkTensorArg, show } from '../validate.js';
import { optionsOf } from '../validate.js';

function positiveInt(op: string, what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new ValueError(`${op}: got ${what} ${show(n)}, expected a positive integer`);
  return n;
}

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/**
 * y = x·Wᵀ + b with W of shape [out, in]. Starts as PyTorch's does: W ~ U(±1/√in) (Kaiming
 * uniform with a = √5) and b ~ U(±1/√in).
 * @example const fc = new nn.Linear(784, 10); const logits = fc.forward(x)
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /** new Linear(3, 2, false) drops the bias as PyTorch's positional bias=False; or { bias: false }. */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions | boolean = {},
  ) {
    super();
    if (typeof options !== 'boolean') checkOptions('Linear', options, ['bias', 'dtype']);
    const { bias = true, dtype = 'float32' } = typeof options === 'boolean' ? { bias: options } : options;
    if (typeof bias !== 'boolean') throw new ValueError(`Linear: got bias ${show(bias)}, expected true or false`);
    positiveInt('Linear', 'inFeatures', inFeatures);
    positiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = Parameter(init.kaimingUniform_(empty([outFeatures, inFeatures], dtype), { a: Math.sqrt(5) }));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = bias ? Parameter(init.uniform_(empty([outFeatures], dtype), -bound, bound)) : null;
  }

  forward(x: Tensor): Tensor {
    checkTensorArg('Linear', 'input', x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear: got input shape ${fmtShape(x.shape)}, expected a last dim of ${this.inFeatures}`);
    }
    return F.linear(x, this.weight, this.bias);
  }
}

/**
 * Runs its modules in order, each on the previous one's output. Parameters are named by
 * position ("0.weight"), as in PyTorch.
 * @example const mlp = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1))
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new ValueError(`Sequential: got ${typeof m} at position ${i}, expected a Module`);
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): Module {
    return (this as unknown as Record<string, Module>)[String(i < 0 ? i + this.length : i)];
  }

  forward(x: unknown): any {
    let out = x;
    for (const m of this.children()) out = m.forward(out);
    return out;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** GELU: exact (erf) by default, or { approximate: 'tanh' }; see functional.gelu. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor({ approximate = 'none' }: F.GeluOptions = {}) {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') throw new ValueError(`GELU: got approximate ${show(approximate)}, expected 'none' or 'tanh'`);
    this.approximate = approximate;
  }

  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
}

/** Zeroes elements with probability p while training (seeded by manualSeed); the identity in eval(). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`Dropout: got p ${show(p)}, expected a probability in [0, 1]`);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** Learn a per-element scale (ones) and shift (zeros). */
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** Normalises over the trailing normalizedShape dims (Ba et al., 2016). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, dtype = 'float32' } = optionsOf('LayerNorm', options, ['eps', 'elementwiseAffine', 'dtype']) as LayerNormOptions;
    this.normalizedShape = checkShape('LayerNorm', normalizedShape, 'normalizedShape');
    this.normalizedShape.forEach((d) => positiveInt('LayerNorm', 'a normalized size', d));
    this.eps = eps;
    this.weight = elementwiseAffine ? Parameter(init.ones_(empty(this.normalizedShape, dtype))) : null;
    this.bias = elementwiseAffine ? Parameter(empty(this.normalizedShape, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** A lookup table: int32 indices of any shape → rows of weight [numEmbeddings, embeddingDim] ~ N(0, 1). */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { dtype?: DType } = {},
  ) {
    super();
    const { dtype = 'float32' } = optionsOf('Embedding', options, ['dtype']) as { dtype?: DType };
    positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    positiveInt('Embedding', 'embeddingDim', embeddingDim);
    this.weight = Parameter(init.normal_(empty([numEmbeddings, embeddingDim], dtype)));
  }

  forward(indices: Tensor): Tensor {
    checkTensorArg('Embedding', 'indices', indices);
    if (indices.dtype !== 'int32') throw new DTypeError(`Embedding: got indices of dtype ${indices.dtype}, expected int32`);
    return this.weight.indexSelect(0, indices.reshape([-1])).reshape([...indices.shape, this.embeddingDim]);
  }
}
