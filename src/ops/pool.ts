// 2-D pooling over the last two dims, and the adjoints their gradients are made of. The window
// rules (ceil mode, padding, dilation, count_include_pad, adaptive windows) are PyTorch's and live
// in the kernels; the functional layer turns the user's options into sizes.
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { PoolArgs } from '../kernels/pool.js';
import { contiguousBuf, defineOp, launch, type Buf, type Meta, type OpDef } from './define.js';

export interface PoolAttrs {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  /** The input's and the output's [h, w]. */
  inSize: number[];
  outSize: number[];
  countIncludePad?: boolean;
  adaptive?: boolean;
}

function planeShape(op: string, m: Meta, size: number[], to: number[]): Meta {
  if (m.dtype !== 'float32' && m.dtype !== 'float64') throw new DTypeError(`${op}: got dtype ${m.dtype}, expected float32 or float64`);
  const r = m.shape.length;
  if (r < 2 || m.shape.slice(-2).some((d, i) => d !== null && d !== size[i])) {
    throw new ShapeError(`${op}: got shape ${fmtShape(m.shape)}, expected [..., ${size.join(', ')}]`);
  }
  return { shape: [...m.shape.slice(0, -2), ...to], dtype: m.dtype };
}

function args(x: Buf, out: Buf, a: PoolAttrs, g?: Buf): PoolArgs {
  const [inH, inW] = a.inSize;
  const [outH, outW] = a.outSize;
  return {
    x: x.storage.data as PoolArgs['x'],
    xOffset: x.offset,
    g: g?.storage.data as PoolArgs['g'],
    gOffset: g?.offset,
    out: out.storage.data,
    outOffset: out.offset,
    planes: inH * inW === 0 ? 0 : x.shape.reduce((p, d) => p * d, 1) / (inH * inW),
    inH,
    inW,
    outH,
    outW,
    kernel: a.kernel,
    stride: a.stride,
    padding: a.padding,
    dilation: a.dilation,
    countIncludePad: a.countIncludePad,
    adaptive: a.adaptive,
    heap: x.storage.onHeap && out.storage.onHeap && (g === undefined || g.storage.onHeap),
  };
}

export const maxPool2d: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'maxPool2d',
  arity: 1,
  shape: ([x], a) => planeShape('maxPool2d', x, a.inSize, a.outSize),
  forward: (out, [xIn], a) => {
    const x = contiguousBuf('maxPool2d', xIn);
    launch('maxPool2d', { kernel: 'maxPool', args: args(x, out, a) }, [x], [out]);
  },
  grad: (g, [x], _, a) => [g.applyOp(maxPool2dBackward, [g, x], a)],
  saves: 'inputs',
});

/** Where each window's maximum is, as h·W + w within its plane (int32). */
export const maxPool2dIndices: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'maxPool2dIndices',
  arity: 1,
  shape: ([x], a) => ({ ...planeShape('maxPool2dIndices', x, a.inSize, a.outSize), dtype: 'int32' }),
  forward: (out, [xIn], a) => {
    const x = contiguousBuf('maxPool2dIndices', xIn);
    launch('maxPool2dIndices', { kernel: 'maxPoolIndices', args: args(x, out, a) }, [x], [out]);
  },
  grad: null, // integer positions have no gradient
});

/** dx from g: each window's gradient goes to its first maximum (recomputed from x, in one pass). */
export const maxPool2dBackward: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'maxPool2dBackward',
  arity: 2,
  shape: ([g, x], a) => {
    planeShape('maxPool2dBackward', g, a.outSize, a.inSize);
    if (g.dtype !== x.dtype) throw new DTypeError(`maxPool2dBackward: got dtypes ${g.dtype} and ${x.dtype}, expected equal dtypes`);
    if (g.shape.length !== x.shape.length || g.shape.slice(0, -2).some((d, i) => d !== null && x.shape[i] !== null && d !== x.shape[i])) {
      throw new ShapeError(`maxPool2dBackward: got shapes ${fmtShape(g.shape)} and ${fmtShape(x.shape)}, expected equal leading dims`);
    }
    return planeShape('maxPool2dBackward', x, a.inSize, a.inSize);
  },
  forward: (out, [gIn, xIn], a) => {
    const g = contiguousBuf('maxPool2dBackward', gIn);
    const x = contiguousBuf('maxPool2dBackward', xIn);
    launch('maxPool2dBackward', { kernel: 'maxPoolBackward', args: args(x, out, a, g) }, [g, x], [out]);
  },
  // Linear in g: its adjoint reads gg at the same positions. In x it is piecewise constant.
  grad: (gg, [g, x], _, a) => {
    const at = x.applyOp(maxPool2dIndices, [x], a);
    return [gg.flatten(-2).gather(-1, at.flatten(-2)).reshape(g.shape), null];
  },
  saves: 'inputs',
});

export const avgPool2d: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'avgPool2d',
  arity: 1,
  shape: ([x], a) => planeShape('avgPool2d', x, a.inSize, a.outSize),
  forward: (out, [xIn], a) => {
    const x = contiguousBuf('avgPool2d', xIn);
    launch('avgPool2d', { kernel: 'avgPool', args: args(x, out, a) }, [x], [out]);
  },
  grad: (g, _, __, a) => [g.applyOp(avgPool2dBackward, [g], a)],
  saves: 'none',
});

/** The adjoint of avgPool2d: every input element of a window gets g / divisor. */
export const avgPool2dBackward: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'avgPool2dBackward',
  arity: 1,
  shape: ([g], a) => planeShape('avgPool2dBackward', g, a.outSize, a.inSize),
  forward: (out, [gIn], a) => {
    const g = contiguousBuf('avgPool2dBackward', gIn);
    launch('avgPool2dBackward', { kernel: 'avgPoolBackward', args: args(out, out, a, g) }, [g], [out]);
  },
  grad: (gg, _, __, a) => [gg.applyOp(avgPool2d, [gg], a)],
  saves: 'none',
});
