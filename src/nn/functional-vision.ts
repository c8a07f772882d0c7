// nn.functional's vision layers: convolution, pooling and normalisation, as torch.nn.functional.
// Each turns PyTorch's arguments into sizes and applies ops of the table (conv2d, maxPool2d …);
// the 1-D forms are the 2-D ops on a height-1 view. Batch and group norm are compositions.
import { show } from '../validate.js';
import { noGrad } from '../autograd/grad-mode.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import type { ConvAttrs } from '../ops/conv.js';
import type { PoolAttrs } from '../ops/pool.js';
import { OPS } from '../ops/table.js';
import type { Tensor } from '../tensor.js';

export type Pair = number | [number, number];

function pair(op: string, what: string, v: Pair | readonly number[], min: number, size = 2): number[] {
  const xs = typeof v === 'number' ? new Array<number>(size).fill(v) : Array.isArray(v) ? [...v] : [];
  if (xs.length !== size || xs.some((d) => !Number.isInteger(d) || d < min)) {
    throw new ValueError(`${op}: got ${what} ${show(v)}, expected ${size === 1 ? 'an integer' : `an integer or ${size} integers`} ≥ ${min}`);
  }
  return xs;
}

/** A batched [N, …] input, or an unbatched one given a leading dim of 1 (as PyTorch accepts). */
function batched(op: string, x: Tensor, rank: number, layout: string): { x: Tensor; unbatch: (y: Tensor) => Tensor } {
  if (x.ndim === rank) return { x, unbatch: (y) => y };
  if (x.ndim === rank - 1) return { x: x.unsqueeze(0), unbatch: (y) => y.squeeze(0) };
  throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)}, expected ${layout} (or without the batch dim)`);
}

export interface ConvOptions {
  stride?: Pair;
  /** Zeros added on both sides; 'valid' is 0, 'same' keeps the size (stride 1; any extra goes after, as PyTorch). */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

function convAttrs(op: string, kernel: number[], { stride = 1, padding = 0, dilation = 1, groups = 1 }: ConvOptions, dims: number): ConvAttrs {
  const n = dims;
  const s = pair(op, 'stride', stride, 1, n);
  const d = pair(op, 'dilation', dilation, 1, n);
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: got groups ${String(groups)}, expected a positive integer`);
  let begin: number[];
  let end: number[];
  if (padding === 'valid') {
    begin = end = new Array<number>(n).fill(0);
  } else if (padding === 'same') {
    if (s.some((x) => x !== 1)) throw new ValueError(`${op}: got padding 'same' with stride ${show(stride)}, expected stride 1 (PyTorch does not support 'same' for strided convolutions)`);
    begin = kernel.map((k, i) => Math.floor((d[i] * (k - 1)) / 2));
    end = kernel.map((k, i) => d[i] * (k - 1) - begin[i]);
  } else {
    begin = end = pair(op, 'padding', padding as Pair, 0, n);
  }
  // The 1-D forms run as 2-D with a height-1 kernel.
  const lift = (xs: number[], one: number) => (n === 1 ? [one, xs[0]] : xs);
  const b = lift(begin, 0);
  const e = lift(end, 0);
  return { stride: lift(s, 1), dilation: lift(d, 1), padding: [b[0], b[1], e[0], e[1]], groups };
}

function checkWeight(op: string, w: Tensor, rank: number): number[] {
  if (w.ndim !== rank) throw new ShapeError(`${op}: got weight shape ${fmtShape(w.shape)}, expected ${rank} dims`);
  return (w.shape as number[]).slice(2);
}

function addBias(op: string, y: Tensor, bias: Tensor | null | undefined, dims: number): Tensor {
  if (bias === undefined || bias === null) return y;
  if (bias.ndim !== 1 || bias.shape[0] !== y.shape[1]) throw new ShapeError(`${op}: got bias shape ${fmtShape(bias.shape)}, expected [${y.shape[1]}]`);
  return y.add(bias.reshape([y.shape[1], ...new Array<number>(dims).fill(1)]));
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C/groups, kH, kW].
 * @example const y = nn.functional.conv2d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const { x, unbatch } = batched('conv2d', input, 4, '[N, C, H, W]');
  const attrs = convAttrs('conv2d', checkWeight('conv2d', weight, 4), options, 2);
  return unbatch(addBias('conv2d', x.applyOp(OPS.conv2d, [x, weight], attrs), bias, 2));
}

/**
 * 1-D convolution: x [N, C, L], weight [O, C/groups, k].
 * @example const y = nn.functional.conv1d(x, w, null, { padding: 'same' })
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const { x, unbatch } = batched('conv1d', input, 3, '[N, C, L]');
  const attrs = convAttrs('conv1d', checkWeight('conv1d', weight, 3), options, 1);
  const x2 = x.unsqueeze(2);
  const y = x2.applyOp(OPS.conv2d, [x2, weight.unsqueeze(2)], attrs).squeeze(2);
  return unbatch(addBias('conv1d', y, bias, 1));
}

export interface ConvTransposeOptions {
  stride?: Pair;
  padding?: Pair;
  /** Extra rows and columns on the far side, below max(stride, dilation), to pick among the sizes that convolve back to the input's. */
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/**
 * The transposed convolution (the input gradient of conv2d): x [N, Cin, H, W], weight
 * [Cin, Cout/groups, kH, kW]; out H = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
 * @example const up = nn.functional.convTranspose2d(x, w, null, { stride: 2 })
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, { stride = 1, padding = 0, outputPadding = 0, groups = 1, dilation = 1 }: ConvTransposeOptions = {}): Tensor {
  const op = 'convTranspose2d';
  const { x, unbatch } = batched(op, input, 4, '[N, C, H, W]');
  const kernel = checkWeight(op, weight, 4);
  const s = pair(op, 'stride', stride, 1);
  const p = pair(op, 'padding', padding, 0);
  const d = pair(op, 'dilation', dilation, 1);
  const extra = pair(op, 'outputPadding', outputPadding, 0);
  if (extra.some((e, i) => e >= Math.max(s[i], d[i]))) throw new ValueError(`${op}: got outputPadding ${show(outputPadding)}, expected less than max(stride, dilation) in each dim`);
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: got groups ${String(groups)}, expected a positive integer`);
  const outSize = [0, 1].map((i) => ((x.shape[i + 2] as number) - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + extra[i] + 1);
  if (outSize.some((o) => o <= 0)) throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)} with padding ${show(padding)}, which leaves an output of ${outSize.join('×')}; expected a positive size`);
  const y = x.applyOp(OPS.convTranspose2d, [x, weight], { stride: s, padding: p, dilation: d, groups, outSize });
  return unbatch(addBias(op, y, bias, 2));
}

// Pooling.

export interface MaxPoolOptions {
  /** Default: kernelSize. */
  stride?: Pair | null;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

/** PyTorch's pooling_output_shape: a last window must start inside the input or its left padding. */
function poolOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

function poolAttrs(op: string, x: Tensor, n: number, kernelSize: Pair, o: { stride?: Pair | null; padding?: Pair; dilation?: Pair; ceilMode?: boolean }): PoolAttrs {
  const k = pair(op, 'kernelSize', kernelSize, 1, n);
  const s = o.stride === undefined || o.stride === null ? k : pair(op, 'stride', o.stride, 1, n);
  const p = pair(op, 'padding', o.padding ?? 0, 0, n);
  const d = pair(op, 'dilation', o.dilation ?? 1, 1, n);
  if (p.some((v, i) => v > Math.floor(k[i] / 2))) throw new ValueError(`${op}: got padding ${show(o.padding)} for kernelSize ${show(kernelSize)}, expected at most half the kernel size`);
  const lift = (xs: number[], one: number) => (n === 1 ? [one, xs[0]] : xs);
  const inSize = (x.shape as number[]).slice(-2);
  const [kk, ss, pp, dd] = [lift(k, 1), lift(s, 1), lift(p, 0), lift(d, 1)];
  const outSize = inSize.map((size, i) => poolOut(size, kk[i], ss[i], pp[i], dd[i], o.ceilMode === true));
  if (outSize.some((v) => v <= 0)) throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)} for kernelSize ${show(kernelSize)}, which leaves an output of ${outSize.join('×')}; expected a positive size`);
  // A dilated window can straddle the input and touch only padding; it would have no maximum.
  inSize.forEach((size, i) => {
    for (let at = 0; at < outSize[i]; at++) {
      const start = at * ss[i] - pp[i];
      if (!Array.from({ length: kk[i] }, (_, j) => start + j * dd[i]).some((t) => t >= 0 && t < size)) {
        throw new ValueError(`${op}: got input shape ${fmtShape(x.shape)} with kernelSize ${show(kernelSize)}, padding ${show(o.padding ?? 0)} and dilation ${show(o.dilation ?? 1)}, whose window ${at} along dim ${i - 2} covers only padding; expected every window to overlap the input`);
      }
    }
  });
  return { kernel: kk, stride: ss, padding: pp, dilation: dd, inSize, outSize };
}

function spatial(op: string, x: Tensor, n: number): void {
  if (x.ndim !== n + 1 && x.ndim !== n + 2) throw new ShapeError(`${op}: got input shape ${fmtShape(x.shape)}, expected ${n === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]'}`);
}

function maxPool(op: string, x: Tensor, n: number, kernelSize: Pair, options: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  spatial(op, x, n);
  const v = n === 1 ? x.unsqueeze(-2) : x;
  const attrs = poolAttrs(op, v, n, kernelSize, options);
  const back = (t: Tensor) => (n === 1 ? t.squeeze(-2) : t);
  const out = back(v.applyOp(OPS.maxPool2d, [v], attrs));
  if (!options.returnIndices) return out;
  return [out, back(noGrad(() => v.applyOp(OPS.maxPool2dIndices, [v], attrs)))];
}

/**
 * The maximum of each window; its gradient goes to the window's first maximum, as PyTorch's.
 * With returnIndices, also where it is (h·W + w in its plane, int32).
 * @example const [y, at] = nn.functional.maxPool2d(x, 2, { returnIndices: true }) as [Tensor, Tensor]
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: Pair, options?: MaxPoolOptions): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool('maxPool2d', x, 2, kernelSize, options);
}

/** @example const y = nn.functional.maxPool1d(x, 3, { stride: 2 }) */
export function maxPool1d(x: Tensor, kernelSize: number, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: number, options?: MaxPoolOptions): Tensor;
export function maxPool1d(x: Tensor, kernelSize: number, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPool('maxPool1d', x, 1, kernelSize, options);
}

export interface AvgPoolOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  /** Divide by the whole window, padding included (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function avgPool(op: string, x: Tensor, n: number, kernelSize: Pair, options: AvgPoolOptions): Tensor {
  spatial(op, x, n);
  const v = n === 1 ? x.unsqueeze(-2) : x;
  const attrs = { ...poolAttrs(op, v, n, kernelSize, options), countIncludePad: options.countIncludePad ?? true };
  const out = v.applyOp(OPS.avgPool2d, [v], attrs);
  return n === 1 ? out.squeeze(-2) : out;
}

/** @example const y = nn.functional.avgPool2d(x, 2) */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: AvgPoolOptions = {}): Tensor {
  return avgPool('avgPool2d', x, 2, kernelSize, options);
}

/** @example const y = nn.functional.avgPool1d(x, 3, { stride: 1, padding: 1 }) */
export function avgPool1d(x: Tensor, kernelSize: number, options: AvgPoolOptions = {}): Tensor {
  return avgPool('avgPool1d', x, 1, kernelSize, options);
}

/**
 * Average pooling to a fixed output size; window i spans [⌊i·H/out⌋, ⌈(i+1)·H/out⌉). A null
 * size keeps the input's.
 * @example const features = nn.functional.adaptiveAvgPool2d(x, 1) // global average pool
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  spatial(op, x, 2);
  const inSize = (x.shape as number[]).slice(-2);
  const sizes = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) && outputSize.length === 2 ? outputSize.map((d, i) => (d === null ? inSize[i] : d)) : [];
  if (sizes.length !== 2 || sizes.some((d) => !Number.isInteger(d) || d < 1)) throw new ValueError(`${op}: got outputSize ${show(outputSize)}, expected a positive integer or a pair of them (null keeps a dim)`);
  const attrs: PoolAttrs = { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], inSize, outSize: sizes as number[], adaptive: true };
  return x.applyOp(OPS.avgPool2d, [x], attrs);
}
