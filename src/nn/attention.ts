// Attention as torch.nn has it: scaledDotProductAttention (PyTorch 2.x semantics),
// MultiheadAttention and TransformerEncoderLayer with PyTorch's parameter names, composed from
// tensor methods (matmul, softmax, masks), so autograd differentiates them as they stand.
import { show } from '../validate.js';
import { arange } from '../creation.js';
import { isFloat, type DType } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import * as init from './init.js';
import { Dropout, LayerNorm, Linear } from './layers.js';
import { Module, Parameter } from './module.js';

export interface ScaledDotProductAttentionOptions {
  /** Boolean (true = attend, as PyTorch 2.x) or float (added to the scores), broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Position i attends to positions j ≤ i only. */
  isCausal?: boolean;
  /** Dropout on the attention weights (applied whenever > 0, as PyTorch's functional form). */
  dropoutP?: number;
  /** Default 1/√E. */
  scale?: number;
}

function describe(x: unknown): string {
  return x === null ? 'null' : x instanceof Tensor ? `a tensor of shape ${fmtShape(x.shape)}` : typeof x;
}

function checkTensor(op: string, x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: got ${describe(x)} as ${what}, expected a Tensor`);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: got ${what} of dtype ${x.dtype}, expected float32 or float64`);
  return x;
}

/** [L, S] with true where j ≤ i. */
function causalMask(L: number, S: number): Tensor {
  return arange(L).unsqueeze(1).ge(arange(S).unsqueeze(0));
}

/** scores with a mask applied: a boolean mask's `attend` value keeps a score, the other sets −∞; a float mask adds. */
function applyMask(op: string, scores: Tensor, mask: Tensor, attend: boolean, what: string): Tensor {
  if (!(mask instanceof Tensor)) throw new ValueError(`${op}: got ${describe(mask)} as ${what}, expected a bool or float Tensor`);
  if (mask.dtype === 'bool') return scores.maskedFill(attend ? mask.logicalNot() : mask, -Infinity);
  if (!isFloat(mask.dtype)) throw new DTypeError(`${op}: got ${what} of dtype ${mask.dtype}, expected bool or a float dtype`);
  return scores.add(mask.to(scores.dtype));
}

/**
 * softmax(q·kᵀ·scale + mask)·v over q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev].
 * A boolean attnMask's true means "attend" (PyTorch 2.x); a float mask is added to the scores.
 * @example const out = nn.functional.scaledDotProductAttention(q, k, v, { isCausal: true })
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const { attnMask = null, isCausal = false, dropoutP = 0, scale } = options;
  [q, k, v].forEach((t, i) => checkTensor(op, t, ['query', 'key', 'value'][i]));
  const r = q.ndim;
  if (r < 2 || k.ndim !== r || v.ndim !== r || q.shape[r - 1] !== k.shape[r - 1] || k.shape[r - 2] !== v.shape[r - 2]) {
    throw new ShapeError(`${op}: got query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)}, expected [..., L, E], [..., S, E] and [..., S, Ev] of one rank ≥ 2`);
  }
  if (attnMask !== null && isCausal) throw new ValueError(`${op}: got both an attnMask and isCausal, expected at most one (the causal mask is built for you)`);
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1)) throw new ValueError(`${op}: got dropoutP ${String(dropoutP)}, expected a probability in [0, 1]`);
  const L = q.shape[r - 2] as number;
  const S = k.shape[r - 2] as number;
  let scores = q.matmul(k.transpose(-1, -2)).mul(scale ?? 1 / Math.sqrt(q.shape[r - 1] as number));
  if (isCausal) scores = applyMask(op, scores, causalMask(L, S), true, 'the causal mask');
  if (attnMask !== null) scores = applyMask(op, scores, attnMask, true, 'attnMask');
  let weights = scores.softmax(-1);
  if (dropoutP > 0) weights = F.dropout(weights, dropoutP, true);
  return weights.matmul(v);
}

export interface MultiheadAttentionOptions {
  /** Inputs and output are [batch, seq, embed] instead of [seq, batch, embed]. */
  batchFirst?: boolean;
  /** Dropout on the attention weights while training. */
  dropout?: number;
  bias?: boolean;
  dtype?: DType;
}

export interface MultiheadAttentionForwardOptions {
  /** [L, S] or [batch·heads, L, S]; a boolean true means NOT attend (PyTorch's MultiheadAttention), a float is added. */
  attnMask?: Tensor | null;
  /** [batch, S] (unbatched [S]); a boolean true means the key is padding and ignored. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights. Default true. */
  needWeights?: boolean;
  /** Average the weights over heads ([batch, L, S]) or keep them ([batch, heads, L, S]). Default true. */
  averageAttnWeights?: boolean;
  /** A causal mask over [L, S] (with no attnMask given). */
  isCausal?: boolean;
}

/**
 * Multi-head attention (Vaswani et al., 2017) with PyTorch's parameters: in_proj_weight [3E, E]
 * (Xavier uniform), in_proj_bias [3E] (zeros), and out_proj, a Linear(E, E) with a zero bias.
 * @example const mha = new nn.MultiheadAttention(64, 4); const [out, w] = mha.forward(x, x, x)
 */
export class MultiheadAttention extends Module {
  readonly in_proj_weight: Tensor;
  readonly in_proj_bias: Tensor | null;
  readonly out_proj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    { batchFirst = false, dropout = 0, bias = true, dtype = 'float32' }: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new ValueError(`MultiheadAttention: got embedDim ${String(embedDim)}, expected a positive integer`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new ValueError(`MultiheadAttention: got numHeads ${String(numHeads)} for embedDim ${embedDim}, expected a positive divisor of embedDim`);
    }
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new ValueError(`MultiheadAttention: got dropout ${String(dropout)}, expected a probability in [0, 1]`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.in_proj_weight = Parameter(init.xavierUniform_(Tensor.empty([3 * embedDim, embedDim], dtype)));
    this.in_proj_bias = bias ? Parameter(Tensor.empty([3 * embedDim], dtype)) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype });
    if (this.out_proj.bias !== null) init.zeros_(this.out_proj.bias);
  }

  /** q, k, v [L or S, batch, E] projected; one product when the three inputs are one tensor. */
  private project(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const w = this.in_proj_weight;
    const b = this.in_proj_bias;
    if (query === key && key === value) {
      const qkv = F.linear(query, w, b);
      return [0, 1, 2].map((i) => qkv.narrow(-1, i * E, E)) as [Tensor, Tensor, Tensor];
    }
    const part = (x: Tensor, i: number) => F.linear(x, w.narrow(0, i * E, E), b === null ? null : b.narrow(0, i * E, E));
    return [part(query, 0), part(key, 1), part(value, 2)];
  }

  /** [seq, batch, E] → [batch, heads, seq, headDim]. */
  private heads(x: Tensor): Tensor {
    const [T, N] = x.shape as number[];
    return x.reshape([T, N, this.numHeads, this.headDim]).permute(1, 2, 0, 3);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const { attnMask = null, keyPaddingMask = null, needWeights = true, averageAttnWeights = true, isCausal = false } = options;
    [query, key, value].forEach((t, i) => checkTensor(op, t, ['query', 'key', 'value'][i]));
    const batched = query.ndim === 3;
    const E = this.embedDim;
    const rankOk = (query.ndim === 2 || query.ndim === 3) && key.ndim === query.ndim && value.ndim === query.ndim;
    if (!rankOk || [query, key, value].some((t) => t.shape[t.ndim - 1] !== E)) {
      throw new ShapeError(`${op}: got query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)}, expected ${this.batchFirst ? '[batch, seq, E]' : '[seq, batch, E]'} (or unbatched [seq, E]) with E = ${E}`);
    }
    const same = query === key && key === value;
    const toSeqFirst = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    let [q, k, v] = [query, key, value].map(toSeqFirst);
    if (same) k = v = q;
    const L = q.shape[0] as number;
    const N = q.shape[1] as number;
    const S = k.shape[0] as number;
    if (k.shape[1] !== N || v.shape[1] !== N || v.shape[0] !== S) {
      throw new ShapeError(`${op}: got query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)}, expected one batch size and key and value of one length`);
    }
    const [qp, kp, vp] = this.project(q, k, v);
    let scores = this.heads(qp).matmul(this.heads(kp).transpose(-1, -2)).mul(1 / Math.sqrt(this.headDim)); // [N, h, L, S]
    if (attnMask !== null) {
      const ok2 = attnMask instanceof Tensor && attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S;
      const ok3 = attnMask instanceof Tensor && attnMask.ndim === 3 && attnMask.shape[0] === N * this.numHeads && attnMask.shape[1] === L && attnMask.shape[2] === S;
      if (!ok2 && !ok3) throw new ShapeError(`${op}: got attnMask ${describe(attnMask)}, expected [${L}, ${S}] or [${N * this.numHeads}, ${L}, ${S}]`);
      scores = applyMask(op, scores, ok3 ? attnMask.reshape([N, this.numHeads, L, S]) : attnMask, false, 'attnMask');
    } else if (isCausal) {
      scores = applyMask(op, scores, causalMask(L, S), true, 'the causal mask');
    }
    if (keyPaddingMask !== null) {
      const want = batched ? [N, S] : [S];
      if (!(keyPaddingMask instanceof Tensor) || keyPaddingMask.ndim !== want.length || keyPaddingMask.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(`${op}: got keyPaddingMask ${describe(keyPaddingMask)}, expected ${fmtShape(want)}`);
      }
      scores = applyMask(op, scores, keyPaddingMask.reshape([N, 1, 1, S]), false, 'keyPaddingMask');
    }
    let weights = scores.softmax(-1);
    if (this.dropout > 0) weights = F.dropout(weights, this.dropout, this.training);
    const heads = weights.matmul(this.heads(vp)); // [N, h, L, d]
    let out = this.out_proj.forward(heads.permute(2, 0, 1, 3).reshape([L, N, E]));
    out = !batched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
    if (!needWeights) return [out, null];
    let w = averageAttnWeights ? weights.mean(1) : weights;
    if (!batched) w = w.squeeze(0);
    return [out, w];
  }
}

export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), then x + ff(norm2(x)); default post-norm, as PyTorch. */
  normFirst?: boolean;
  bias?: boolean;
  dtype?: DType;
}

export interface TransformerEncoderLayerForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/**
 * One encoder block (Vaswani et al., 2017): self-attention and a feed-forward net, each with a
 * residual connection, dropout and LayerNorm; PyTorch's submodule names (self_attn, linear1,
 * linear2, norm1, norm2), so state dicts map one to one.
 * @example const layer = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 256, batchFirst: true })
 */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly normFirst: boolean;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', layerNormEps = 1e-5, batchFirst = false, normFirst = false, bias = true, dtype = 'float32' } = options;
    if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
      throw new ValueError(`TransformerEncoderLayer: got activation ${show(activation)}, expected 'relu', 'gelu' or a function`);
    }
    this.self_attn = new MultiheadAttention(dModel, nhead, { batchFirst, dropout, bias, dtype });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, dtype });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, dtype });
    this.normFirst = normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.activation = activation === 'relu' ? (x) => x.relu() : activation === 'gelu' ? (x) => F.gelu(x) : activation;
  }

  private selfAttention(x: Tensor, options: TransformerEncoderLayerForwardOptions): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attnMask: options.srcMask, keyPaddingMask: options.srcKeyPaddingMask, isCausal: options.isCausal && !options.srcMask, needWeights: false });
    return this.dropout1.forward(out);
  }

  private feedForward(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }

  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = x.add(this.selfAttention(this.norm1.forward(x), options));
      return x.add(this.feedForward(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(this.selfAttention(x, options)));
    return this.norm2.forward(x.add(this.feedForward(x)));
  }
}
