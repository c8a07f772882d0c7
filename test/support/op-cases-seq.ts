// Sample cases for the recurrent cells' op-table entries (src/ops/rnn.ts), spread into OP_CASES.
// The references spell out the cell equations one element at a time, in float64.
import { OPS, type Tensor } from '../../src/index.js';
import type { OpCases, Sample } from './cases.js';
import type { InputSpec } from './inputs.js';
import type { Nd } from './reference.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** rows and H of a [..., H] state. */
function dims(state: Nd): { rows: number; H: number } {
  const H = state.shape[state.shape.length - 1];
  return { rows: state.data.length / H, H };
}

/** LSTM gates of row r, column j: i, f, g, o (PyTorch's order). */
function lstmGates(gi: Nd, gh: Nd, H: number, r: number, j: number): [number, number, number, number] {
  const s = (k: number) => gi.data[r * 4 * H + k * H + j] + gh.data[r * 4 * H + k * H + j];
  return [sig(s(0)), sig(s(1)), Math.tanh(s(2)), sig(s(3))];
}

export function lstmRef([gi, gh, c]: Nd[]): Nd {
  const { rows, H } = dims(c);
  const out = new Array<number>(2 * rows * H);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = lstmGates(gi, gh, H, r, j);
      const cNew = f * c.data[r * H + j] + i * g;
      out[r * H + j] = o * Math.tanh(cNew);
      out[rows * H + r * H + j] = cNew;
    }
  }
  return { shape: [2, ...c.shape], data: out };
}

/** d/d(gates) and d/dc of Σ gOut·(h', c'), by the chain rule written out. */
export function lstmBackwardRef([gi, gh, c, gOut]: Nd[]): Nd {
  const { rows, H } = dims(c);
  const out = new Array<number>(rows * 5 * H);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = lstmGates(gi, gh, H, r, j);
      const cp = c.data[r * H + j];
      const tc = Math.tanh(f * cp + i * g);
      const dh = gOut.data[r * H + j];
      const dc = gOut.data[rows * H + r * H + j] + dh * o * (1 - tc ** 2);
      const at = (k: number) => r * 5 * H + k * H + j;
      out[at(0)] = dc * g * i * (1 - i);
      out[at(1)] = dc * cp * f * (1 - f);
      out[at(2)] = dc * i * (1 - g ** 2);
      out[at(3)] = dh * tc * o * (1 - o);
      out[at(4)] = dc * f;
    }
  }
  return { shape: [...c.shape.slice(0, -1), 5 * H], data: out };
}

function gruGates(gi: Nd, gh: Nd, b: Nd, H: number, r: number, j: number): { rg: number; z: number; n: number; hn: number } {
  const x = (k: number) => gi.data[r * 3 * H + k * H + j];
  const y = (k: number) => gh.data[r * 3 * H + k * H + j] + b.data[k * H + j];
  const rg = sig(x(0) + y(0));
  const z = sig(x(1) + y(1));
  const hn = y(2);
  return { rg, z, n: Math.tanh(x(2) + rg * hn), hn };
}

export function gruRef([gi, gh, b, h]: Nd[]): Nd {
  const { rows, H } = dims(h);
  const out = new Array<number>(rows * H);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < H; j++) {
      const { z, n } = gruGates(gi, gh, b, H, r, j);
      out[r * H + j] = (1 - z) * n + z * h.data[r * H + j];
    }
  }
  return { shape: [...h.shape], data: out };
}

export function gruBackwardRef([gi, gh, b, h, gOut]: Nd[]): Nd {
  const { rows, H } = dims(h);
  const out = new Array<number>(rows * 7 * H);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < H; j++) {
      const { rg, z, n, hn } = gruGates(gi, gh, b, H, r, j);
      const d = gOut.data[r * H + j];
      const dn = d * (1 - z) * (1 - n ** 2);
      const dz = d * (h.data[r * H + j] - n) * z * (1 - z);
      const dr = dn * hn * rg * (1 - rg);
      [dr, dz, dn, dr, dz, dn * rg, d * z].forEach((v, k) => (out[r * 7 * H + k * H + j] = v));
    }
  }
  return { shape: [...h.shape.slice(0, -1), 7 * H], data: out };
}

const apply = (name: 'lstmCell' | 'lstmCellBackward' | 'gruCell' | 'gruCellBackward') => (xs: Tensor[]) => xs[0].applyOp(OPS[name], xs, {});

/** Shapes: rows (or none, unbatched), H, gate count k; `layout` applies to the first operand. */
function cellSamples(k: 3 | 4, extra: (lead: number[], H: number) => InputSpec[], run: Sample['run'], ref: Sample['ref']): Sample[] {
  const one = (name: string, lead: number[], H: number, layout?: InputSpec['layout']): Sample => ({
    name,
    inputs: [{ shape: [...lead, k * H], layout }, { shape: [...lead, k * H] }, ...extra(lead, H)],
    run,
    ref,
  });
  return [
    one('a batch of 3 with 2 hidden units', [3], 2),
    one('one unbatched step with 3 hidden units', [], 3),
    one('transposed input gates, a batch of 4 with 4 hidden units', [4], 4, 'transposed'),
    one('narrowed input gates over [2, 3] rows', [2, 3], 2, 'narrowed'),
  ];
}

const lstmState = (lead: number[], H: number): InputSpec[] => [{ shape: [...lead, H] }];
const gruState = (lead: number[], H: number): InputSpec[] => [{ shape: [3 * H] }, { shape: [...lead, H] }];
const gradOf = (shape: number[]): InputSpec => ({ shape });

/** A size where the pool really runs: 128 rows of 256 units ≈ 1.5 ms of gate arithmetic. */
const ROWS = 128;
const H_LARGE = 256;

export const SEQ_OP_CASES = {
  lstmCell: {
    samples: cellSamples(4, lstmState, apply('lstmCell'), lstmRef),
    large: { inputs: [{ shape: [ROWS, 4 * H_LARGE] }, { shape: [ROWS, 4 * H_LARGE], layout: 'narrowed' }, { shape: [ROWS, H_LARGE] }], run: apply('lstmCell') },
  },
  lstmCellBackward: {
    samples: cellSamples(4, (lead, H) => [...lstmState(lead, H), gradOf([2, ...lead, H])], apply('lstmCellBackward'), lstmBackwardRef),
    large: { inputs: [{ shape: [ROWS, 4 * H_LARGE] }, { shape: [ROWS, 4 * H_LARGE] }, { shape: [ROWS, H_LARGE] }, { shape: [2, ROWS, H_LARGE] }], run: apply('lstmCellBackward') },
  },
  gruCell: {
    samples: cellSamples(3, gruState, apply('gruCell'), gruRef),
    large: { inputs: [{ shape: [ROWS, 3 * H_LARGE] }, { shape: [ROWS, 3 * H_LARGE] }, { shape: [3 * H_LARGE] }, { shape: [ROWS, H_LARGE] }], run: apply('gruCell') },
  },
  gruCellBackward: {
    samples: cellSamples(3, (lead, H) => [...gruState(lead, H), gradOf([...lead, H])], apply('gruCellBackward'), gruBackwardRef),
    large: { inputs: [{ shape: [ROWS, 3 * H_LARGE] }, { shape: [ROWS, 3 * H_LARGE] }, { shape: [3 * H_LARGE] }, { shape: [ROWS, H_LARGE] }, { shape: [ROWS, H_LARGE] }], run: apply('gruCellBackward') },
  },
} satisfies Record<string, OpCases>;
