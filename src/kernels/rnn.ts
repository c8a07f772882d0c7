// The LSTM and GRU gate arithmetic after the two products, one pass each, forward and backward.
// Every operand arrives contiguous, viewed as rows of gates; a unit is one row (one batch
// element), and each element is a pure function of its row, so any split gives the same bits.
// σ and tanh come from one polynomial e^x (below), in float64, rounded once on the store.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { FloatArray, Kernel } from './types.js';

// e^x by Cody–Waite reduction and a polynomial: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its
// Taylor series to r¹³ (truncation < 1e-17 relative), times 2^k from a table. Plain IEEE
// arithmetic only (no Math.exp, whose cost here was 30 ns a call against ≈ 4), so a WebAssembly
// port of these lines would give the same bits.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const POW2_BIAS = 1100;
const POW2 = Float64Array.from({ length: 2200 }, (_, i) => 2 ** (i - POW2_BIAS));

export function expPoly(x: number): number {
  if (!(x < 709.7)) return x !== x ? x : Infinity; // NaN stays NaN; overflow
  if (x < -745.2) return 0;
  const k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1 / 6227020800;
  p = p * r + 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  // Past the table's normal range, 2^k is applied in two factors (e^x near over- or underflow).
  if (k > 1000) return p * POW2[POW2_BIAS + k - 100] * POW2[POW2_BIAS + 100];
  return k < -1022 ? p * POW2[POW2_BIAS + k + 60] * POW2[POW2_BIAS - 60] : p * POW2[POW2_BIAS + k];
}

/** σ(x) = 1/(1 + e⁻ˣ). */
function sigmoid(x: number): number {
  return 1 / (1 + expPoly(-x));
}

/** tanh x = 1 − 2/(e²ˣ + 1): within 1e-16 absolute of Math.tanh, and exactly ±1 far out. */
function tanh(x: number): number {
  return 1 - 2 / (expPoly(2 * x) + 1);
}

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

/** Measured here on one thread: ≈ 8 ns per exp or tanh; five per hidden unit. */
const cost = (a: { hidden: number }, per: number) => 20 + a.hidden * per;

export const lstmCellKernel: Kernel<LstmCellArgs> = {
  run(a, start, end) {
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
  unitCost: (a) => cost(a, 45),
};

export const lstmCellBackwardKernel: Kernel<LstmCellBackwardArgs> = {
  run(a, start, end) {
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
  unitCost: (a) => cost(a, 60),
};

export const gruCellKernel: Kernel<GruCellArgs> = {
  run(a, start, end) {
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
