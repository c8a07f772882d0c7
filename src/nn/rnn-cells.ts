// The recurrent cells as torch.nn has them: RNNCell, LSTMCell and GRUCell, one step each, with
// PyTorch's parameter names (weight_ih [gates·H, in], weight_hh, bias_ih, bias_hh) and init; the
// LSTM and GRU gates in one fused pass (src/ops/rnn.ts).
import { show } from '../validate.js';
import type { DType } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { OPS } from '../ops/table.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';
import { checkFloatInput, checkShape, positiveInt, unbind, uniformParam } from './rnn.js';

export interface RNNCellOptions {
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  dtype?: DType;
}

/** What the three cells share: weight_ih [gates·H, in], weight_hh [gates·H, H], biases. */
abstract class CellBase extends Module {
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;

  constructor(
    protected readonly opName: string,
    gates: number,
    readonly inputSize: number,
    readonly hiddenSize: number,
    { bias = true, dtype = 'float32' }: RNNCellOptions,
  ) {
    super();
    positiveInt(opName, 'inputSize', inputSize);
    positiveInt(opName, 'hiddenSize', hiddenSize);
    this.weight_ih = uniformParam([gates * hiddenSize, inputSize], hiddenSize, dtype);
    this.weight_hh = uniformParam([gates * hiddenSize, hiddenSize], hiddenSize, dtype);
    this.bias_ih = bias ? uniformParam([gates * hiddenSize], hiddenSize, dtype) : null;
    this.bias_hh = bias ? uniformParam([gates * hiddenSize], hiddenSize, dtype) : null;
  }

  /** x as [batch, in] (and whether it was unbatched [in]). */
  protected input(x: unknown): { x: Tensor; batched: boolean } {
    const t = checkFloatInput(this.opName, x, 'an input');
    if ((t.ndim !== 1 && t.ndim !== 2) || t.shape[t.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${this.opName}: got an input of shape ${fmtShape(t.shape)}, expected [batch, ${this.inputSize}] or [${this.inputSize}]`);
    }
    if (t.dtype !== this.weight_ih.dtype) throw new DTypeError(`${this.opName}: got an input of dtype ${t.dtype}, expected ${this.weight_ih.dtype} as the weights`);
    return t.ndim === 1 ? { x: t.unsqueeze(0), batched: false } : { x: t, batched: true };
  }

  protected state(s: unknown, x: Tensor, batched: boolean, what: string): Tensor {
    const want = [x.shape[0], this.hiddenSize];
    if (s === undefined || s === null) return Tensor.empty(want, x.dtype);
    const t = checkFloatInput(this.opName, s, what);
    checkShape(this.opName, t, batched ? want : [this.hiddenSize], what);
    if (t.dtype !== x.dtype) throw new DTypeError(`${this.opName}: got ${what} of dtype ${t.dtype}, expected ${x.dtype} as the input`);
    return batched ? t : t.unsqueeze(0);
  }

  protected gates(x: Tensor, h: Tensor, withHiddenBias = true): { gi: Tensor; gh: Tensor } {
    const gi = F.linear(x, this.weight_ih, this.bias_ih);
    const gh = F.linear(h, this.weight_hh, withHiddenBias ? this.bias_hh : null);
    return { gi, gh };
  }
}

/** One Elman step: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('RNNCell', 1, inputSize, hiddenSize, options);
    const { nonlinearity = 'tanh' } = options;
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ValueError(`RNNCell: got nonlinearity ${show(nonlinearity)}, expected 'tanh' or 'relu'`);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, batched } = this.input(input);
    const { gi, gh } = this.gates(x, this.state(hx, x, batched, 'hx'));
    const pre = gi.add(gh);
    const h = this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
    return batched ? h : h.squeeze(0);
  }
}

/** One LSTM step: [h, c] → [h', c'] (see LSTM), the gates in one fused pass. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super('LSTMCell', 4, inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    const { x, batched } = this.input(input);
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError(`LSTMCell: got hx ${Array.isArray(hx) ? `with ${hx.length} entries` : `of type ${typeof hx}`}, expected [h, c]`);
    }
    const h = this.state(hx?.[0], x, batched, 'h');
    const c = this.state(hx?.[1], x, batched, 'c');
    const { gi, gh } = this.gates(x, h);
    const [h1, c1] = unbind(gi.applyOp(OPS.lstmCell, [gi, gh, c], {}), 0);
    return batched ? [h1, c1] : [h1.squeeze(0), c1.squeeze(0)];
  }
}

/** One GRU step: h → h' (see GRU), the gates in one fused pass. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super('GRUCell', 3, inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, batched } = this.input(input);
    const h = this.state(hx, x, batched, 'hx');
    const { gi, gh } = this.gates(x, h, false);
    const bhh = this.bias_hh ?? Tensor.empty([3 * this.hiddenSize], x.dtype);
    const h1 = gi.applyOp(OPS.gruCell, [gi, gh, bhh, h], {});
    return batched ? h1 : h1.squeeze(0);
  }
}
