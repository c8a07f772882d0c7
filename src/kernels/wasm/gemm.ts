// AssemblyScript source of the WebAssembly float32 GEMM core used by src/kernels/matmul-wasm.ts.
// build.mjs compiles it twice: plain SIMD128 (mul + add) and relaxed SIMD (relaxed_madd).
// The module imports the tensor heap (a shared memory): every pointer is a byte offset into it,
// so the packers read tensors where they live. The JS side lays out each thread's scratch.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm): v128 and usize are
// AssemblyScript types.

/** c + a·b. Relaxed SIMD may fuse it (one rounding); the plain build always rounds twice. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(c, f32x4.mul(a, b));
  }
}

/**
 * C[mc×nc] += Â·B̂ over one K block of depth kc, C row stride ldc floats.
 * Â: mc/4 panels, each kc steps of 4 floats (4 rows of A, one k at a time).
 * B̂: nc/8 strips, each kc steps of 8 floats (8 columns of B, one k at a time).
 * mc is a multiple of 4 and nc of 8 (the packers zero-pad).
 * Loop order (BLIS): a B strip (kc×8) stays in L1 while the A panels stream past it.
 */
export function gemmBlock(ap: usize, bp: usize, cp: usize, ldc: i32, mc: i32, nc: i32, kc: i32): void {
  const ldcBytes = (<usize>ldc) << 2;
  const aPanelBytes = (<usize>kc) << 4; // 4 rows × kc × 4 bytes
  const bStripBytes = (<usize>kc) << 5; // 8 cols × kc × 4 bytes
  for (let j = 0; j < nc; j += 8) {
    const bs = bp + (<usize>(j >> 3)) * bStripBytes;
    const cj = cp + ((<usize>j) << 2);
    for (let i = 0; i < mc; i += 4) {
      micro4x8(ap + (<usize>(i >> 2)) * aPanelBytes, bs, cj + (<usize>i) * ldcBytes, ldcBytes, kc);
    }
  }
}

/**
 * The 4×8 register tile: 8 accumulators + 2 B vectors + 1 broadcast A value = 11 of V8's ~15
 * usable vector registers (a 4×16 tile spills). C is loaded first and each k adds in turn, so an
 * element's value is the plain sequential sum over k — independent of the blocking.
 */
// @ts-ignore: decorator
@inline function micro4x8(a: usize, b: usize, c: usize, ldc: usize, kc: i32): void {
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  let c00 = v128.load(c);
  let c01 = v128.load(c, 16);
  let c10 = v128.load(c1);
  let c11 = v128.load(c1, 16);
  let c20 = v128.load(c2);
  let c21 = v128.load(c2, 16);
  let c30 = v128.load(c3);
  let c31 = v128.load(c3, 16);
  const end = a + ((<usize>kc) << 4);
  while (a < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a += 16;
    b += 32;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
}

/**
 * Packs `count` lines of kc steps into panels of w lines (w = 4 for A rows, 8 for B columns):
 * dst[panel][step][lane]. Source is step-major: line l of step p at src + (p·ld + l)·4, as when
 * B's rows or A's columns are contiguous. The last panel is zero-padded.
 */
export function packStepMajor(src: usize, ld: i32, dst: usize, count: i32, kc: i32, w: i32): void {
  const ldBytes = (<usize>ld) << 2;
  const full = count - count % w;
  for (let l0 = 0; l0 < full; l0 += w) {
    let s = src + ((<usize>l0) << 2);
    for (let p = 0; p < kc; p++) {
      v128.store(dst, v128.load(s));
      if (w == 8) {
        v128.store(dst, v128.load(s, 16), 16);
      }
      s += ldBytes;
      dst += (<usize>w) << 2;
    }
  }
  if (full < count) {
    for (let p = 0; p < kc; p++) {
      const s = src + (<usize>p) * ldBytes;
      for (let l = 0; l < w; l++) {
        const line = full + l;
        store<f32>(dst, line < count ? load<f32>(s + ((<usize>line) << 2)) : 0);
        dst += 4;
      }
    }
  }
}

/**
 * Same panels from a line-major source: step p of line l at src + (l·ld + p)·4, as when A's rows
 * or B's columns are contiguous. Transposes 4×4 blocks in registers.
 */
export function packLineMajor(src: usize, ld: i32, dst: usize, count: i32, kc: i32, w: i32): void {
  const ldBytes = (<usize>ld) << 2;
  const wBytes = (<usize>w) << 2;
  const kc4 = kc & ~3;
  for (let l0 = 0; l0 < count; l0 += w) {
    const panel = dst + (<usize>(l0 / w)) * (<usize>kc) * wBytes;
    for (let g = 0; g < w; g += 4) {
      const line = l0 + g;
      const out = panel + ((<usize>g) << 2);
      if (line + 4 <= count) {
        const r0 = src + (<usize>line) * ldBytes;
        const r1 = r0 + ldBytes;
        const r2 = r1 + ldBytes;
        const r3 = r2 + ldBytes;
        for (let p = 0; p < kc4; p += 4) {
          const off = (<usize>p) << 2;
          const x0 = v128.load(r0 + off);
          const x1 = v128.load(r1 + off);
          const x2 = v128.load(r2 + off);
          const x3 = v128.load(r3 + off);
          const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5); // a0 b0 a1 b1
          const t1 = f32x4.shuffle(x0, x1, 2, 6, 3, 7); // a2 b2 a3 b3
          const t2 = f32x4.shuffle(x2, x3, 0, 4, 1, 5); // c0 d0 c1 d1
          const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7); // c2 d2 c3 d3
          const o = out + (<usize>p) * wBytes;
          v128.store(o, f32x4.shuffle(t0, t2, 0, 1, 4, 5)); // a0 b0 c0 d0
          v128.store(o + wBytes, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
          v128.store(o + 2 * wBytes, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
          v128.store(o + 3 * wBytes, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
        }
        for (let p = kc4; p < kc; p++) {
          const o = out + (<usize>p) * wBytes;
          const off = (<usize>p) << 2;
          store<f32>(o, load<f32>(r0 + off));
          store<f32>(o + 4, load<f32>(r1 + off));
          store<f32>(o + 8, load<f32>(r2 + off));
          store<f32>(o + 12, load<f32>(r3 + off));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const o = out + (<usize>p) * wBytes;
          for (let r = 0; r < 4; r++) {
            const l = line + r;
            store<f32>(o + ((<usize>r) << 2), l < count ? load<f32>(src + (<usize>l) * ldBytes + ((<usize>p) << 2)) : 0);
          }
        }
      }
    }
  }
}

/** Copies `rows` rows of `cols` floats from a C tile (row stride ldt) into C (row stride ldc). */
export function copyRows(tile: usize, ldt: i32, c: usize, ldc: i32, rows: i32, cols: i32): void {
  const tileStep = (<usize>ldt) << 2;
  const cStep = (<usize>ldc) << 2;
  const bytes = (<usize>cols) << 2;
  for (let i = 0; i < rows; i++) {
    memory.copy(c, tile, bytes);
    c += cStep;
    tile += tileStep;
  }
}
