// Recurrent layers as torch.nn has them: RNN, LSTM, GRU and their cells, with PyTorch's weight
// names and layout (weight_ih_l0 is [gates·H, input], gates stacked i|f|g|o or r|z|n), so state
// dicts map one to one (the cells are in rnn-cells.ts). A layer projects its whole input sequence in one product; each step is
// then one product (h·W_hhᵀ) and one fused gate pass (src/ops/rnn.ts).
import { ones } from '../creation.js';
import { show } from '../validate.js';
import { AutogradFunction, type FunctionCtx } from '../autograd/function.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { isFloat, type DType } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { stack, cat } from '../ops/methods.js';
import { OPS } from '../ops/table.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import * as init from './init.js';
import { Module, Parameter } from './module.js';

/**
 * The slices of x along dim as separate tensors; their gradients come back as one stack (a
 * single copy), not as one zero-padded full-size gradient per slice.
 */
class Unbind extends AutogradFunction {
  static override forward(ctx: FunctionCtx, x: Tensor, dim: number): Tensor[] {
    ctx.dim = dim;
    return sliceAll(x, dim);
  }

  static override backward(ctx: FunctionCtx, ...grads: Tensor[]): [Tensor, null] {
    return [stack(grads, ctx.dim as number), null];
  }
}

/**
 * The identity on a layer's input gates [T, B, G], whose backward also gives the recurrent
 * weight's gradient in one product, dW_hh = Σₜ dGatesₜᵀ·hₜ₋₁ = dGatesᵀ·H_prev over all T·B rows
 * (the steps then use W_hh detached): the gradient reaching the input gates is exactly each
 * step's gate gradient, since the gates are x·W_ihᵀ + h·W_hhᵀ. `prev` holds each step's input
 * state, filled in as the steps run.
 */
class HiddenWeightGrad extends AutogradFunction {
  static override forward(ctx: FunctionCtx, gates: Tensor, _whh: Tensor, prev: Tensor[]): Tensor {
    ctx.prev = prev;
    return gates.view([...gates.shape]);
  }

  static override backward(ctx: FunctionCtx, g: Tensor): [Tensor, Tensor, null] {
    const prev = stack(ctx.prev as Tensor[], 0);
    const [T, B, G] = g.shape as number[];
    const dW = g.reshape([T * B, G]).t().matmul(prev.reshape([T * B, prev.shape[2] as number]));
    return [g, dW, null];
  }
}

/**
 * x [N, G] + b [G], whose bias gradient is one product, dB = 1ᵀ·g over the N rows: the row sum
 * as a reduction strides down columns of a [T·B, 4H] gradient (18 ms at 2048 × 1024 here, one
 * thread), the product reads it in rows (≈ 1 ms).
 */
class RowBias extends AutogradFunction {
  static override forward(_ctx: FunctionCtx, x: Tensor, b: Tensor): Tensor {
    return x.add(b);
  }

  static override backward(_ctx: FunctionCtx, g: Tensor): [Tensor, Tensor] {
    return [g, ones([1, g.shape[0]], { dtype: g.dtype }).matmul(g).reshape([g.shape[1]])];
  }
}

function sliceAll(x: Tensor, dim: number): Tensor[] {
  return Array.from({ length: x.shape[dim] }, (_, i) => x.narrow(dim, i, 1).squeeze(dim));
}

/** torch.unbind: the slices of x along dim. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = dim < 0 ? dim + x.ndim : dim;
  if (!isGradEnabled() || !x.requiresGrad) return sliceAll(x, d);
  return Unbind.apply(x, d) as Tensor[];
}

export function positiveInt(op: string, what: string, n: unknown): number {
  if (!Number.isInteger(n) || (n as number) <= 0) throw new ValueError(`${op}: got ${what} ${String(n)}, expected a positive integer`);
  return n as number;
}

/** PyTorch's recurrent init: every weight and bias ~ U(−1/√H, 1/√H). */
export function uniformParam(shape: number[], hidden: number, dtype: DType): Tensor {
  const k = 1 / Math.sqrt(hidden);
  return Parameter(init.uniform_(Tensor.empty(shape, dtype), -k, k));
}

export function checkFloatInput(op: string, x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: got ${x === null ? 'null' : typeof x} as ${what}, expected a Tensor`);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: got ${what} of dtype ${x.dtype}, expected float32 or float64`);
  return x;
}

export function checkShape(op: string, t: Tensor, want: readonly number[], what: string): void {
  if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: got ${what} of shape ${fmtShape(t.shape)}, expected ${fmtShape(want)}`);
  }
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** One step's state: h, and for an LSTM c. */
interface State {
  h: Tensor;
  c: Tensor | null;
}

/**
 * One step of a cell from its input gates gi (x·W_ihᵀ plus the biases the mode folds in) and the
 * previous state; whhT is W_hhᵀ. bhh is the GRU's hidden bias (kept apart: r scales W_hn·h + b_hn).
 */
function step(mode: Mode, gi: Tensor, state: State, whhT: Tensor, bhh: Tensor | null): State {
  const gh = state.h.matmul(whhT);
  if (mode === 'LSTM') {
    const [h, c] = unbind(gi.applyOp(OPS.lstmCell, [gi, gh, state.c as Tensor], {}), 0);
    return { h, c };
  }
  if (mode === 'GRU') return { h: gi.applyOp(OPS.gruCell, [gi, gh, bhh as Tensor, state.h], {}), c: null };
  const pre = gi.add(gh);
  return { h: mode === 'RNN_TANH' ? pre.tanh() : pre.relu(), c: null };
}

export interface RNNOptions {
  numLayers?: number;
  /** 'tanh' or 'relu' (RNN only). */
  nonlinearity?: 'tanh' | 'relu';
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Dropout on each layer's output but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
}

/** What RNN, LSTM and GRU share: parameters by PyTorch's names, and the layer loop. */
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(
    private readonly mode: Mode,
    private readonly opName: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, dtype = 'float32' } = options;
    positiveInt(opName, 'inputSize', inputSize);
    positiveInt(opName, 'hiddenSize', hiddenSize);
    positiveInt(opName, 'numLayers', numLayers);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new ValueError(`${opName}: got dropout ${String(dropout)}, expected a probability in [0, 1]`);
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    const gates = GATES[mode] * hiddenSize;
    const self = this as unknown as Record<string, Tensor>;
    for (let l = 0; l < numLayers; l++) {
      for (const suffix of this.suffixes()) {
        const layerInput = l === 0 ? inputSize : hiddenSize * this.directions;
        self[`weight_ih_l${l}${suffix}`] = uniformParam([gates, layerInput], hiddenSize, dtype);
        self[`weight_hh_l${l}${suffix}`] = uniformParam([gates, hiddenSize], hiddenSize, dtype);
        if (bias) {
          self[`bias_ih_l${l}${suffix}`] = uniformParam([gates], hiddenSize, dtype);
          self[`bias_hh_l${l}${suffix}`] = uniformParam([gates], hiddenSize, dtype);
        }
      }
    }
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  private suffixes(): string[] {
    return this.bidirectional ? ['', '_reverse'] : [''];
  }

  private param(name: string): Tensor | null {
    return ((this as unknown as Record<string, Tensor | undefined>)[name]) ?? null;
  }

  /** The input as [seq, batch, feature] (and whether it was unbatched). */
  protected sequence(x: unknown): { seq: Tensor; batched: boolean } {
    const t = checkFloatInput(this.opName, x, 'an input');
    if (t.ndim !== 2 && t.ndim !== 3) {
      throw new ShapeError(`${this.opName}: got an input of shape ${fmtShape(t.shape)}, expected ${this.batchFirst ? '[batch, seq, features]' : '[seq, batch, features]'} or unbatched [seq, features]`);
    }
    if (t.shape[t.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${this.opName}: got an input of shape ${fmtShape(t.shape)}, expected a last dim of inputSize = ${this.inputSize}`);
    }
    const dtype = (this.param('weight_ih_l0') as Tensor).dtype;
    if (t.dtype !== dtype) throw new DTypeError(`${this.opName}: got an input of dtype ${t.dtype}, expected ${dtype} as the weights`);
    if (t.ndim === 2) return { seq: t.unsqueeze(1), batched: false };
    return { seq: this.batchFirst ? t.transpose(0, 1) : t, batched: true };
  }

  /** An initial state [layers·directions, batch, H] from the user (unbatched: [layers·directions, H]), or zeros. */
  protected initial(h: unknown, batch: number, batched: boolean, seq: Tensor, what: string): Tensor {
    const want = [this.numLayers * this.directions, batch, this.hiddenSize];
    if (h === undefined || h === null) return Tensor.empty(want, seq.dtype);
    const t = checkFloatInput(this.opName, h, what);
    checkShape(this.opName, t, batched ? want : [want[0], want[2]], what);
    if (t.dtype !== seq.dtype) throw new DTypeError(`${this.opName}: got ${what} of dtype ${t.dtype}, expected ${seq.dtype} as the input`);
    return batched ? t : t.unsqueeze(1);
  }

  /** Runs every layer and direction; returns the last layer's output [seq, batch, D·H] and the final states. */
  protected run(seq: Tensor, h0: Tensor, c0: Tensor | null): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const [T, B] = seq.shape;
    const hs = unbind(h0, 0);
    const cs = c0 === null ? null : unbind(c0, 0);
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let input = seq;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      this.suffixes().forEach((suffix, d) => {
        const k = l * this.directions + d;
        const wih = this.param(`weight_ih_l${l}${suffix}`) as Tensor;
        const whh = this.param(`weight_hh_l${l}${suffix}`) as Tensor;
        const bih = this.param(`bias_ih_l${l}${suffix}`);
        const bhh = this.param(`bias_hh_l${l}${suffix}`);
        // The GRU keeps b_hh apart; the others add both biases to every step's input gates.
        const folded = bih === null ? null : this.mode === 'GRU' ? bih : bih.add(bhh as Tensor);
        let gates = input.reshape([T * B, input.shape[2]]).matmul(wih.t());
        if (folded !== null) gates = isGradEnabled() && folded.requiresGrad ? (RowBias.apply(gates, folded) as Tensor) : gates.add(folded);
        let sequenceGates = gates.reshape([T, B, wih.shape[0]]);
        // With W_hh trained, its gradient comes in one product over all steps (HiddenWeightGrad);
        // not for the GRU, whose n gate scales h·W_hnᵀ by r, so its hidden gates' gradient differs.
        const oneProduct = this.mode !== 'GRU' && isGradEnabled() && whh.requiresGrad;
        const prev: Tensor[] = new Array<Tensor>(T);
        if (oneProduct) sequenceGates = HiddenWeightGrad.apply(sequenceGates, whh, prev) as Tensor;
        const stepWeight = (oneProduct ? whh.detach() : whh).t();
        const perStep = unbind(sequenceGates, 0);
        const gruBias = this.mode !== 'GRU' ? null : bhh ?? Tensor.empty([wih.shape[0]], seq.dtype);
        let state: State = { h: hs[k], c: cs === null ? null : cs[k] };
        const out = new Array<Tensor>(T);
        for (let i = 0; i < T; i++) {
          const t = d === 0 ? i : T - 1 - i;
          prev[t] = state.h.detach();
          state = step(this.mode, perStep[t], state, stepWeight, gruBias);
          out[t] = state.h;
        }
        outs.push(stack(out, 0));
        hN.push(state.h);
        if (state.c !== null) cN.push(state.c);
      });
      input = outs.length === 1 ? outs[0] : cat(outs, 2);
      if (l < this.numLayers - 1 && this.dropout > 0) input = F.dropout(input, this.dropout, this.training);
    }
    return { output: input, hN: stack(hN, 0), cN: cN.length === 0 ? null : stack(cN, 0) };
  }

  /** Back to the caller's layout: batch first, or unbatched. */
  protected layout(output: Tensor, states: Tensor[], batched: boolean): [Tensor, Tensor[]] {
    if (!batched) return [output.squeeze(1), states.map((s) => s.squeeze(1))];
    return [this.batchFirst ? output.transpose(0, 1) : output, states];
  }
}

/**
 * Elman RNN: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu), stacked numLayers deep.
 * @example const rnn = new nn.RNN(10, 20, { numLayers: 2 }); const [out, hN] = rnn.forward(x)
 */
export class RNN extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const { nonlinearity = 'tanh' } = options;
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ValueError(`RNN: got nonlinearity ${show(nonlinearity)}, expected 'tanh' or 'relu'`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', 'RNN', inputSize, hiddenSize, options);
  }

  /** x [seq, batch, in] (batchFirst: [batch, seq, in]; or unbatched [seq, in]) → [output, hN]. */
  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { seq, batched } = this.sequence(x);
    const { output, hN } = this.run(seq, this.initial(hx, seq.shape[1], batched, seq, 'hx'), null);
    const [out, [h]] = this.layout(output, [hN], batched);
    return [out, h];
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber, 1997), PyTorch's formulation:
 *   i, f, g, o = σ, σ, tanh, σ of (x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), split in four
 *   c' = f·c + i·g,  h' = o·tanh(c')
 * @example const lstm = new nn.LSTM(64, 256); const [out, [hN, cN]] = lstm.forward(x)
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNOptions, 'nonlinearity'> = {}) {
    super('LSTM', 'LSTM', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { seq, batched } = this.sequence(x);
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError(`LSTM: got hx ${Array.isArray(hx) ? `with ${hx.length} entries` : `of type ${typeof hx}`}, expected [h0, c0]`);
    }
    const h0 = this.initial(hx?.[0], seq.shape[1], batched, seq, 'h0');
    const c0 = this.initial(hx?.[1], seq.shape[1], batched, seq, 'c0');
    const { output, hN, cN } = this.run(seq, h0, c0);
    const [out, [h, c]] = this.layout(output, [hN, cN as Tensor], batched);
    return [out, [h, c]];
  }
}

/**
 * Gated recurrent unit (Cho et al., 2014), PyTorch's formulation:
 *   r = σ(W_ir·x + b_ir + W_hr·h + b_hr)  z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
 *   n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)),  h' = (1 − z)·n + z·h
 * @example const gru = new nn.GRU(8, 16, { batchFirst: true }); const [out, hN] = gru.forward(x)
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNOptions, 'nonlinearity'> = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { seq, batched } = this.sequence(x);
    const { output, hN } = this.run(seq, this.initial(hx, seq.shape[1], batched, seq, 'hx'), null);
    const [out, [h]] = this.layout(output, [hN], batched);
    return [out, h];
  }
}
