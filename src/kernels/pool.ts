// src/kernels/pool.ts — 2-D max and average pooling and their adjoints: one pass over each
// window, PyTorch's window rules. Inputs arrive contiguous as planes [planes, inH, inW]; a unit
// is one plane, so adds that land on one input element (overlapping windows) happen in a fixed
// order. Imported by the main thread AND by workers. Nothing in src/kernels may import tensor,
// ops, graph or runtime.
import type { DataArray, FloatArray, Kernel } from './types.js';

export interface PoolArgs {
  /** max: the input; avg: the input (forward) or unused. */
  x: FloatArray;
  xOffset: number;
  /** The output gradient [planes, outH, outW], for the adjoints. */
  g?: FloatArray;
  gOffset?: number;
  /** Contiguous: [planes, outH, outW] forward, [planes, inH, inW] for the adjoints. */
  out: DataArray;
  outOffset: number;
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  /** avg: divide by the whole window, padding included (PyTorch's count_include_pad). */
  countIncludePad?: boolean;
  /** avg: PyTorch's adaptive windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) instead of kernel/stride/padding. */
  adaptive?: boolean;
  /** Every operand lies in the tensor heap (float32 max pooling may then run in WebAssembly). */
  heap?: boolean;
}

/**
 * The flat index (h·inW + w) of a max window's maximum, scanning rows then columns with
 * PyTorch's rule: a later element wins only if strictly greater, or NaN. The start index wins
 * when every element is −∞.
 */
function argmaxAt(x: FloatArray, base: number, a: PoolArgs, oh: number, ow: number): number {
  const [kh, kw] = a.kernel;
  const [dh, dw] = a.dilation;
  let h0 = oh * a.stride[0] - a.padding[0];
  let w0 = ow * a.stride[1] - a.padding[1];
  const h1 = Math.min(h0 + (kh - 1) * dh + 1, a.inH);
  const w1 = Math.min(w0 + (kw - 1) * dw + 1, a.inW);
  while (h0 < 0) h0 += dh;
  while (w0 < 0) w0 += dw;
  let best = h0 * a.inW + w0;
  let max = -Infinity;
  for (let h = h0; h < h1; h += dh) {
    for (let w = w0; w < w1; w += dw) {
      const i = h * a.inW + w;
      const v = x[base + i];
      if (v > max || v !== v) {
        max = v;
        best = i;
      }
    }
  }
  return best;
}

/** No padding and no dilation: windows start inside the plane and walk it densely. */
const isPlain = (a: PoolArgs) => a.padding[0] === 0 && a.padding[1] === 0 && a.dilation[0] === 1 && a.dilation[1] === 1;

/**
 * The same first-maximum scan as argmaxAt over every window of one plane, with the window
 * arithmetic hoisted (plain geometry only). Without g: out[o] = the window's maximum. With g:
 * out[its position] += g[o], the adjoint. One loop each way, no callback: this is the hot path.
 */
function plainPlane(x: FloatArray, base: number, a: PoolArgs, out: DataArray, outBase: number, g: FloatArray | null, gBase: number): void {
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const inW = a.inW;
  let o = 0;
  for (let oh = 0; oh < a.outH; oh++) {
    const h0 = oh * sh;
    const h1 = Math.min(h0 + kh, a.inH);
    for (let ow = 0; ow < a.outW; ow++, o++) {
      const w0 = ow * sw;
      const w1 = Math.min(w0 + kw, inW);
      let best = base + h0 * inW + w0;
      let max = -Infinity;
      for (let h = h0; h < h1; h++) {
        for (let i = base + h * inW + w0, e = base + h * inW + w1; i < e; i++) {
          const v = x[i];
          if (v > max || v !== v) {
            max = v;
            best = i;
          }
        }
      }
      if (g === null) out[outBase + o] = x[best];
      else out[outBase + best - base] += g[gBase + o];
    }
  }
}

/** The window of output (oh, ow) of an average pool: [h0, h1) × [w0, w1) and its divisor. */
function avgWindow(a: PoolArgs, oh: number, ow: number, win: Float64Array): void {
  let h0: number, h1: number, w0: number, w1: number, size: number;
  if (a.adaptive) {
    h0 = Math.floor((oh * a.inH) / a.outH);
    h1 = Math.ceil(((oh + 1) * a.inH) / a.outH);
    w0 = Math.floor((ow * a.inW) / a.outW);
    w1 = Math.ceil(((ow + 1) * a.inW) / a.outW);
    size = (h1 - h0) * (w1 - w0);
  } else {
    h0 = oh * a.stride[0] - a.padding[0];
    w0 = ow * a.stride[1] - a.padding[1];
    h1 = Math.min(h0 + a.kernel[0], a.inH + a.padding[0]);
    w1 = Math.min(w0 + a.kernel[1], a.inW + a.padding[1]);
    const padded = (h1 - h0) * (w1 - w0);
    h0 = Math.max(h0, 0);
    w0 = Math.max(w0, 0);
    h1 = Math.min(h1, a.inH);
    w1 = Math.min(w1, a.inW);
    size = a.countIncludePad ? padded : (h1 - h0) * (w1 - w0);
  }
  win[0] = h0;
  win[1] = h1;
  win[2] = w0;
  win[3] = w1;
  win[4] = size;
}

const win = new Float64Array(5);
const outPlane = (a: PoolArgs) => a.outH * a.outW;
const inPlane = (a: PoolArgs) => a.inH * a.inW;
const windowCost = (a: PoolArgs) => (a.adaptive ? Math.ceil(a.inH / a.outH) * Math.ceil(a.inW / a.outW) : a.kernel[0] * a.kernel[1]);
const units = (a: PoolArgs) => a.planes;
const cost = (a: PoolArgs) => 100 + outPlane(a) * (10 + 2 * windowCost(a)) + inPlane(a);

/** out = the window maxima. */
const maxPool: Kernel<PoolArgs> = {
  run(a, start, end) {
    const x = a.x;
    for (let p = start; p < end; p++) {
      const base = a.xOffset + p * inPlane(a);
      const o0 = a.outOffset + p * outPlane(a);
      if (isPlain(a)) {
        plainPlane(x, base, a, a.out, o0, null, 0);
        continue;
      }
      let o = o0;
      for (let oh = 0; oh < a.outH; oh++) for (let ow = 0; ow < a.outW; ow++) a.out[o++] = x[base + argmaxAt(x, base, a, oh, ow)];
    }
  },
  units,
  unitCost: cost,
};

/** out (int32) = the flat index h·inW + w of each window's maximum, as PyTorch's returnIndices. */
const maxPoolIndices: Kernel<PoolArgs> = {
  run(a, start, end) {
    for (let p = start; p < end; p++) {
      const base = a.xOffset + p * inPlane(a);
      let o = a.outOffset + p * outPlane(a);
      for (let oh = 0; oh < a.outH; oh++) for (let ow = 0; ow < a.outW; ow++) a.out[o++] = argmaxAt(a.x, base, a, oh, ow);
    }
  },
  units,
  unitCost: cost,
};

/** out = 0, then out[argmax of each window] += g: the gradient goes where PyTorch sends it. */
const maxPoolBackward: Kernel<PoolArgs> = {
  run(a, start, end) {
    const g = a.g as FloatArray;
    for (let p = start; p < end; p++) {
      const base = a.xOffset + p * inPlane(a);
      const dst = a.outOffset + p * inPlane(a);
      a.out.fill(0, dst, dst + inPlane(a));
      const g0 = (a.gOffset ?? 0) + p * outPlane(a);
      if (isPlain(a)) {
        plainPlane(a.x, base, a, a.out, dst, g, g0);
        continue;
      }
      let gi = g0;
      for (let oh = 0; oh < a.outH; oh++) for (let ow = 0; ow < a.outW; ow++) a.out[dst + argmaxAt(a.x, base, a, oh, ow)] += g[gi++];
    }
  },
  units,
  unitCost: cost,
};

/** out = the window sums over their divisors. */
const avgPool: Kernel<PoolArgs> = {
  run(a, start, end) {
    const x = a.x;
    for (let p = start; p < end; p++) {
      const base = a.xOffset + p * inPlane(a);
      let o = a.outOffset + p * outPlane(a);
      for (let oh = 0; oh < a.outH; oh++) {
        for (let ow = 0; ow < a.outW; ow++) {
          avgWindow(a, oh, ow, win);
          let acc = 0;
          for (let h = win[0]; h < win[1]; h++) for (let w = win[2]; w < win[3]; w++) acc += x[base + h * a.inW + w];
          a.out[o++] = acc / win[4];
        }
      }
    }
  },
  units,
  unitCost: cost,
};

/** The adjoint of avgPool: out = 0, then every element of a window gets g / divisor. */
const avgPoolBackward: Kernel<PoolArgs> = {
  run(a, start, end) {
    const g = a.g as FloatArray;
    for (let p = start; p < end; p++) {
      const dst = a.outOffset + p * inPlane(a);
      a.out.fill(0, dst, dst + inPlane(a));
      let gi = (a.gOffset ?? 0) + p * outPlane(a);
      for (let oh = 0; oh < a.outH; oh++) {
        for (let ow = 0; ow < a.outW; ow++) {
          avgWindow(a, oh, ow, win);
          const v = g[gi++] / win[4];
          for (let h = win[0]; h < win[1]; h++) for (let w = win[2]; w < win[3]; w++) a.out[dst + h * a.inW + w] += v;
        }
      }
    }
  },
  units,
  unitCost: cost,
};

export const poolKernels = { maxPool, maxPoolIndices, maxPoolBackward, avgPool, avgPoolBackward };
