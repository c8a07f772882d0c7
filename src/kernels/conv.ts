// src/kernels/conv.ts — convolution kernels in plain TypeScript: direct loops, any dtype, any
// strides. float32 on the tensor heap runs the WebAssembly implicit GEMM (conv-wasm.ts) instead.
// Imported by the main thread AND by workers. Nothing in src/kernels may import tensor, ops,
// graph or runtime.
import type { FloatArray, Kernel } from './types.js';

/**
 * One generalised 2-D convolution, which covers the forward product, the transposed
 * convolution and therefore the input gradient:
 *   out[n, g·M + m, oh, ow] = Σ_{r, kh, kw} F[g, m, r, kh, kw] · X̃[n, g·R + r, oh·sh + kh·dh − ph, ow·sw + kw·dw − pw]
 * where X̃ is the input with lh − 1 (lw − 1) zeros inserted between its rows (columns):
 * coordinate t holds input row t/lh when t ≥ 0, lh | t and t/lh < inH, and 0 otherwise.
 * The filter F is read through five strides [g, m, r, kh, kw], so a flipped, channel-swapped
 * view of a weight (the transposed convolution's) costs nothing. out is contiguous.
 */
export interface ConvArgs {
  x: FloatArray;
  xOffset: number;
  /** Strides of the input's [n, channel, h, w]. */
  xStrides: number[];
  f: FloatArray;
  fOffset: number;
  /** Strides of the filter's [group, m, r, kh, kw] (may be negative). */
  fStrides: number[];
  out: FloatArray;
  outOffset: number;
  batch: number;
  groups: number;
  /** Output channels per group. */
  m: number;
  /** Input channels per group. */
  r: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  outH: number;
  outW: number;
  stride: number[];
  dilation: number[];
  padding: number[];
  lhsDilation: number[];
  /** x, f and out lie in the tensor heap. */
  heap?: boolean;
}

/**
 * The filter gradient of that convolution, summed per chunk of `chunkSize` images:
 *   out[c, g·M + m, (r·kH + kh)·kW + kw] = Σ_{n in chunk c} Σ_{oh, ow} G[n, g·M + m, oh, ow] · X̃[n, g·R + r, …as above]
 * The op adds the chunks in a second, fixed-order pass, so the split never depends on threads.
 */
export interface ConvWeightArgs {
  x: FloatArray;
  xOffset: number;
  xStrides: number[];
  g: FloatArray;
  gOffset: number;
  /** Strides of the output gradient's [n, channel, oh, ow]. */
  gStrides: number[];
  out: FloatArray;
  outOffset: number;
  batch: number;
  chunkSize: number;
  groups: number;
  m: number;
  r: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  outH: number;
  outW: number;
  stride: number[];
  dilation: number[];
  padding: number[];
  lhsDilation: number[];
  heap?: boolean;
}

export function convChunks(a: { batch: number; chunkSize: number }): number {
  return Math.ceil(a.batch / a.chunkSize);
}

/** The input row (or column) that dilated coordinate t reads, or -1 for a zero. */
function source(t: number, l: number, size: number): number {
  if (t < 0) return -1;
  if (l !== 1) {
    if (t % l !== 0) return -1;
    t /= l;
  }
  return t < size ? t : -1;
}

/** A unit is one output plane (n, g, m); each element sums (r, kh, kw) in order, in float64. */
export const convJs: Kernel<ConvArgs> = {
  run(a, start, end) {
    const [xn, xc, xh, xw] = a.xStrides;
    const [fg, fm, fr, fkh, fkw] = a.fStrides;
    const [sh, sw] = a.stride;
    const [dh, dw] = a.dilation;
    const [ph, pw] = a.padding;
    const [lh, lw] = a.lhsDilation;
    const plane = a.outH * a.outW;
    for (let u = start; u < end; u++) {
      const m = u % a.m;
      const g = Math.floor(u / a.m) % a.groups;
      const n = Math.floor(u / (a.m * a.groups));
      const xBase = a.xOffset + n * xn + g * a.r * xc;
      const fBase = a.fOffset + g * fg + m * fm;
      let o = a.outOffset + u * plane;
      for (let oh = 0; oh < a.outH; oh++) {
        for (let ow = 0; ow < a.outW; ow++, o++) {
          let acc = 0;
          for (let kh = 0; kh < a.kH; kh++) {
            const ih = source(oh * sh + kh * dh - ph, lh, a.inH);
            if (ih < 0) continue;
            for (let kw = 0; kw < a.kW; kw++) {
              const iw = source(ow * sw + kw * dw - pw, lw, a.inW);
              if (iw < 0) continue;
              let xi = xBase + ih * xh + iw * xw;
              let fi = fBase + kh * fkh + kw * fkw;
              for (let r = 0; r < a.r; r++, xi += xc, fi += fr) acc += a.x[xi] * a.f[fi];
            }
          }
          a.out[o] = acc;
        }
      }
    }
  },
  units: (a) => a.batch * a.groups * a.m,
  unitCost: (a) => 200 + a.outH * a.outW * (5 + 2 * a.r * a.kH * a.kW),
};

/** A unit is one row (chunk, g, m) of the partial filter gradient, summed over (n, oh, ow) in order. */
export const convWeightJs: Kernel<ConvWeightArgs> = {
  run(a, start, end) {
    const [xn, xc, xh, xw] = a.xStrides;
    const [gn, gc, gh, gw] = a.gStrides;
    const [sh, sw] = a.stride;
    const [dh, dw] = a.dilation;
    const [ph, pw] = a.padding;
    const [lh, lw] = a.lhsDilation;
    const cols = a.r * a.kH * a.kW;
    for (let u = start; u < end; u++) {
      const m = u % a.m;
      const g = Math.floor(u / a.m) % a.groups;
      const chunk = Math.floor(u / (a.m * a.groups));
      const n0 = chunk * a.chunkSize;
      const n1 = Math.min(a.batch, n0 + a.chunkSize);
      let o = a.outOffset + u * cols;
      for (let r = 0; r < a.r; r++) {
        for (let kh = 0; kh < a.kH; kh++) {
          for (let kw = 0; kw < a.kW; kw++, o++) {
            let acc = 0;
            for (let n = n0; n < n1; n++) {
              const xBase = a.xOffset + n * xn + (g * a.r + r) * xc;
              const gBase = a.gOffset + n * gn + (g * a.m + m) * gc;
              for (let oh = 0; oh < a.outH; oh++) {
                const ih = source(oh * sh + kh * dh - ph, lh, a.inH);
                if (ih < 0) continue;
                for (let ow = 0; ow < a.outW; ow++) {
                  const iw = source(ow * sw + kw * dw - pw, lw, a.inW);
                  if (iw >= 0) acc += a.g[gBase + oh * gh + ow * gw] * a.x[xBase + ih * xh + iw * xw];
                }
              }
            }
            a.out[o] = acc;
          }
        }
      }
    }
  },
  units: (a) => convChunks(a) * a.groups * a.m,
  unitCost: (a) => 200 + a.r * a.kH * a.kW * Math.min(a.batch, a.chunkSize) * a.outH * a.outW * 2,
};
