// AssemblyScript source of the WebAssembly LSTM and GRU cell loops used by src/kernels/rnn.ts, on float32
// tensors in the tensor heap (an imported shared memory; every pointer is a byte offset into it).
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm).
//
// Two hidden units a turn, in float64 lanes (f64x2), computing op for op what the JavaScript
// kernel computes: inputs promoted to float64, e^x by the same reduction, polynomial and
// power-of-two factors, one rounding to float32 on the store. IEEE +, −, ×, ÷ and floor have one
// result each, and no fused multiply-add is used, so the two paths give the same bits.

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700;
const C13: f64 = 1.6059043836821613e-10;
const C12: f64 = 2.08767569878681e-9;
const C11: f64 = 2.505210838544172e-8;
const C10: f64 = 2.7557319223985888e-7;
const C9: f64 = 0.0000027557319223985893;
const C8: f64 = 0.000024801587301587302;
const C7: f64 = 0.00019841269841269841;
const C6: f64 = 0.0013888888888888889;
const C5: f64 = 0.0083333333333333332;
const C4: f64 = 0.041666666666666664;
const C3: f64 = 0.16666666666666666;
const C19: f64 = 8.2206352466243295e-18;
const C18: f64 = 1.5619206968586225e-16;
const C17: f64 = 2.8114572543455206e-15;
const C16: f64 = 4.7794773323873853e-14;
const C15: f64 = 7.6471637318198164e-13;
const C14: f64 = 1.1470745597729725e-11;

// @ts-ignore: decorator
@inline function splat(v: f64): v128 {
  return f64x2.splat(v);
}

/** 2^k for integer-valued lanes k in the normal range, from the exponent bits. */
// @ts-ignore: decorator
@inline function pow2(k: v128): v128 {
  const wide = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return i64x2.shl(i64x2.add(wide, i64x2.splat(1023)), 52);
}

// @ts-ignore: decorator
@inline function horner(p: v128, r: v128, c: f64): v128 {
  return f64x2.add(f64x2.mul(p, r), splat(c));
}

/** e^x per lane: expPoly in src/kernels/rnn.ts. */
// @ts-ignore: decorator
@inline function expV(x: v128): v128 {
  const k = f64x2.floor(f64x2.add(f64x2.mul(x, splat(INV_LN2)), splat(0.5)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, splat(LN2_HI))), f64x2.mul(k, splat(LN2_LO)));
  let p = f64x2.add(f64x2.mul(splat(C13), r), splat(C12));
  p = horner(p, r, C11);
  p = horner(p, r, C10);
  p = horner(p, r, C9);
  p = horner(p, r, C8);
  p = horner(p, r, C7);
  p = horner(p, r, C6);
  p = horner(p, r, C5);
  p = horner(p, r, C4);
  p = horner(p, r, C3);
  p = horner(p, r, 0.5);
  p = horner(p, r, 1);
  p = horner(p, r, 1);
  const k1 = f64x2.floor(f64x2.mul(k, splat(0.5)));
  let v = f64x2.mul(f64x2.mul(p, pow2(k1)), pow2(f64x2.sub(k, k1)));
  v = v128.bitselect(v, splat(Infinity), f64x2.lt(x, splat(709.782712893384)));
  v = v128.bitselect(splat(0), v, f64x2.lt(x, splat(-745.2)));
  return v128.bitselect(x, v, f64x2.ne(x, x));
}

// @ts-ignore: decorator
@inline function sigmoidV(x: v128): v128 {
  return f64x2.div(splat(1), f64x2.add(splat(1), expV(f64x2.neg(x))));
}

/** e^y − 1 for small y: expm1Small in src/kernels/rnn.ts. */
// @ts-ignore: decorator
@inline function expm1SmallV(y: v128): v128 {
  let p = f64x2.add(f64x2.mul(splat(C19), y), splat(C18));
  p = horner(p, y, C17);
  p = horner(p, y, C16);
  p = horner(p, y, C15);
  p = horner(p, y, C14);
  p = horner(p, y, C13);
  p = horner(p, y, C12);
  p = horner(p, y, C11);
  p = horner(p, y, C10);
  p = horner(p, y, C9);
  p = horner(p, y, C8);
  p = horner(p, y, C7);
  p = horner(p, y, C6);
  p = horner(p, y, C5);
  p = horner(p, y, C4);
  p = horner(p, y, C3);
  p = horner(p, y, 0.5);
  p = horner(p, y, 1);
  return f64x2.mul(p, y);
}

/** tanh per lane: tanh in src/kernels/rnn.ts (both branches computed, one kept, x's sign copied). */
// @ts-ignore: decorator
@inline function tanhV(x: v128): v128 {
  const a = f64x2.abs(x);
  const two = splat(2);
  const t = expm1SmallV(f64x2.mul(two, a));
  const small = f64x2.div(t, f64x2.add(t, two));
  const large = f64x2.sub(splat(1), f64x2.div(two, f64x2.add(expV(f64x2.mul(two, a)), splat(1))));
  const v = v128.bitselect(small, large, f64x2.lt(a, splat(0.5)));
  const sign = i64x2.splat(0x8000000000000000);
  return v128.or(v128.andnot(v, sign), v128.and(x, sign));
}

// @ts-ignore: decorator
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

// @ts-ignore: decorator
@inline function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

// @ts-ignore: decorator
@inline function gate(gi: usize, gh: usize): v128 {
  return f64x2.add(load2(gi), load2(gh));
}

// The LSTM cell in float32 lanes, four hidden units a turn: src/kernels/rnn-f32.ts op for op
// (e^x as Cephes' expf, tanh by its Taylor series below ½), so the two give the same bits.
const LO_F: f32 = -87.0;
const HI_F: f32 = 88.0;
const LOG2E_F: f32 = 1.44269504088896341;
const C1_F: f32 = 0.693359375;
const C2_F: f32 = -2.12194440e-4;
const P0_F: f32 = 1.9875691500e-4;
const P1_F: f32 = 1.3981999507e-3;
const P2_F: f32 = 8.3334519073e-3;
const P3_F: f32 = 4.1665795894e-2;
const P4_F: f32 = 1.6666665459e-1;
const P5_F: f32 = 5.0000001201e-1;
const T3_F: f32 = <f32>(-1.0 / 3.0);
const T5_F: f32 = <f32>(2.0 / 15.0);
const T7_F: f32 = <f32>(-17.0 / 315.0);
const T9_F: f32 = <f32>(62.0 / 2835.0);
const T11_F: f32 = <f32>(-1382.0 / 155925.0);
const T13_F: f32 = <f32>(21844.0 / 6081075.0);
const T15_F: f32 = <f32>(-929569.0 / 638512875.0);

// @ts-ignore: decorator
@inline function sp(v: f32): v128 {
  return f32x4.splat(v);
}

// @ts-ignore: decorator
@inline function fma4(p: v128, r: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(p, r), sp(c));
}

/** e^x per lane: expF32 in src/kernels/rnn-f32.ts. */
// @ts-ignore: decorator
@inline function expF(x: v128): v128 {
  // pmin/pmax are one instruction each (min/max with IEEE NaN and ±0 rules take several); a NaN x
  // passes both unchanged, as in the JavaScript loop.
  const xc = f32x4.pmin(f32x4.pmax(x, sp(LO_F)), sp(HI_F));
  const k = f32x4.floor(f32x4.add(f32x4.mul(xc, sp(LOG2E_F)), sp(0.5)));
  let r = f32x4.sub(xc, f32x4.mul(k, sp(C1_F)));
  r = f32x4.sub(r, f32x4.mul(k, sp(C2_F)));
  const z = f32x4.mul(r, r);
  let p = fma4(sp(P0_F), r, P1_F);
  p = fma4(p, r, P2_F);
  p = fma4(p, r, P3_F);
  p = fma4(p, r, P4_F);
  p = fma4(p, r, P5_F);
  p = f32x4.add(f32x4.add(f32x4.mul(p, z), r), sp(1));
  // 2^k from k's bits: k + 1.5·2²³ holds the integer k in its low mantissa bits (|k| ≤ 127), so
  // (bits − bits(1.5·2²³) + 127) << 23 is 2^k's exponent field; cheaper than trunc_sat.
  const magic = sp(12582912.0);
  const kInt = i32x4.sub(f32x4.add(k, magic), magic);
  const pow = i32x4.shl(i32x4.add(kInt, i32x4.splat(127)), 23);
  return f32x4.mul(p, pow);
}

// @ts-ignore: decorator
@inline function sigmoidF(x: v128): v128 {
  return f32x4.div(sp(1), f32x4.add(sp(1), expF(f32x4.neg(x))));
}

/** tanh per lane: tanhF32 in src/kernels/rnn-f32.ts (both branches computed, one kept, x's sign copied). */
// @ts-ignore: decorator
@inline function tanhF(x: v128): v128 {
  const a = f32x4.abs(x);
  const s = f32x4.mul(a, a);
  let p = fma4(sp(T15_F), s, T13_F);
  p = fma4(p, s, T11_F);
  p = fma4(p, s, T9_F);
  p = fma4(p, s, T7_F);
  p = fma4(p, s, T5_F);
  p = fma4(p, s, T3_F);
  const small = f32x4.add(a, f32x4.mul(f32x4.mul(a, s), p));
  const large = f32x4.sub(sp(1), f32x4.div(sp(2), f32x4.add(expF(f32x4.mul(sp(2), a)), sp(1))));
  const v = v128.bitselect(small, large, f32x4.lt(a, sp(0.5)));
  const sign = i32x4.splat(<i32>0x80000000);
  return v128.or(v128.andnot(v, sign), v128.and(x, sign));
}

// @ts-ignore: decorator
@inline function gate4(gi: usize, gh: usize): v128 {
  return f32x4.add(v128.load(gi), v128.load(gh));
}

/** Rows [start, end) of the LSTM cell (see lstmCellKernel), float32; hidden is a multiple of 4. */
export function lstmForward(gi: usize, gh: usize, c: usize, out: usize, rows: i32, hidden: i32, start: i32, end: i32): void {
  const H = <usize>hidden << 2;
  const cOut = out + <usize>rows * H;
  for (let r = start; r < end; r++) {
    const giRow = gi + <usize>r * 4 * H;
    const ghRow = gh + <usize>r * 4 * H;
    const row = <usize>r * H;
    for (let j: usize = 0; j < H; j += 16) {
      const i = sigmoidF(gate4(giRow + j, ghRow + j));
      const f = sigmoidF(gate4(giRow + H + j, ghRow + H + j));
      const g = tanhF(gate4(giRow + 2 * H + j, ghRow + 2 * H + j));
      const o = sigmoidF(gate4(giRow + 3 * H + j, ghRow + 3 * H + j));
      const cNew = f32x4.add(f32x4.mul(f, v128.load(c + row + j)), f32x4.mul(i, g));
      v128.store(cOut + row + j, cNew);
      v128.store(out + row + j, f32x4.mul(o, tanhF(cNew)));
    }
  }
}

/** Rows [start, end) of the LSTM cell's backward (see lstmCellBackwardKernel), float32; hidden is a multiple of 4. */
export function lstmBackward(gi: usize, gh: usize, c: usize, grad: usize, out: usize, rows: i32, hidden: i32, start: i32, end: i32): void {
  const H = <usize>hidden << 2;
  const gc = grad + <usize>rows * H;
  const one = sp(1);
  for (let r = start; r < end; r++) {
    const giRow = gi + <usize>r * 4 * H;
    const ghRow = gh + <usize>r * 4 * H;
    const oRow = out + <usize>r * 5 * H;
    const row = <usize>r * H;
    for (let j: usize = 0; j < H; j += 16) {
      const i = sigmoidF(gate4(giRow + j, ghRow + j));
      const f = sigmoidF(gate4(giRow + H + j, ghRow + H + j));
      const g = tanhF(gate4(giRow + 2 * H + j, ghRow + 2 * H + j));
      const o = sigmoidF(gate4(giRow + 3 * H + j, ghRow + 3 * H + j));
      const cPrev = v128.load(c + row + j);
      const tc = tanhF(f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, g)));
      const dh = v128.load(grad + row + j);
      const dc = f32x4.add(v128.load(gc + row + j), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(oRow + j, f32x4.mul(f32x4.mul(f32x4.mul(dc, g), i), f32x4.sub(one, i)));
      v128.store(oRow + H + j, f32x4.mul(f32x4.mul(f32x4.mul(dc, cPrev), f), f32x4.sub(one, f)));
      v128.store(oRow + 2 * H + j, f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(oRow + 3 * H + j, f32x4.mul(f32x4.mul(f32x4.mul(dh, tc), o), f32x4.sub(one, o)));
      v128.store(oRow + 4 * H + j, f32x4.mul(dc, f));
    }
  }
}

/** Rows [start, end) of the GRU cell (see gruCellKernel); hidden is even; bhh is one [3H] row. */
export function gruForward(gi: usize, gh: usize, bhh: usize, h: usize, out: usize, rows: i32, hidden: i32, start: i32, end: i32): void {
  const H = <usize>hidden << 2;
  const one = splat(1);
  for (let row = start; row < end; row++) {
    const giRow = gi + <usize>row * 3 * H;
    const ghRow = gh + <usize>row * 3 * H;
    const at = <usize>row * H;
    for (let j: usize = 0; j < H; j += 8) {
      const r = sigmoidV(f64x2.add(gate(giRow + j, ghRow + j), load2(bhh + j)));
      const z = sigmoidV(f64x2.add(gate(giRow + H + j, ghRow + H + j), load2(bhh + H + j)));
      const n = tanhV(f64x2.add(load2(giRow + 2 * H + j), f64x2.mul(r, f64x2.add(load2(ghRow + 2 * H + j), load2(bhh + 2 * H + j)))));
      store2(out + at + j, f64x2.add(f64x2.mul(f64x2.sub(one, z), n), f64x2.mul(z, load2(h + at + j))));
    }
  }
}

/** Rows [start, end) of the GRU cell's backward (see gruCellBackwardKernel); hidden is even. */
export function gruBackward(gi: usize, gh: usize, bhh: usize, h: usize, grad: usize, out: usize, rows: i32, hidden: i32, start: i32, end: i32): void {
  const H = <usize>hidden << 2;
  const one = splat(1);
  for (let row = start; row < end; row++) {
    const giRow = gi + <usize>row * 3 * H;
    const ghRow = gh + <usize>row * 3 * H;
    const oRow = out + <usize>row * 7 * H;
    const at = <usize>row * H;
    for (let j: usize = 0; j < H; j += 8) {
      const r = sigmoidV(f64x2.add(gate(giRow + j, ghRow + j), load2(bhh + j)));
      const z = sigmoidV(f64x2.add(gate(giRow + H + j, ghRow + H + j), load2(bhh + H + j)));
      const hn = f64x2.add(load2(ghRow + 2 * H + j), load2(bhh + 2 * H + j));
      const n = tanhV(f64x2.add(load2(giRow + 2 * H + j), f64x2.mul(r, hn)));
      const d = load2(grad + at + j);
      const dn = f64x2.mul(f64x2.mul(d, f64x2.sub(one, z)), f64x2.sub(one, f64x2.mul(n, n)));
      const dz = f64x2.mul(f64x2.mul(f64x2.mul(d, f64x2.sub(load2(h + at + j), n)), z), f64x2.sub(one, z));
      const dr = f64x2.mul(f64x2.mul(f64x2.mul(dn, hn), r), f64x2.sub(one, r));
      store2(oRow + j, dr);
      store2(oRow + H + j, dz);
      store2(oRow + 2 * H + j, dn);
      store2(oRow + 3 * H + j, dr);
      store2(oRow + 4 * H + j, dz);
      store2(oRow + 5 * H + j, f64x2.mul(dn, r));
      store2(oRow + 6 * H + j, f64x2.mul(d, z));
    }
  }
}
