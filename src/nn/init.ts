// Weight initialisation, as PyTorch's torch.nn.init defines it, drawn from Skein's seeded
// generator. Each function fills the tensor in place (without recording) and returns it.
import { show } from '../validate.js';
import { noGrad } from '../autograd/grad-mode.js';
import { rand, randn } from '../creation.js';
import { isFloat } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut';

function checkFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: got a tensor of dtype ${t.dtype}, expected float32 or float64`);
}

/**
 * The gain that keeps activations' variance steady through a nonlinearity:
 * 1 (linear, sigmoid), 5/3 (tanh), √2 (relu), √(2/(1+a²)) (leaky_relu with slope a), 3/4 (selu).
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: got nonlinearity ${show(nonlinearity)}, expected linear, sigmoid, tanh, relu, leaky_relu or selu`);
  }
}

/** fanIn = size(1)·receptive field, fanOut = size(0)·receptive field (a Linear's weight is [out, in]). */
export function calculateFans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new ShapeError(`init: got a tensor of shape ${fmtShape(t.shape)}; fan in and fan out need at least 2 dims`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Fills t with draws from U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1): Tensor {
  checkFloat('uniform_', t);
  return noGrad(() => t.copy_(rand(t.shape, { dtype: t.dtype }).mul(high - low).add(low)));
}

/** Fills t with draws from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  checkFloat('normal_', t);
  return noGrad(() => t.copy_(randn(t.shape, { dtype: t.dtype }).mul(std).add(mean)));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' }: KaimingOptions): number {
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ValueError(`${op}: got mode ${show(mode)}, expected fanIn or fanOut`);
  const fans = calculateFans(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fanIn' ? fans.fanIn : fans.fanOut);
}

/** He et al. (2015): U(−b, b) with b = gain·√(3/fan). PyTorch's Linear uses a = √5, so b = 1/√fanIn. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound);
}

/** He et al. (2015): N(0, std²) with std = gain/√fan. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options));
}

/** Glorot & Bengio (2010): U(−b, b) with b = gain·√(6/(fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** Glorot & Bengio (2010): N(0, std²) with std = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
