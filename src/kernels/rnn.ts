// The LSTM and GRU gate arithmetic after the two products, one pass each, forward and backward.
// Every operand arrives contiguous, viewed as rows of gates; a unit is one row (one batch
// element), and each element is a pure function of its row, so any split gives the same bits.
// σ and tanh come from one polynomial e^x (below), in float64, rounded once on the store.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { FloatArray, Kernel } from './types.js';
import { lstmBackwardF32, lstmForwardF32 } from './rnn-f32.js';
import { instantiate, wasmValidates, type WasmMemory } from './wasm-module.js';

interface RnnExports {
  lstmForward(gi: number, gh: number, c: number, out: number, rows: number, hidden: number, start: number, end: number): void;
  lstmBackward(gi: number, gh: number, c: number, g: number, out: number, rows: number, hidden: number, start: number, end: number): void;
  gruForward(gi: number, gh: number, bhh: number, h: number, out: number, rows: number, hidden: number, start: number, end: number): void;
  gruBackward(gi: number, gh: number, bhh: number, h: number, g: number, out: number, rows: number, hidden: number, start: number, end: number): void;
}

/** This thread's WebAssembly LSTM loops over the tensor heap (configureKernels), or null. */
let wasm: RnnExports | null = null;

export function loadRnnWasm(heap: WasmMemory | null): boolean {
  wasm = heap !== null && wasmValidates('rnn.wasm') ? instantiate<RnnExports>('rnn.wasm', heap) : null;
  return wasm !== null;
}

/** Byte address of element `offset` of a heap array. */
const at = (x: FloatArray, offset: number) => x.byteOffset + offset * x.BYTES_PER_ELEMENT;

/**
 * The WebAssembly loops take float32 operands on the heap with a hidden size that fills their
 * lanes: the GRU's two float64 lanes a turn, the LSTM's four float32 lanes (`lanes`).
 */
function wasmTakes(a: { heap?: boolean; hidden: number; out: FloatArray }, lanes: number, ...operands: (FloatArray | undefined)[]): boolean {
  return wasm !== null && a.heap === true && a.hidden % lanes === 0 && a.out instanceof Float32Array && operands.every((x) => x === undefined || x instanceof Float32Array);
}

/** Every operand is float32: the LSTM then computes in float32 (src/kernels/rnn-f32.ts). */
const allF32 = (...xs: FloatArray[]): boolean => xs.every((x) => x instanceof Float32Array);

// e^x by Cody–Waite reduction and a polynomial: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its
// Taylor series to r¹³ (truncation < 1e-17 relative), times 2^k in two exact power-of-two
// factors (so 2^k never leaves the normal range). Plain IEEE arithmetic only, no Math.exp
// (30 ns a call here against ≈ 4), written op for op as src/kernels/wasm/rnn.ts computes it:
// the WebAssembly loops give these bits.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
/** 1/n! for n = 13 … 2, as exact decimal literals (the same in the WebAssembly source). */
const C13 = 1.6059043836821613e-10;
const C12 = 2.08767569878681e-9;
const C11 = 2.505210838544172e-8;
const C10 = 2.7557319223985888e-7;
const C9 = 0.0000027557319223985893;
const C8 = 0.000024801587301587302;
const C7 = 0.00019841269841269841;
const C6 = 0.0013888888888888889;
const C5 = 0.0083333333333333332;
const C4 = 0.041666666666666664;
const C3 = 0.16666666666666666;
const POW2_BIAS = 1100;
const POW2 = Float64Array.from({ length: 2200 }, (_, i) => 2 ** (i - POW2_BIAS));

export function expPoly(x: number): number {
  if (!(x < 709.782712893384)) return x !== x ? x : Infinity; // NaN stays NaN; overflow past ln(max)
  if (x < -745.2) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = C13 * r + C12;
  p = p * r + C11;
  p = p * r + C10;
  p = p * r + C9;
  p = p * r + C8;
  p = p * r + C7;
  p = p * r + C6;
  p = p * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  const k1 = Math.floor(k * 0.5);
  return p * POW2[POW2_BIAS + k1] * POW2[POW2_BIAS + k - k1];
}

/** σ(x) = 1/(1 + e⁻ˣ). */
function sigmoid(x: number): number {
  return 1 / (1 + expPoly(-x));
}

/** 1/n! for n = 19 … 14, for e^y − 1 on small y (below). */
const C19 = 8.2206352466243295e-18;
const C18 = 1.5619206968586225e-16;
const C17 = 2.8114572543455206e-15;
const C16 = 4.7794773323873853e-14;
const C15 = 7.6471637318198164e-13;
const C14 = 1.1470745597729725e-11;

/** e^y − 1 for 0 ≤ y < 1 by its Taylor series to y¹⁹ (truncation < 1e-17 relative): no cancellation near 0. */
function expm1Small(y: number): number {
  let p = C19 * y + C18;
  p = p * y + C17;
  p = p * y + C16;
  p = p * y + C15;
  p = p * y + C14;
  p = p * y + C13;
  p = p * y + C12;
  p = p * y + C11;
  p = p * y + C10;
  p = p * y + C9;
  p = p * y + C8;
  p = p * y + C7;
  p = p * y + C6;
  p = p * y + C5;
  p = p * y + C4;
  p = p * y + C3;
  p = p * y + 0.5;
  p = p * y + 1;
  return p * y;
}

/**
 * tanh x = t/(t + 2) with t = e^(2|x|) − 1 below |x| = ½ (accurate relative to tanh's value near
 * 0), 1 − 2/(e^(2|x|) + 1) above (exactly 1 far out), with x's sign: within 3 ulp of Math.tanh.
 */
function tanh(x: number): number {
  const a = Math.abs(x);
  let v: number;
  if (a < 0.5) {
    const t = expm1Small(2 * a);
    v = t / (t + 2);
  } else {
    v = 1 - 2 / (expPoly(2 * a) + 1);
  }
  return x < 0 ? -v : x === 0 ? x : v;
}

export const tanhPoly = tanh;

/**
 * LSTM (PyTorch's gate order i, f, g, o), for each row r and j < H, with s = gi + gh:
 *   i = σ(s_i)  f = σ(s_f)  g = tanh(s_g)  o = σ(s_o)
 *   c' = f·c + i·g          h' = o·tanh(c')
 * out is [2, rows, H]: h' in the first half, c' in the second.
 */
export interface LstmCellArgs {
  gi: FloatArray;
  giOffset: number;
  gh: FloatArray;
  ghOffset: number;
  c: FloatArray;
  cOffset: number;
  out: FloatArray;
  rows: number;
  hidden: number;
  /** Every operand lies in the tensor heap, so the WebAssembly loops may take the launch. */
  heap?: boolean;
}

/**
 * The LSTM cell's backward, from gOut = [dh', dc'] (shape [2, rows, H]), recomputing the gates:
 *   dc = dc' + dh'·o·(1 − tanh²c')   do = dh'·tanh c'
 *   di = dc·g  df = dc·c  dg = dc·i  dc_prev = dc·f
 * and through the nonlinearities σ' = σ(1 − σ), tanh' = 1 − tanh².
 * out is [rows, 5H]: the gate gradients (i, f, g, o) then dc_prev, per row.
 */
export interface LstmCellBackwardArgs extends LstmCellArgs {
  g: FloatArray;
  gOffset: number;
}

/**
 * GRU (gate order r, z, n), with b = bhh the hidden bias (inside r's product, as PyTorch):
 *   r = σ(gi_r + gh_r + b_r)  z = σ(gi_z + gh_z + b_z)  n = tanh(gi_n + r·(gh_n + b_n))
 *   h' = (1 − z)·n + z·h
 * out is [rows, H].
 */
export interface GruCellArgs {
  gi: FloatArray;
  giOffset: number;
  gh: FloatArray;
  ghOffset: number;
  bhh: FloatArray;
  bhhOffset: number;
  h: FloatArray;
  hOffset: number;
  out: FloatArray;
  rows: number;
  hidden: number;
  heap?: boolean;
}

/**
 * The GRU cell's backward from dh' (shape [rows, H]):
 *   dn = dh'·(1 − z)·(1 − n²)   dz = dh'·(h − n)·z(1 − z)   dh = dh'·z
 *   dr = dn·(gh_n + b_n)·r(1 − r)
 * d(gi) = (dr, dz, dn); d(gh) = (dr, dz, dn·r). out is [rows, 7H]: d(gi), d(gh), dh per row.
 */
export interface GruCellBackwardArgs extends GruCellArgs {
  g: FloatArray;
  gOffset: number;
}

/**
 * ns per row: `per` per hidden unit in JavaScript (five e^x and a few divisions); the GRU's
 * WebAssembly loops ran ≈ 3.5× faster in a side-by-side run here (a loaded machine: direction only).
 */
const cost = (a: { heap?: boolean; hidden: number; out: FloatArray }, per: number) => 20 + (a.hidden * per) / (wasmTakes(a, 2) ? 3.5 : 1);
/**
 * The LSTM's float32 lanes cost ≈ 17 ns per hidden unit (32 rows of 256 units: forward 138 µs,
 * backward 148 µs, one thread), but `per` is set low on purpose: it keeps a bench-sized cell inline.
 * Split on the lane at two threads, the lstm step was no faster (paired runs, 3 × 10 steps:
 * 134/161/170 ms inline against 140/176/173 on the lane): the helper's pick-up eats the half saved.
 */
const lstmCost = (a: { heap?: boolean; hidden: number; out: FloatArray }, per: number, perJs: number) => 20 + a.hidden * (wasmTakes(a, 4) ? per : perJs);

export const lstmCellKernel: Kernel<LstmCellArgs> = {
  run(a, start, end) {
    if (wasmTakes(a, 4, a.gi, a.gh, a.c)) {
      (wasm as RnnExports).lstmForward(at(a.gi, a.giOffset), at(a.gh, a.ghOffset), at(a.c, a.cOffset), at(a.out, 0), a.rows, a.hidden, start, end);
      return;
    }
    if (allF32(a.gi, a.gh, a.c, a.out)) {
      lstmForwardF32(a.gi as Float32Array, a.giOffset, a.gh as Float32Array, a.ghOffset, a.c as Float32Array, a.cOffset, a.out as Float32Array, a.rows, a.hidden, start, end);
      return;
    }
    const H = a.hidden;
    const { gi, gh, c, out } = a;
    const cOut = a.rows * H;
    for (let r = start; r < end; r++) {
      const gRow = r * 4 * H;
      for (let j = 0; j < H; j++) {
        const x = gRow + j;
        const i = sigmoid(gi[a.giOffset + x] + gh[a.ghOffset + x]);
        const f = sigmoid(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H]);
        const g = tanh(gi[a.giOffset + x + 2 * H] + gh[a.ghOffset + x + 2 * H]);
        const o = sigmoid(gi[a.giOffset + x + 3 * H] + gh[a.ghOffset + x + 3 * H]);
        const cNew = f * c[a.cOffset + r * H + j] + i * g;
        out[cOut + r * H + j] = cNew;
        out[r * H + j] = o * tanh(cNew);
      }
    }
  },
  units: (a) => a.rows,
  unitCost: (a) => lstmCost(a, 1, 45),
};

export const lstmCellBackwardKernel: Kernel<LstmCellBackwardArgs> = {
  run(a, start, end) {
    if (wasmTakes(a, 4, a.gi, a.gh, a.c, a.g)) {
      (wasm as RnnExports).lstmBackward(at(a.gi, a.giOffset), at(a.gh, a.ghOffset), at(a.c, a.cOffset), at(a.g, a.gOffset), at(a.out, 0), a.rows, a.hidden, start, end);
      return;
    }
    if (allF32(a.gi, a.gh, a.c, a.g, a.out)) {
      lstmBackwardF32(a.gi as Float32Array, a.giOffset, a.gh as Float32Array, a.ghOffset, a.c as Float32Array, a.cOffset, a.g as Float32Array, a.gOffset, a.out as Float32Array, a.rows, a.hidden, start, end);
      return;
    }
    const H = a.hidden;
    const { gi, gh, c, g: grad, out } = a;
    const gcOffset = a.gOffset + a.rows * H;
    for (let r = start; r < end; r++) {
      const gRow = r * 4 * H;
      const oRow = r * 5 * H;
      for (let j = 0; j < H; j++) {
        const x = gRow + j;
        const i = sigmoid(gi[a.giOffset + x] + gh[a.ghOffset + x]);
        const f = sigmoid(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H]);
        const g = tanh(gi[a.giOffset + x + 2 * H] + gh[a.ghOffset + x + 2 * H]);
        const o = sigmoid(gi[a.giOffset + x + 3 * H] + gh[a.ghOffset + x + 3 * H]);
        const cPrev = c[a.cOffset + r * H + j];
        const tc = tanh(f * cPrev + i * g);
        const dh = grad[a.gOffset + r * H + j];
        const dc = grad[gcOffset + r * H + j] + dh * o * (1 - tc * tc);
        out[oRow + j] = dc * g * i * (1 - i);
        out[oRow + H + j] = dc * cPrev * f * (1 - f);
        out[oRow + 2 * H + j] = dc * i * (1 - g * g);
        out[oRow + 3 * H + j] = dh * tc * o * (1 - o);
        out[oRow + 4 * H + j] = dc * f;
      }
    }
  },
  units: (a) => a.rows,
  unitCost: (a) => lstmCost(a, 1.5, 60),
};

export const gruCellKernel: Kernel<GruCellArgs> = {
  run(a, start, end) {
    if (wasmTakes(a, 2, a.gi, a.gh, a.bhh, a.h)) {
      (wasm as RnnExports).gruForward(at(a.gi, a.giOffset), at(a.gh, a.ghOffset), at(a.bhh, a.bhhOffset), at(a.h, a.hOffset), at(a.out, 0), a.rows, a.hidden, start, end);
      return;
    }
    const H = a.hidden;
    const { gi, gh, bhh, h, out } = a;
    const b = a.bhhOffset;
    for (let row = start; row < end; row++) {
      const gRow = row * 3 * H;
      for (let j = 0; j < H; j++) {
        const x = gRow + j;
        const r = sigmoid(gi[a.giOffset + x] + gh[a.ghOffset + x] + bhh[b + j]);
        const z = sigmoid(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H] + bhh[b + H + j]);
        const n = tanh(gi[a.giOffset + x + 2 * H] + r * (gh[a.ghOffset + x + 2 * H] + bhh[b + 2 * H + j]));
        out[row * H + j] = (1 - z) * n + z * h[a.hOffset + row * H + j];
      }
    }
  },
  units: (a) => a.rows,
  unitCost: (a) => cost(a, 30),
};

export const gruCellBackwardKernel: Kernel<GruCellBackwardArgs> = {
  run(a, start, end) {
    if (wasmTakes(a, 2, a.gi, a.gh, a.bhh, a.h, a.g)) {
      (wasm as RnnExports).gruBackward(at(a.gi, a.giOffset), at(a.gh, a.ghOffset), at(a.bhh, a.bhhOffset), at(a.h, a.hOffset), at(a.g, a.gOffset), at(a.out, 0), a.rows, a.hidden, start, end);
      return;
    }
    const H = a.hidden;
    const { gi, gh, bhh, h, g: grad, out } = a;
    const b = a.bhhOffset;
    for (let row = start; row < end; row++) {
      const gRow = row * 3 * H;
      const oRow = row * 7 * H;
      for (let j = 0; j < H; j++) {
        const x = gRow + j;
        const r = sigmoid(gi[a.giOffset + x] + gh[a.ghOffset + x] + bhh[b + j]);
        const z = sigmoid(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H] + bhh[b + H + j]);
        const hn = gh[a.ghOffset + x + 2 * H] + bhh[b + 2 * H + j];
        const n = tanh(gi[a.giOffset + x + 2 * H] + r * hn);
        const dOut = grad[a.gOffset + row * H + j];
        const dn = dOut * (1 - z) * (1 - n * n);
        const dz = dOut * (h[a.hOffset + row * H + j] - n) * z * (1 - z);
        const dr = dn * hn * r * (1 - r);
        out[oRow + j] = dr;
        out[oRow + H + j] = dz;
        out[oRow + 2 * H + j] = dn;
        out[oRow + 3 * H + j] = dr;
        out[oRow + 4 * H + j] = dz;
        out[oRow + 5 * H + j] = dn * r;
        out[oRow + 6 * H + j] = dOut * z;
      }
    }
  },
  units: (a) => a.rows,
  unitCost: (a) => cost(a, 40),
};
