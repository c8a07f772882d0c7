// Plain float64 references for convolution and pooling, written from the definitions as nested
// loops (scatter form for the transposed convolution), independently of the kernels' formulation.
import { build, numel, type Nd } from './reference.js';

export interface ConvGeom {
  stride: number[];
  /** [top, left, bottom, right]; bottom/right only set the output size. */
  padding: number[];
  dilation: number[];
  groups: number;
}

const at4 = (x: Nd, a: number, b: number, c: number, d: number) => x.data[((a * x.shape[1] + b) * x.shape[2] + c) * x.shape[3] + d];

export function convOut(size: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** out[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · x[n, g·C/groups + c, i·s + a·d − pt, j·s + b·d − pl]. */
export function conv2d(x: Nd, w: Nd, { stride, padding, dilation, groups }: ConvGeom): Nd {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const oh = convOut(h, kh, stride[0], dilation[0], padding[0], padding[2]);
  const ow = convOut(wd, kw, stride[1], dilation[1], padding[1], padding[3]);
  const og = o / groups;
  void c;
  return build([n, o, oh, ow], ([b, oc, i, j]) => {
    const g = Math.floor(oc / og);
    let acc = 0;
    for (let ci = 0; ci < cg; ci++) {
      for (let a = 0; a < kh; a++) {
        for (let e = 0; e < kw; e++) {
          const ih = i * stride[0] + a * dilation[0] - padding[0];
          const iw = j * stride[1] + e * dilation[1] - padding[1];
          if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
          acc += at4(w, oc, ci, a, e) * at4(x, b, g * cg + ci, ih, iw);
        }
      }
    }
    return acc;
  });
}

/** Each input pixel y[n, ci, i, j] adds y·w[ci, co, a, b] at out[n, g·Cout/groups + co, i·s + a·d − p, j·s + b·d − p]. */
export function convTranspose2d(y: Nd, w: Nd, stride: number[], padding: number[], dilation: number[], groups: number, outSize: number[]): Nd {
  const [n, cin, h, wd] = y.shape;
  const [, cog, kh, kw] = w.shape;
  const cout = cog * groups;
  const cig = cin / groups;
  const out = new Array<number>(n * cout * outSize[0] * outSize[1]).fill(0);
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < cin; ci++) {
      const g = Math.floor(ci / cig);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          const v = at4(y, b, ci, i, j);
          for (let co = 0; co < cog; co++) {
            for (let a = 0; a < kh; a++) {
              for (let e = 0; e < kw; e++) {
                const oi = i * stride[0] + a * dilation[0] - padding[0];
                const oj = j * stride[1] + e * dilation[1] - padding[1];
                if (oi < 0 || oi >= outSize[0] || oj < 0 || oj >= outSize[1]) continue;
                out[((b * cout + g * cog + co) * outSize[0] + oi) * outSize[1] + oj] += v * at4(w, ci, co, a, e);
              }
            }
          }
        }
      }
    }
  }
  return { shape: [n, cout, outSize[0], outSize[1]], data: out };
}

/** dW[o, c, a, b] = Σ_{n, i, j} g[n, o, i, j] · x[n, group(o)·C/groups + c, i·s + a·d − pt, j·s + b·d − pl]. */
export function conv2dWeight(x: Nd, g: Nd, kernel: number[], { stride, padding, dilation, groups }: ConvGeom): Nd {
  const [n, c, h, wd] = x.shape;
  const [, o, oh, ow] = g.shape;
  const cg = c / groups;
  const og = o / groups;
  return build([o, cg, kernel[0], kernel[1]], ([oc, ci, a, e]) => {
    const grp = Math.floor(oc / og);
    let acc = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const ih = i * stride[0] + a * dilation[0] - padding[0];
          const iw = j * stride[1] + e * dilation[1] - padding[1];
          if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
          acc += at4(g, b, oc, i, j) * at4(x, b, grp * cg + ci, ih, iw);
        }
      }
    }
    return acc;
  });
}

export interface PoolGeom {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** PyTorch's pooling output size: in ceil mode the last window must start inside the input or its left padding. */
export function poolOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** Views x [..., H, W] as planes and maps each output position through f(plane, i, j). */
function planes(x: Nd, outSize: number[], f: (plane: number[], h: number, w: number, i: number, j: number) => number): Nd {
  const lead = x.shape.slice(0, -2);
  const [h, w] = x.shape.slice(-2);
  return build([...lead, ...outSize], (idx) => {
    const p = idx.slice(0, -2).reduce((acc, v, d) => acc * lead[d] + v, 0);
    const plane = x.data.slice(p * h * w, (p + 1) * h * w);
    return f(plane, h, w, idx[idx.length - 2], idx[idx.length - 1]);
  });
}

/** The window's in-bounds taps in scan order (rows, then columns), as flat plane indices. */
function maxTaps(h: number, w: number, g: PoolGeom, i: number, j: number): number[] {
  const taps: number[] = [];
  for (let a = 0; a < g.kernel[0]; a++) {
    for (let b = 0; b < g.kernel[1]; b++) {
      const r = i * g.stride[0] - g.padding[0] + a * g.dilation[0];
      const c = j * g.stride[1] - g.padding[1] + b * g.dilation[1];
      if (r >= 0 && r < h && c >= 0 && c < w) taps.push(r * w + c);
    }
  }
  return taps;
}

/** The first maximum in scan order (a later NaN wins, as in PyTorch's kernel). */
function firstMax(plane: number[], taps: number[]): number {
  let best = taps[0];
  let max = -Infinity;
  for (const t of taps) {
    if (plane[t] > max || Number.isNaN(plane[t])) {
      max = plane[t];
      best = t;
    }
  }
  return best;
}

export function poolSize(x: Nd, g: PoolGeom): number[] {
  const [h, w] = x.shape.slice(-2);
  return [0, 1].map((d) => poolOut([h, w][d], g.kernel[d], g.stride[d], g.padding[d], g.dilation[d], g.ceilMode === true));
}

export function maxPool2d(x: Nd, g: PoolGeom): Nd {
  return planes(x, poolSize(x, g), (plane, h, w, i, j) => plane[firstMax(plane, maxTaps(h, w, g, i, j))]);
}

export function maxPool2dIndices(x: Nd, g: PoolGeom): Nd {
  return planes(x, poolSize(x, g), (plane, h, w, i, j) => firstMax(plane, maxTaps(h, w, g, i, j)));
}

/** dx: each output's gradient added at its window's first maximum. */
export function maxPool2dBackward(grad: Nd, x: Nd, g: PoolGeom): Nd {
  const idx = maxPool2dIndices(x, g);
  const [h, w] = x.shape.slice(-2);
  const per = idx.data.length / (numel(x.shape) / (h * w));
  const out = new Array<number>(numel(x.shape)).fill(0);
  idx.data.forEach((t, k) => (out[Math.floor(k / per) * h * w + t] += grad.data[k]));
  return { shape: [...x.shape], data: out };
}

/** The window of output (i, j) as in-bounds taps, and the divisor PyTorch uses. */
function avgTaps(h: number, w: number, g: PoolGeom, i: number, j: number): { taps: number[]; divisor: number } {
  const taps: number[] = [];
  let padded = 0;
  for (let a = 0; a < g.kernel[0]; a++) {
    for (let b = 0; b < g.kernel[1]; b++) {
      const r = i * g.stride[0] - g.padding[0] + a;
      const c = j * g.stride[1] - g.padding[1] + b;
      // Taps past the far padding (ceil mode) do not count even with countIncludePad.
      if (r < h + g.padding[0] && c < w + g.padding[1]) padded++;
      if (r >= 0 && r < h && c >= 0 && c < w) taps.push(r * w + c);
    }
  }
  return { taps, divisor: g.countIncludePad === false ? taps.length : padded };
}

export function avgPool2d(x: Nd, g: PoolGeom): Nd {
  return planes(x, poolSize(x, g), (plane, h, w, i, j) => {
    const { taps, divisor } = avgTaps(h, w, g, i, j);
    return taps.reduce((acc, t) => acc + plane[t], 0) / divisor;
  });
}

export function avgPool2dBackward(grad: Nd, inSize: number[], g: PoolGeom): Nd {
  const [h, w] = inSize;
  const lead = grad.shape.slice(0, -2);
  const [oh, ow] = grad.shape.slice(-2);
  const out = new Array<number>(numel(lead) * h * w).fill(0);
  for (let p = 0; p < numel(lead); p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const { taps, divisor } = avgTaps(h, w, g, i, j);
        for (const t of taps) out[p * h * w + t] += grad.data[(p * oh + i) * ow + j] / divisor;
      }
    }
  }
  return { shape: [...lead, h, w], data: out };
}

/** Window i of n over a size: [⌊i·size/n⌋, ⌈(i+1)·size/n⌉). */
export function adaptiveAvgPool2d(x: Nd, outSize: number[]): Nd {
  return planes(x, outSize, (plane, h, w, i, j) => {
    const r0 = Math.floor((i * h) / outSize[0]);
    const r1 = Math.ceil(((i + 1) * h) / outSize[0]);
    const c0 = Math.floor((j * w) / outSize[1]);
    const c1 = Math.ceil(((j + 1) * w) / outSize[1]);
    let acc = 0;
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) acc += plane[r * w + c];
    return acc / ((r1 - r0) * (c1 - c0));
  });
}
