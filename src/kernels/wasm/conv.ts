// AssemblyScript source of the convolution packers used by src/kernels/conv-wasm.ts: they read
// an image through its strides and write the patch matrix of one tile straight into the GEMM
// micro-kernel's panel layout (gemm.ts), so no im2col matrix of a whole batch ever exists.
// Every pointer is a byte offset into the imported tensor heap; the module keeps no data of its
// own in memory (the first page of the heap belongs to nobody), only locals.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm).
//
// Geometry shared by both packers (one image of one group):
//   input element (r, ih, iw) at x + (r·sc + ih·sh + iw·sw)·4, an inH × inW plane per channel;
//   output position (oh, ow) and filter tap (kh, kw) read the "dilated input" coordinate
//     t = oh·strH + kh·dilH − padH   (likewise for w)
//   which holds input row t / lh when t ≥ 0, t ≡ 0 (mod lh) and t / lh < inH, and 0 otherwise.
//   lh = lw = 1 is a plain convolution; lh, lw > 1 is the transposed convolution (the input
//   gradient of a strided one), whose input has lh − 1 zeros between rows.
//   The reduction index k runs over (r, kh, kw), kw fastest.

/** The value at dilated coordinates (th, tw) of channel r, or 0 outside the input. */
// @ts-ignore: decorator
@inline function tap(x: usize, sc: i32, sh: i32, sw: i32, inH: i32, inW: i32, lh: i32, lw: i32, r: i32, th: i32, tw: i32): f32 {
  if (th < 0 || tw < 0) return 0;
  if (lh != 1) {
    if (th % lh != 0) return 0;
    th /= lh;
  }
  if (lw != 1) {
    if (tw % lw != 0) return 0;
    tw /= lw;
  }
  if (th >= inH || tw >= inW) return 0;
  return load<f32>(x + ((<usize>(r * sc + th * sh + tw * sw)) << 2));
}

/** dst[0, len) = input row th, columns tw … tw+len of the channel at c0 (dst already zeroed). */
// @ts-ignore: decorator
@inline function copyRun(x: usize, c0: i32, sh: i32, inH: i32, inW: i32, th: i32, tw: i32, dst: usize, len: i32): void {
  if (th < 0 || th >= inH) return;
  const from = max(0, -tw);
  const to = min(len, inW - tw);
  const row = x + ((<usize>(c0 + th * sh + tw)) << 2);
  for (let l = from; l < to; l++) store<f32>(dst + ((<usize>l) << 2), load<f32>(row + ((<usize>l) << 2)));
}

/**
 * B panels of the forward product for positions j0 … j0+count and reductions k0 … k0+kc:
 * dst[strip][k − k0][lane] = patch(k, position j0 + 8·strip + lane), 8 lanes a strip, zero past count.
 * With unit stride and no input dilation a strip's positions are runs of at most two output
 * rows, so each tap reads contiguous input runs (two vector loads when all 8 lie in one row).
 */
export function packPatches(
  x: usize, sc: i32, sh: i32, sw: i32, inH: i32, inW: i32, lh: i32, lw: i32,
  outW: i32, strH: i32, strW: i32, dilH: i32, dilW: i32, padH: i32, padW: i32, kH: i32, kW: i32,
  j0: i32, count: i32, k0: i32, kc: i32, dst: usize,
): void {
  const taps = kH * kW;
  const plain = lh == 1 && lw == 1 && strW == 1 && sw == 1;
  for (let l0 = 0; l0 < count; l0 += 8) {
    const p = j0 + l0;
    const oh0 = p / outW;
    const ow0 = p - oh0 * outW;
    const strip = dst + (<usize>(l0 >> 3)) * (<usize>kc) * 32;
    const lanes = min(8, count - l0);
    if (plain && outW >= 8) {
      // The strip's lanes lie in at most two output rows: lanes [0, split) in row oh0 from
      // column ow0, lanes [split, lanes) in row oh0 + 1 from column 0. Each part reads a
      // contiguous run of one input row per tap.
      const split = min(lanes, outW - ow0);
      let r = k0 / taps;
      let kh = (k0 - r * taps) / kW;
      let kw = k0 - r * taps - kh * kW;
      let o = strip;
      for (let s = 0; s < kc; s++) {
        const tw = ow0 - padW + kw * dilW;
        const th = oh0 * strH + kh * dilH - padH;
        if (split == 8 && th >= 0 && th < inH && tw >= 0 && tw + 8 <= inW) {
          const src = x + ((<usize>(r * sc + th * sh + tw)) << 2);
          v128.store(o, v128.load(src));
          v128.store(o, v128.load(src, 16), 16);
        } else {
          v128.store(o, i32x4.splat(0));
          v128.store(o, i32x4.splat(0), 16);
          copyRun(x, r * sc, sh, inH, inW, th, tw, o, split);
          if (split < lanes) copyRun(x, r * sc, sh, inH, inW, th + strH, kw * dilW - padW, o + ((<usize>split) << 2), lanes - split);
        }
        o += 32;
        kw++;
        if (kw == kW) {
          kw = 0;
          kh++;
          if (kh == kH) {
            kh = 0;
            r++;
          }
        }
      }
      continue;
    }
    // General strip: lane by lane, each walking k.
    for (let l = 0; l < 8; l++) {
      let o = strip + ((<usize>l) << 2);
      if (l0 + l >= count) {
        for (let s = 0; s < kc; s++) {
          store<f32>(o, 0);
          o += 32;
        }
        continue;
      }
      const q = p + l;
      const oh = q / outW;
      const bh = oh * strH - padH;
      const bw = (q - oh * outW) * strW - padW;
      let r = k0 / taps;
      let kh = (k0 - r * taps) / kW;
      let kw = k0 - r * taps - kh * kW;
      for (let s = 0; s < kc; s++) {
        store<f32>(o, tap(x, sc, sh, sw, inH, inW, lh, lw, r, bh + kh * dilH, bw + kw * dilW));
        o += 32;
        kw++;
        if (kw == kW) {
          kw = 0;
          kh++;
          if (kh == kH) {
            kh = 0;
            r++;
          }
        }
      }
    }
  }
}

/**
 * B panels of the weight-gradient product: lines are reductions k0 … k0+count of the forward
 * product (its columns here), steps are output positions p0 … p0+kc of one image:
 * dst[strip][p − p0][lane] = patch(k0 + 8·strip + lane, p), zero past count.
 */
export function packPatchesT(
  x: usize, sc: i32, sh: i32, sw: i32, inH: i32, inW: i32, lh: i32, lw: i32,
  outW: i32, strH: i32, strW: i32, dilH: i32, dilW: i32, padH: i32, padW: i32, kH: i32, kW: i32,
  k0: i32, count: i32, p0: i32, kc: i32, dst: usize,
): void {
  const taps = kH * kW;
  const plain = lh == 1 && lw == 1;
  for (let l0 = 0; l0 < count; l0 += 8) {
    const strip = dst + (<usize>(l0 >> 3)) * (<usize>kc) * 32;
    for (let l = 0; l < 8; l++) {
      let o = strip + ((<usize>l) << 2);
      const k = k0 + l0 + l;
      if (l0 + l >= count) {
        for (let s = 0; s < kc; s++) {
          store<f32>(o, 0);
          o += 32;
        }
        continue;
      }
      const r = k / taps;
      const kh = (k - r * taps) / kW;
      const kw = k - r * taps - kh * kW;
      const offH = kh * dilH - padH;
      const offW = kw * dilW - padW;
      let oh = p0 / outW;
      let ow = p0 - oh * outW;
      let s = 0;
      while (s < kc) {
        // The rest of this output row, or of the block.
        const run = min(outW - ow, kc - s);
        const th = oh * strH + offH;
        if (plain && (th < 0 || th >= inH)) {
          for (let i = 0; i < run; i++) {
            store<f32>(o, 0);
            o += 32;
          }
        } else if (plain) {
          // Columns tw0 + i·strW for i in [0, run): zeros before the input, a strided copy, zeros after.
          const row = x + ((<usize>(r * sc + th * sh)) << 2);
          const tw0 = ow * strW + offW;
          const first = min(run, tw0 >= 0 ? 0 : (-tw0 + strW - 1) / strW);
          const last = max(first, min(run, tw0 < inW ? (inW - 1 - tw0) / strW + 1 : 0));
          for (let i = 0; i < first; i++) {
            store<f32>(o, 0);
            o += 32;
          }
          let src = row + ((<usize>((tw0 + first * strW) * sw)) << 2);
          const step = (<usize>(strW * sw)) << 2;
          for (let i = first; i < last; i++) {
            store<f32>(o, load<f32>(src));
            src += step;
            o += 32;
          }
          for (let i = last; i < run; i++) {
            store<f32>(o, 0);
            o += 32;
          }
        } else {
          for (let i = 0; i < run; i++) {
            store<f32>(o, tap(x, sc, sh, sw, inH, inW, lh, lw, r, th, (ow + i) * strW + offW));
            o += 32;
          }
        }
        s += run;
        ow = 0;
        oh++;
      }
    }
  }
}

/** dst[0, len) = src[0, len), four floats a step. */
// @ts-ignore: decorator
@inline function copyFloats(src: usize, dst: usize, len: i32): void {
  let l = 0;
  for (; l + 4 <= len; l += 4) v128.store(dst + ((<usize>l) << 2), v128.load(src + ((<usize>l) << 2)));
  for (; l < len; l++) store<f32>(dst + ((<usize>l) << 2), load<f32>(src + ((<usize>l) << 2)));
}

/** dst[0, len) = 0. */
// @ts-ignore: decorator
@inline function zeroFloats(dst: usize, len: i32): void {
  let l = 0;
  for (; l + 4 <= len; l += 4) v128.store(dst + ((<usize>l) << 2), i32x4.splat(0));
  for (; l < len; l++) store<f32>(dst + ((<usize>l) << 2), 0);
}

/**
 * The patch matrix of one tile, row-major, for a BLAS product (src/kernels/conv-native.ts):
 * dst[(k − k0)·ld + (j − j0)] = patch(k, position j) for k in [k0, k0+kc), j in [j0, j0+count).
 * With unit column stride and no input dilation, each (k, output row) is one contiguous run of
 * an input row with zeros where it leaves the input; otherwise element by element.
 */
export function packRows(
  x: usize, sc: i32, sh: i32, sw: i32, inH: i32, inW: i32, lh: i32, lw: i32,
  outW: i32, strH: i32, strW: i32, dilH: i32, dilW: i32, padH: i32, padW: i32, kH: i32, kW: i32,
  j0: i32, count: i32, k0: i32, kc: i32, dst: usize, ld: i32,
): void {
  const taps = kH * kW;
  const plain = lh == 1 && lw == 1 && strW == 1 && sw == 1;
  let r = k0 / taps;
  let kh = (k0 - r * taps) / kW;
  let kw = k0 - r * taps - kh * kW;
  for (let s = 0; s < kc; s++) {
    let o = dst + (<usize>s) * (<usize>ld) * 4;
    let oh = j0 / outW;
    let ow = j0 - oh * outW;
    let done = 0;
    while (done < count) {
      // The rest of this output row, or of the tile.
      const run = min(outW - ow, count - done);
      const th = oh * strH + kh * dilH - padH;
      if (plain) {
        if (th < 0 || th >= inH) {
          zeroFloats(o, run);
        } else {
          // Columns tw0 … tw0+run of input row th: zeros before the input, a copy, zeros after.
          const tw0 = ow + kw * dilW - padW;
          const first = min(run, max(0, -tw0));
          const last = max(first, min(run, inW - tw0));
          zeroFloats(o, first);
          copyFloats(x + ((<usize>(r * sc + th * sh + tw0 + first)) << 2), o + ((<usize>first) << 2), last - first);
          zeroFloats(o + ((<usize>last) << 2), run - last);
        }
      } else {
        for (let i = 0; i < run; i++) store<f32>(o + ((<usize>i) << 2), tap(x, sc, sh, sw, inH, inW, lh, lw, r, th, (ow + i) * strW + kw * dilW - padW));
      }
      o += (<usize>run) << 2;
      done += run;
      ow = 0;
      oh++;
    }
    kw++;
    if (kw == kW) {
      kw = 0;
      kh++;
      if (kh == kH) {
        kh = 0;
        r++;
      }
    }
  }
}

/**
 * The scatter half of a unit-stride convolution computed as cols = F̂·x (src/kernels/conv-native.ts):
 * cols[(m·kH + kh)·kW + kw][ih·inW + iw] is tap (kh, kw)'s product at input pixel (ih, iw), which
 * lands on output (ih·lh + padH − kh·dilH, iw·lw + padW − kw·dilW) when that lies inside. out
 * (m planes of outH × outW) is zeroed, then the taps add in order m, kh, kw: for any output
 * element, its contributions add in increasing (kh, kw), whatever the split.
 */
export function scatterRows(
  cols: usize, out: usize, m: i32, kH: i32, kW: i32, inH: i32, inW: i32, lh: i32, lw: i32,
  padH: i32, padW: i32, dilH: i32, dilW: i32, outH: i32, outW: i32,
): void {
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  zeroFloats(out, m * outPlane);
  let row = cols;
  for (let mm = 0; mm < m; mm++) {
    const plane = out + ((<usize>(mm * outPlane)) << 2);
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        // Input columns [lo, hi) land on output columns iw·lw + ow0 inside [0, outW).
        const ow0 = padW - kw * dilW;
        const lo = ow0 >= 0 ? 0 : (-ow0 + lw - 1) / lw;
        const hi = max(lo, min(inW, ow0 <= outW - 1 ? (outW - 1 - ow0) / lw + 1 : 0));
        for (let ih = 0; ih < inH; ih++) {
          const oh = ih * lh + padH - kh * dilH;
          if (oh < 0 || oh >= outH) continue;
          const src = row + ((<usize>(ih * inW)) << 2);
          const dst = plane + ((<usize>(oh * outW + ow0)) << 2);
          if (lw == 1) {
            let iw = lo;
            for (; iw + 4 <= hi; iw += 4) {
              const at = (<usize>iw) << 2;
              v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
            }
            for (; iw < hi; iw++) {
              const at = (<usize>iw) << 2;
              store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
            }
          } else {
            for (let iw = lo; iw < hi; iw++) {
              const to = dst + ((<usize>(iw * (lw - 1))) << 2) + ((<usize>iw) << 2);
              store<f32>(to, load<f32>(to) + load<f32>(src + ((<usize>iw) << 2)));
            }
          }
        }
        row += (<usize>inPlane) << 2;
      }
    }
  }
}
