// AssemblyScript source of the float32 pooling and batch-statistics passes used by
// src/kernels/pool-wasm.ts: one pass over each window of unpadded, undilated pooling, and over
// each channel, on tensors in the heap. Every pointer is a byte offset into the imported heap;
// the module keeps nothing in memory.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm).

/**
 * For planes [p0, p1) of x (inH × inW each): the first maximum of each kH × kW window at stride
 * (sH, sW), scanning rows then columns; a later element wins only if strictly greater, or NaN
 * (PyTorch's rule). backward = 0: out[o] = that maximum. backward = 1: out (inH × inW planes) is
 * zeroed, then out[its position] += g[o].
 */
export function maxPool(x: usize, g: usize, out: usize, p0: i32, p1: i32, inH: i32, inW: i32, outH: i32, outW: i32, kH: i32, kW: i32, sH: i32, sW: i32, backward: i32): void {
  // ceilMode can leave a last window hanging past the edge: only whole windows take the fast path.
  if (kH == 2 && kW == 2 && sH == 2 && sW == 2 && 2 * outH <= inH && 2 * outW <= inW) {
    maxPool2x2(x, g, out, p0, p1, inH, inW, outH, outW, backward);
    return;
  }
  const inPlane = (<usize>(inH * inW)) << 2;
  const outPlane = (<usize>(outH * outW)) << 2;
  const rowBytes = (<usize>inW) << 2;
  for (let p = p0; p < p1; p++) {
    const base = x + (<usize>p) * inPlane;
    const dst = out + (<usize>p) * (backward ? inPlane : outPlane);
    let o = (backward ? g : out) + (<usize>p) * outPlane;
    if (backward) memory.fill(dst, 0, inPlane);
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sH;
      const h1 = min(h0 + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sW;
        const w1 = min(w0 + kW, inW);
        let best = base + (<usize>h0) * rowBytes + ((<usize>w0) << 2);
        let max = -Infinity as f32;
        for (let h = h0; h < h1; h++) {
          const row = base + (<usize>h) * rowBytes;
          for (let w = w0; w < w1; w++) {
            const at = row + ((<usize>w) << 2);
            const v = load<f32>(at);
            if (v > max || v != v) {
              max = v;
              best = at;
            }
          }
        }
        if (backward) {
          const to = dst + (best - base);
          store<f32>(to, load<f32>(to) + load<f32>(o));
        } else {
          store<f32>(o, load<f32>(best));
        }
        o += 4;
      }
    }
  }
}

/** Whether v replaces the running maximum: strictly greater, or NaN (maxPool's rule). */
// @ts-ignore: decorator
@inline function wins(v: f32, max: f32): bool {
  return v > max || v != v;
}

/**
 * maxPool for 2×2 windows at stride 2 (the common case), unrolled: the same comparisons in the
 * same order (a, b on the first row, then c, d), so the same maxima and positions. The windows do
 * not overlap, so backward writes each window whole (0 + g at its maximum: the bits of adding g to
 * a zeroed plane) and zeroes only what no window covers.
 */
function maxPool2x2(x: usize, g: usize, out: usize, p0: i32, p1: i32, inH: i32, inW: i32, outH: i32, outW: i32, backward: i32): void {
  const inPlane = (<usize>(inH * inW)) << 2;
  const outPlane = (<usize>(outH * outW)) << 2;
  const rowBytes = (<usize>inW) << 2;
  const covered = outH * 2 == inH && outW * 2 == inW;
  for (let p = p0; p < p1; p++) {
    const base = x + (<usize>p) * inPlane;
    const dst = out + (<usize>p) * (backward ? inPlane : outPlane);
    let o = (backward ? g : out) + (<usize>p) * outPlane;
    if (backward && !covered) memory.fill(dst, 0, inPlane);
    for (let oh = 0; oh < outH; oh++) {
      const r0 = (<usize>(2 * oh)) * rowBytes;
      const r1 = r0 + rowBytes;
      // Four windows at a time: the same rule lane by lane (pmax keeps m unless v > m; then a NaN v wins).
      let ow = 0;
      for (; ow + 4 <= outW; ow += 4) {
        const c0 = (<usize>ow) << 3;
        const t0 = v128.load(base + r0 + c0), t1 = v128.load(base + r0 + c0, 16);
        const u0 = v128.load(base + r1 + c0), u1 = v128.load(base + r1 + c0, 16);
        const a = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6), b = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        const c = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6), d = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
        let max = a;
        let at = i32x4.splat(0);
        let w = v128.or(f32x4.gt(b, max), f32x4.ne(b, b));
        max = v128.bitselect(b, max, w);
        at = v128.bitselect(i32x4.splat(1), at, w);
        w = v128.or(f32x4.gt(c, max), f32x4.ne(c, c));
        max = v128.bitselect(c, max, w);
        at = v128.bitselect(i32x4.splat(2), at, w);
        w = v128.or(f32x4.gt(d, max), f32x4.ne(d, d));
        max = v128.bitselect(d, max, w);
        at = v128.bitselect(i32x4.splat(3), at, w);
        if (backward) {
          const v = f32x4.add(f32x4.splat(0), v128.load(o));
          const zero = f32x4.splat(0);
          const va = v128.bitselect(v, zero, i32x4.eq(at, i32x4.splat(0)));
          const vb = v128.bitselect(v, zero, i32x4.eq(at, i32x4.splat(1)));
          const vc = v128.bitselect(v, zero, i32x4.eq(at, i32x4.splat(2)));
          const vd = v128.bitselect(v, zero, i32x4.eq(at, i32x4.splat(3)));
          v128.store(dst + r0 + c0, v128.shuffle<f32>(va, vb, 0, 4, 1, 5));
          v128.store(dst + r0 + c0, v128.shuffle<f32>(va, vb, 2, 6, 3, 7), 16);
          v128.store(dst + r1 + c0, v128.shuffle<f32>(vc, vd, 0, 4, 1, 5));
          v128.store(dst + r1 + c0, v128.shuffle<f32>(vc, vd, 2, 6, 3, 7), 16);
        } else {
          v128.store(o, max);
        }
        o += 16;
      }
      for (; ow < outW; ow++) {
        const c0 = (<usize>ow) << 3;
        const a = load<f32>(base + r0 + c0);
        const b = load<f32>(base + r0 + c0, 4);
        const c = load<f32>(base + r1 + c0);
        const d = load<f32>(base + r1 + c0, 4);
        // The first element always wins against −∞ or loses only to a later strict winner.
        let max = a;
        let at = 0;
        if (wins(b, max)) { max = b; at = 1; }
        if (wins(c, max)) { max = c; at = 2; }
        if (wins(d, max)) { max = d; at = 3; }
        if (backward) {
          const v = <f32>0 + load<f32>(o);
          store<f32>(dst + r0 + c0, at == 0 ? v : 0);
          store<f32>(dst + r0 + c0, at == 1 ? v : 0, 4);
          store<f32>(dst + r1 + c0, at == 2 ? v : 0);
          store<f32>(dst + r1 + c0, at == 3 ? v : 0, 4);
        } else {
          store<f32>(o, max);
        }
        o += 4;
      }
    }
  }
}

/**
 * The average of each kH × kW window at stride (sH, sW), unpadded, over planes [p0, p1): the
 * window sum in f64, row by row, divided by the window's in-bounds size, then rounded once to
 * f32 — the same steps, so the same bits, as pool.ts's loop.
 */
export function avgPool(x: usize, out: usize, p0: i32, p1: i32, inH: i32, inW: i32, outH: i32, outW: i32, kH: i32, kW: i32, sH: i32, sW: i32): void {
  const inPlane = (<usize>(inH * inW)) << 2;
  const rowBytes = (<usize>inW) << 2;
  let o = out + (<usize>p0) * ((<usize>(outH * outW)) << 2);
  for (let p = p0; p < p1; p++) {
    const base = x + (<usize>p) * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sH;
      const h1 = min(h0 + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sW;
        const w1 = min(w0 + kW, inW);
        let acc: f64 = 0;
        for (let h = h0; h < h1; h++) {
          const row = base + (<usize>h) * rowBytes;
          for (let w = w0; w < w1; w++) acc += <f64>load<f32>(row + ((<usize>w) << 2));
        }
        store<f32>(o, <f32>(acc / <f64>((h1 - h0) * (w1 - w0))));
        o += 4;
      }
    }
  }
}

/**
 * Batch statistics of channels [c0, c1) of x [batch, channels, inner] (f32): out[c] = mean and
 * out[channels + c] = biased variance, each summed in f64 in order (the mean first, then the
 * squared deviations) and rounded once — the same steps as norm.ts's loop.
 */
export function channelStats(x: usize, out: usize, c0: i32, c1: i32, batch: i32, channels: i32, inner: i32): void {
  const n = <f64>(batch * inner);
  const innerBytes = (<usize>inner) << 2;
  for (let c = c0; c < c1; c++) {
    let sum: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const row = x + (<usize>(b * channels + c)) * innerBytes;
      for (let i = 0; i < inner; i++) sum += <f64>load<f32>(row + ((<usize>i) << 2));
    }
    const mean = sum / n;
    let squares: f64 = 0;
    for (let b = 0; b < batch; b++) {
      const row = x + (<usize>(b * channels + c)) * innerBytes;
      for (let i = 0; i < inner; i++) {
        const d = <f64>load<f32>(row + ((<usize>i) << 2)) - mean;
        squares += d * d;
      }
    }
    store<f32>(out + ((<usize>c) << 2), <f32>mean);
    store<f32>(out + ((<usize>(channels + c)) << 2), <f32>(squares / n));
  }
}
