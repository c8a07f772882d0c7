// Convolution: the forward product, the transposed convolution (which is also its input
// gradient) and the filter gradient. The three are closed under differentiation: each one's
// gradient is written with the other two, so every order of derivative stays on the fast kernels.
// Layouts are PyTorch's: x [N, C, H, W], weight [O, C/groups, kH, kW].
import { show } from '../validate.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { convChunks, type ConvArgs, type ConvWeightArgs } from '../kernels/conv.js';
import { contiguousStrides, type Dim } from '../shape.js';
import { Storage } from '../storage.js';
import { contiguousBuf, defineOp, launch, wants, type Buf, type Meta, type OpDef } from './define.js';

/** The forward product. padding = [top, left, bottom, right]; the end pads may differ ('same'). */
export interface ConvAttrs {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

/** The transposed convolution: the adjoint of the ConvAttrs product whose input is outSize. */
export interface ConvTransposeAttrs {
  stride: number[];
  /** [top, left] of the product it is the adjoint of. */
  padding: number[];
  dilation: number[];
  groups: number;
  outSize: number[];
}

export interface ConvWeightAttrs extends ConvAttrs {
  kernel: number[];
}

/** ⌊(in + pads − d·(k − 1) − 1) / s⌋ + 1, or null when unknown. */
export function convOutSize(size: Dim, k: number, s: number, d: number, padBegin: number, padEnd: number): Dim {
  if (size === null) return null;
  return Math.floor((size + padBegin + padEnd - d * (k - 1) - 1) / s) + 1;
}

function checkFloats(op: string, a: Meta, b: Meta): void {
  if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'float64')) {
    throw new DTypeError(`${op}: got dtypes ${a.dtype} and ${b.dtype}, expected two float32 or two float64 tensors`);
  }
}

function check4d(op: string, what: string, m: Meta): void {
  if (m.shape.length !== 4) throw new ShapeError(`${op}: got ${what} of shape ${fmtShape(m.shape)}, expected 4 dims`);
}

function divisible(op: string, what: string, size: Dim, groups: number): void {
  if (size !== null && size % groups !== 0) throw new ShapeError(`${op}: got ${what} ${size}, expected a multiple of groups (${groups})`);
}

function conv2dShape([x, w]: Meta[], { stride, padding, dilation, groups }: ConvAttrs): Meta {
  checkFloats('conv2d', x, w);
  check4d('conv2d', 'an input', x);
  check4d('conv2d', 'a weight', w);
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape as number[];
  divisible('conv2d', 'out channels', o, groups);
  if (c !== null && cg * groups !== c) {
    throw new ShapeError(`conv2d: got input shape ${fmtShape(x.shape)} and weight shape ${fmtShape(w.shape)}, expected the input's ${c} channels to equal weight.size(1)·groups = ${cg}·${groups}`);
  }
  const oh = convOutSize(h, kh, stride[0], dilation[0], padding[0], padding[2]);
  const ow = convOutSize(wd, kw, stride[1], dilation[1], padding[1], padding[3]);
  if ((oh !== null && oh <= 0) || (ow !== null && ow <= 0)) {
    throw new ShapeError(`conv2d: got input shape ${fmtShape(x.shape)} and kernel ${kh}×${kw} (dilation ${dilation.join('×')}, padding ${padding.join(', ')}), expected an input at least as large as the dilated kernel`);
  }
  return { shape: [n, o, oh, ow], dtype: x.dtype };
}

const onHeap = (...bufs: Buf[]) => bufs.every((b) => b.storage.onHeap);

/** Kernel arguments shared by the three ops: the input image x̃ of the generalised convolution. */
function geometry(x: Buf, kernel: readonly number[], out: readonly number[], attrs: { stride: number[]; dilation: number[] }, padding: number[], lhsDilation: number[]) {
  return {
    x: x.storage.data as ConvArgs['x'],
    xOffset: x.offset,
    xStrides: [...x.strides],
    batch: x.shape[0],
    inH: x.shape[2],
    inW: x.shape[3],
    kH: kernel[0],
    kW: kernel[1],
    outH: out[0],
    outW: out[1],
    stride: attrs.stride,
    dilation: attrs.dilation,
    padding: [padding[0], padding[1]],
    lhsDilation,
  };
}

export const conv2d: OpDef<ConvAttrs> = defineOp<ConvAttrs>({
  name: 'conv2d',
  arity: 2,
  shape: conv2dShape,
  forward: (out, [x, w], attrs) => {
    const [o, r, kh, kw] = w.shape;
    const m = o / attrs.groups;
    const [w0, w1, w2, w3] = w.strides;
    const args: ConvArgs = {
      ...geometry(x, [kh, kw], out.shape.slice(2), attrs, attrs.padding, [1, 1]),
      f: w.storage.data as ConvArgs['f'],
      fOffset: w.offset,
      fStrides: [m * w0, w0, w1, w2, w3],
      out: out.storage.data as ConvArgs['out'],
      outOffset: out.offset,
      groups: attrs.groups,
      m,
      r,
      heap: onHeap(x, w, out),
    };
    launch('conv2d', { kernel: 'conv', args }, [x, w], [out]);
  },
  // dx is the transposed convolution of g, dw the filter gradient.
  grad: (g, [x, w], _, attrs, needs) => [
    wants(needs, 0) ? g.applyOp(convTranspose2d, [g, w], { stride: attrs.stride, padding: attrs.padding.slice(0, 2), dilation: attrs.dilation, groups: attrs.groups, outSize: x.shape.slice(2) }) : null,
    wants(needs, 1) ? x.applyOp(conv2dWeight, [x, g], { ...attrs, kernel: w.shape.slice(2) }) : null,
  ],
  saves: 'inputs',
});

/**
 * y [N, Cin, h, w] with weight [Cin, Cout/groups, kH, kW] (PyTorch's conv_transpose2d layout)
 * → [N, Cout, ...outSize]: each input pixel scatters a weighted copy of the kernel. Computed as
 * the generalised convolution of y with s − 1 zeros between its pixels and the flipped,
 * channel-swapped filter, padded by d·(k − 1) − padding.
 */
export const convTranspose2d: OpDef<ConvTransposeAttrs> = defineOp<ConvTransposeAttrs>({
  name: 'convTranspose2d',
  arity: 2,
  shape: ([y, w], { groups, outSize }) => {
    checkFloats('convTranspose2d', y, w);
    check4d('convTranspose2d', 'an input', y);
    check4d('convTranspose2d', 'a weight', w);
    const [n, c] = y.shape;
    const [cin, cg] = w.shape as number[];
    divisible('convTranspose2d', 'in channels', cin, groups);
    if (c !== null && c !== cin) throw new ShapeError(`convTranspose2d: got input shape ${fmtShape(y.shape)} and weight shape ${fmtShape(w.shape)}, expected the input's channels to equal weight.size(0)`);
    if (outSize.length !== 2 || outSize.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ShapeError(`convTranspose2d: got an output size of ${show(outSize)}, expected two positive integers`);
    }
    return { shape: [n, cg * groups, outSize[0], outSize[1]], dtype: y.dtype };
  },
  forward: (out, [y, w], attrs) => {
    const [cin, m, kh, kw] = w.shape;
    const r = cin / attrs.groups;
    const [w0, w1, w2, w3] = w.strides;
    const args: ConvArgs = {
      ...geometry(y, [kh, kw], attrs.outSize, { stride: [1, 1], dilation: attrs.dilation }, [0, 1].map((i) => attrs.dilation[i] * ([kh, kw][i] - 1) - attrs.padding[i]), attrs.stride),
      f: w.storage.data as ConvArgs['f'],
      // F[g, m, r, kh, kw] = W[g·R + r, m, kH − 1 − kh, kW − 1 − kw]
      fOffset: w.offset + (kh - 1) * w2 + (kw - 1) * w3,
      fStrides: [r * w0, w1, w0, -w2, -w3],
      out: out.storage.data as ConvArgs['out'],
      outOffset: out.offset,
      groups: attrs.groups,
      m,
      r,
      heap: onHeap(y, w, out),
    };
    launch('convTranspose2d', { kernel: 'conv', args }, [y, w], [out]);
  },
  // It is the adjoint of conv2d in y, so dy = conv2d(g, w); in w it is conv2d's filter gradient with roles swapped.
  grad: (g, [y, w], _, attrs, needs) => {
    const conv = forwardOf(attrs, w.shape.slice(2), y.shape.slice(2));
    return [
      wants(needs, 0) ? g.applyOp(conv2d, [g, w], conv) : null,
      wants(needs, 1) ? g.applyOp(conv2dWeight, [g, y], { ...conv, kernel: w.shape.slice(2) }) : null,
    ];
  },
  saves: 'inputs',
});

/** The product a transposed convolution is the adjoint of, with end pads that land on `size`. */
function forwardOf(t: ConvTransposeAttrs, kernel: readonly number[], size: readonly number[]): ConvAttrs {
  const end = [0, 1].map((i) => (size[i] - 1) * t.stride[i] + t.dilation[i] * (kernel[i] - 1) + 1 - t.outSize[i] - t.padding[i]);
  return { stride: t.stride, padding: [t.padding[0], t.padding[1], end[0], end[1]], dilation: t.dilation, groups: t.groups };
}

/** Images per partial sum of the filter gradient: at most 8 partials, fixed by the batch size. */
const MAX_CHUNKS = 8;

/** The filter gradient of conv2d(x, ·) given its output gradient g: [O, C/groups, kH, kW]. */
export const conv2dWeight: OpDef<ConvWeightAttrs> = defineOp<ConvWeightAttrs>({
  name: 'conv2dWeight',
  arity: 2,
  shape: ([x, g], { groups, kernel }) => {
    checkFloats('conv2dWeight', x, g);
    check4d('conv2dWeight', 'an input', x);
    check4d('conv2dWeight', 'an output gradient', g);
    const c = x.shape[1];
    divisible('conv2dWeight', 'in channels', c, groups);
    divisible('conv2dWeight', 'output gradient channels', g.shape[1], groups);
    if (x.shape[0] !== null && g.shape[0] !== null && x.shape[0] !== g.shape[0]) {
      throw new ShapeError(`conv2dWeight: got input shape ${fmtShape(x.shape)} and output gradient shape ${fmtShape(g.shape)}, expected equal batch sizes`);
    }
    return { shape: [g.shape[1], c === null ? null : c / groups, kernel[0], kernel[1]], dtype: x.dtype };
  },
  forward: (out, [x, gIn], attrs) => {
    const g = contiguousBuf('conv2dWeight', gIn);
    const [o, r] = out.shape;
    const batch = x.shape[0];
    const chunkSize = Math.max(1, Math.ceil(batch / MAX_CHUNKS));
    const chunks = convChunks({ batch, chunkSize });
    const cols = out.shape[1] * out.shape[2] * out.shape[3];
    const partial: Buf = chunks === 1 ? out : { storage: new Storage(out.dtype, chunks * o * cols), shape: [chunks, o * cols], strides: [o * cols, 1], offset: 0, dtype: out.dtype };
    const args: ConvWeightArgs = {
      ...geometry(x, attrs.kernel, g.shape.slice(2), attrs, attrs.padding, [1, 1]),
      g: g.storage.data as ConvWeightArgs['g'],
      gOffset: g.offset,
      // g is contiguous; canonical strides, since a size-1 dim's stride may be anything.
      gStrides: contiguousStrides(g.shape),
      out: partial.storage.data as ConvWeightArgs['out'],
      outOffset: partial.offset,
      chunkSize,
      groups: attrs.groups,
      m: o / attrs.groups,
      r,
      heap: onHeap(x, g, partial),
    };
    launch('conv2dWeight', { kernel: 'convWeight', args }, [x, g], [partial]);
    if (chunks === 1) return;
    // The partials add in chunk order: the same bits for any thread count.
    const sum = { reducer: 'sum', x: partial.storage.data, xOffset: 0, outerShape: [o * cols], outerStrides: [1], innerShape: [chunks], innerStrides: [o * cols], out: out.storage.data };
    launch('conv2dWeight', { kernel: 'reduce', args: sum }, [partial], [out]);
  },
  // <H, dW(x, g)> = <g, conv2d(x, H)> = <x, convTranspose2d(g, H)>.
  grad: (h, [x, g], _, attrs, needs) => [
    wants(needs, 0) ? g.applyOp(convTranspose2d, [g, h], { stride: attrs.stride, padding: attrs.padding.slice(0, 2), dilation: attrs.dilation, groups: attrs.groups, outSize: x.shape.slice(2) }) : null,
    wants(needs, 1) ? x.applyOp(conv2d, [x, h], { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, groups: attrs.groups }) : null,
  ],
  saves: 'inputs',
});
