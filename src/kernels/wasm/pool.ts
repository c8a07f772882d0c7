// AssemblyScript source of the float32 max-pool passes used by src/kernels/pool-wasm.ts: one
// pass over each window of unpadded, undilated pooling, on planes in the tensor heap. Every
// pointer is a byte offset into the imported heap; the module keeps nothing in memory.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm).

/**
 * For planes [p0, p1) of x (inH × inW each): the first maximum of each kH × kW window at stride
 * (sH, sW), scanning rows then columns; a later element wins only if strictly greater, or NaN
 * (PyTorch's rule). backward = 0: out[o] = that maximum. backward = 1: out (inH × inW planes) is
 * zeroed, then out[its position] += g[o].
 */
export function maxPool(x: usize, g: usize, out: usize, p0: i32, p1: i32, inH: i32, inW: i32, outH: i32, outW: i32, kH: i32, kW: i32, sH: i32, sW: i32, backward: i32): void {
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
