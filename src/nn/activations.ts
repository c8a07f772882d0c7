// Small modules of issue 11: activations with their options, Softmax/LogSoftmax over a dim,
// Flatten and Identity. Each holds its options and calls nn.functional in forward.
import { ValueError } from '../errors.js';
import { show } from '../validate.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

/** Flattens dims startDim … endDim (default 1 … −1, keeping the batch dim), as nn.Flatten. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor({ startDim = 1, endDim = -1 }: { startDim?: number; endDim?: number } = {}) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new ValueError(`Flatten: got startDim ${String(startDim)} and endDim ${String(endDim)}, expected integers`);
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** Checks, at construction, that each given option is a finite number (forward checks the rest). */
function finiteOptions<O extends object>(op: string, options: O): O {
  if (typeof options !== 'object' || options === null) throw new ValueError(`${op}: got options ${String(options)}, expected an options object`);
  for (const [key, v] of Object.entries(options)) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new ValueError(`${op}: got ${key} ${String(v)}, expected a finite number`);
  }
  return options;
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor({ negativeSlope = 0.01 }: { negativeSlope?: number } = {}) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new ValueError(`LeakyReLU: got negativeSlope ${String(negativeSlope)}, expected a finite number`);
    this.negativeSlope = negativeSlope;
  }

  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, { negativeSlope: this.negativeSlope });
  }
}

export class ELU extends Module {
  constructor(readonly options: { alpha?: number } = {}) {
    super();
    finiteOptions('ELU', options);
  }

  forward(x: Tensor): Tensor {
    return F.elu(x, this.options);
  }
}

export class Softplus extends Module {
  constructor(readonly options: { beta?: number; threshold?: number } = {}) {
    super();
    finiteOptions('Softplus', options);
  }

  forward(x: Tensor): Tensor {
    return F.softplus(x, this.options);
  }
}

export class Hardtanh extends Module {
  constructor(readonly options: { minVal?: number; maxVal?: number } = {}) {
    super();
    finiteOptions('Hardtanh', options);
  }

  forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.options);
  }
}

export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.logSigmoid(x);
  }
}

/** PyTorch's rule for a Softmax built without a dim (deprecated there): 0 for rank 0, 1 or 3, else 1. */
function implicitDim(x: Tensor): number {
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

function checkDim(op: string, dim: unknown): number | undefined {
  if (dim !== undefined && (typeof dim !== 'number' || !Number.isInteger(dim))) throw new ValueError(`${op}: got dim ${show(dim)}, expected an integer`);
  return dim;
}

/** softmax over dim: new nn.Softmax({ dim: 1 }). */
export class Softmax extends Module {
  readonly dim: number | undefined;

  constructor({ dim }: { dim?: number } = {}) {
    super();
    this.dim = checkDim('Softmax', dim);
  }

  forward(x: Tensor): Tensor {
    return x.softmax(this.dim ?? implicitDim(x));
  }
}

/** log-softmax over dim: new nn.LogSoftmax({ dim: 1 }). */
export class LogSoftmax extends Module {
  readonly dim: number | undefined;

  constructor({ dim }: { dim?: number } = {}) {
    super();
    this.dim = checkDim('LogSoftmax', dim);
  }

  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim ?? implicitDim(x));
  }
}
