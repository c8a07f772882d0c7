// Pooling layers: options held, nn.functional's pooling applied.
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional-vision.js';
import { Module } from './module.js';

/**
 * The maximum of each window; with returnIndices, forward gives [out, indices].
 * @example const pool = new nn.MaxPool2d(2); const y = pool.forward(x)
 */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: F.Pair, readonly options: F.MaxPoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return F.maxPool2d(x, this.kernelSize, this.options);
  }
}

/** @example const pool = new nn.MaxPool1d(3, { stride: 2 }) */
export class MaxPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: F.MaxPoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return F.maxPool1d(x, this.kernelSize, this.options);
  }
}

/** @example const pool = new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }) */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: F.Pair, readonly options: F.AvgPoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.options);
  }
}

/** @example const pool = new nn.AvgPool1d(2) */
export class AvgPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: F.AvgPoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.options);
  }
}

/**
 * Average pooling to a fixed output size (null keeps an input dim).
 * @example const gap = new nn.AdaptiveAvgPool2d(1) // [N, C, H, W] → [N, C, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number | null, number | null]) {
    super();
    if (outputSize === undefined) throw new ValueError('AdaptiveAvgPool2d: got no outputSize, expected a positive integer or a pair');
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
