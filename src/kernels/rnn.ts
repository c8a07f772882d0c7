// The LSTM and GRU gate arithmetic after the two products, one pass each, forward and backward.
// Every operand arrives contiguous, viewed as rows of gates; a unit is one row (one batch
// element), and each element is a pure function of its row, so any split gives the same bits.
// The scalar formulas are those of the composite ops (sigmoid = 1/(1 + e⁻ˣ), Math.tanh), taken
// in float64 and rounded once on the store.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { FloatArray, Kernel } from './types.js';

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
        const i = 1 / (1 + Math.exp(-(gi[a.giOffset + x] + gh[a.ghOffset + x])));
        const f = 1 / (1 + Math.exp(-(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H])));
        const g = Math.tanh(gi[a.giOffset + x + 2 * H] + gh[a.ghOffset + x + 2 * H]);
        const o = 1 / (1 + Math.exp(-(gi[a.giOffset + x + 3 * H] + gh[a.ghOffset + x + 3 * H])));
        const cNew = f * c[a.cOffset + r * H + j] + i * g;
        out[cOut + r * H + j] = cNew;
        out[r * H + j] = o * Math.tanh(cNew);
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
        const i = 1 / (1 + Math.exp(-(gi[a.giOffset + x] + gh[a.ghOffset + x])));
        const f = 1 / (1 + Math.exp(-(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H])));
        const g = Math.tanh(gi[a.giOffset + x + 2 * H] + gh[a.ghOffset + x + 2 * H]);
        const o = 1 / (1 + Math.exp(-(gi[a.giOffset + x + 3 * H] + gh[a.ghOffset + x + 3 * H])));
        const cPrev = c[a.cOffset + r * H + j];
        const tc = Math.tanh(f * cPrev + i * g);
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
        const r = 1 / (1 + Math.exp(-(gi[a.giOffset + x] + gh[a.ghOffset + x] + bhh[b + j])));
        const z = 1 / (1 + Math.exp(-(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H] + bhh[b + H + j])));
        const n = Math.tanh(gi[a.giOffset + x + 2 * H] + r * (gh[a.ghOffset + x + 2 * H] + bhh[b + 2 * H + j]));
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
        const r = 1 / (1 + Math.exp(-(gi[a.giOffset + x] + gh[a.ghOffset + x] + bhh[b + j])));
        const z = 1 / (1 + Math.exp(-(gi[a.giOffset + x + H] + gh[a.ghOffset + x + H] + bhh[b + H + j])));
        const hn = gh[a.ghOffset + x + 2 * H] + bhh[b + 2 * H + j];
        const n = Math.tanh(gi[a.giOffset + x + 2 * H] + r * hn);
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
