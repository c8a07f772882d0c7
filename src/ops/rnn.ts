// The recurrent cells' pointwise part as op-table entries: the LSTM and GRU gate arithmetic after
// the two products, one kernel pass each (src/kernels/rnn.ts). Their gradients are one more pass
// each, entries of their own, so eager and graph mode share them.
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { FloatArray } from '../kernels/types.js';
import type { Dim } from '../shape.js';
import { contiguousBuf, defineOp, launch, type Buf, type Meta } from './define.js';

const known = (d: Dim): d is number => d !== null;

/** The hidden size from a [..., k·H] gate tensor and a [..., H] state, after checking they agree. */
function cellShapes(op: string, k: number, gi: Meta, gh: Meta, state: Meta, what: string): { lead: readonly Dim[]; hidden: Dim } {
  const fail = (why: string) =>
    new ShapeError(`${op}: got input gates ${fmtShape(gi.shape)}, hidden gates ${fmtShape(gh.shape)} and ${what} ${fmtShape(state.shape)}, expected ${why}`);
  if (gi.shape.length === 0 || gi.shape.length !== gh.shape.length || gi.shape.length !== state.shape.length) {
    throw fail(`[..., ${k}·H], [..., ${k}·H] and [..., H] of one rank ≥ 1`);
  }
  const r = gi.shape.length;
  const hidden = state.shape[r - 1];
  const agree = (a: Dim, b: Dim) => !known(a) || !known(b) || a === b;
  if (!gi.shape.every((d, i) => agree(d, gh.shape[i]))) throw fail('equal shapes for the two gate tensors');
  if (!gi.shape.slice(0, -1).every((d, i) => agree(d, state.shape[i]))) throw fail(`equal leading dims`);
  const width = gi.shape[r - 1];
  if (known(width) && known(hidden) && width !== k * hidden) throw fail(`a gate width of ${k}·${hidden} = ${k * hidden}`);
  const dtypes = [gi.dtype, gh.dtype, state.dtype];
  if (!dtypes.every((d) => d === gi.dtype) || (gi.dtype !== 'float32' && gi.dtype !== 'float64')) {
    throw new DTypeError(`${op}: got dtypes ${dtypes.join(', ')}, expected one float dtype (float32 or float64)`);
  }
  return { lead: state.shape.slice(0, -1), hidden };
}

function checkGrad(op: string, g: Meta, want: readonly Dim[], dtype: string): void {
  if (g.shape.length !== want.length || g.shape.some((d, i) => known(d) && known(want[i]) && d !== want[i])) {
    throw new ShapeError(`${op}: got an output gradient of shape ${fmtShape(g.shape)}, expected ${fmtShape(want)}`);
  }
  if (g.dtype !== dtype) throw new DTypeError(`${op}: got an output gradient of dtype ${g.dtype}, expected ${dtype} as the gates`);
}

function checkBias(op: string, bias: Meta, hidden: Dim, dtype: string): void {
  if (bias.shape.length !== 1 || (known(bias.shape[0]) && known(hidden) && bias.shape[0] !== 3 * hidden)) {
    throw new ShapeError(`${op}: got a hidden bias of shape ${fmtShape(bias.shape)}, expected [3·H] = [${known(hidden) ? 3 * hidden : '3·H'}]`);
  }
  if (bias.dtype !== dtype) throw new DTypeError(`${op}: got a hidden bias of dtype ${bias.dtype}, expected ${dtype} as the gates`);
}

/** The rows and hidden size of a launch: every operand contiguous, gates [rows, k·H]. */
function rowsOf(state: Buf): { rows: number; hidden: number } {
  const hidden = state.shape[state.shape.length - 1];
  return { rows: hidden === 0 ? 0 : state.shape.reduce((a, b) => a * b, 1) / hidden, hidden };
}

const data = (x: Buf) => x.storage.data as FloatArray;
/** Whether every operand lies in the tensor heap (where the WebAssembly loops can reach them). */
const onHeap = (...xs: Buf[]) => xs.every((x) => x.storage.onHeap);

export const lstmCellBackward = defineOp({
  name: 'lstmCellBackward',
  arity: 4,
  shape: ([gi, gh, c, g]) => {
    const { lead, hidden } = cellShapes('lstmCellBackward', 4, gi, gh, c, 'cell state');
    checkGrad('lstmCellBackward', g, [2, ...lead, hidden], gi.dtype);
    return { shape: [...lead, known(hidden) ? 5 * hidden : null], dtype: gi.dtype };
  },
  forward: (out, inputs) => {
    const [gi, gh, c, g] = inputs.map((x) => contiguousBuf('lstmCellBackward', x));
    const args = { gi: data(gi), giOffset: gi.offset, gh: data(gh), ghOffset: gh.offset, c: data(c), cOffset: c.offset, g: data(g), gOffset: g.offset, out: data(out), ...rowsOf(c), heap: onHeap(gi, gh, c, g, out) };
    launch('lstmCellBackward', { kernel: 'lstmCellBackward', args }, [gi, gh, c, g], [out]);
  },
  // A gradient's gradient (double backward through a fused cell) is not provided.
  grad: null,
});

/**
 * (input gates [..., 4H], hidden gates [..., 4H], c [..., H]) → [2, ..., H]: h' then c'. The
 * gradient is one pass recomputing the gates; both gate inputs get the same gradient (they add).
 */
export const lstmCell = defineOp({
  name: 'lstmCell',
  arity: 3,
  shape: ([gi, gh, c]) => {
    const { lead, hidden } = cellShapes('lstmCell', 4, gi, gh, c, 'cell state');
    return { shape: [2, ...lead, hidden], dtype: gi.dtype };
  },
  forward: (out, inputs) => {
    const [gi, gh, c] = inputs.map((x) => contiguousBuf('lstmCell', x));
    const args = { gi: data(gi), giOffset: gi.offset, gh: data(gh), ghOffset: gh.offset, c: data(c), cOffset: c.offset, out: data(out), ...rowsOf(c), heap: onHeap(gi, gh, c, out) };
    launch('lstmCell', { kernel: 'lstmCell', args }, [gi, gh, c], [out]);
  },
  grad: (g, [gi, gh, c]) => {
    const d = g.applyOp(lstmCellBackward, [gi, gh, c, g], {});
    const h = c.shape[c.shape.length - 1];
    const last = d.ndim - 1;
    const dGates = d.narrow(last, 0, 4 * h);
    return [dGates, dGates, d.narrow(last, 4 * h, h)];
  },
  saves: 'inputs',
});

export const gruCellBackward = defineOp({
  name: 'gruCellBackward',
  arity: 5,
  shape: ([gi, gh, bhh, h, g]) => {
    const { lead, hidden } = cellShapes('gruCellBackward', 3, gi, gh, h, 'hidden state');
    checkBias('gruCellBackward', bhh, hidden, gi.dtype);
    checkGrad('gruCellBackward', g, h.shape, gi.dtype);
    return { shape: [...lead, known(hidden) ? 7 * hidden : null], dtype: gi.dtype };
  },
  forward: (out, inputs) => {
    const [gi, gh, bhh, h, g] = inputs.map((x) => contiguousBuf('gruCellBackward', x));
    const args = { gi: data(gi), giOffset: gi.offset, gh: data(gh), ghOffset: gh.offset, bhh: data(bhh), bhhOffset: bhh.offset, h: data(h), hOffset: h.offset, g: data(g), gOffset: g.offset, out: data(out), ...rowsOf(h), heap: onHeap(gi, gh, bhh, h, g, out) };
    launch('gruCellBackward', { kernel: 'gruCellBackward', args }, [gi, gh, bhh, h, g], [out]);
  },
  // A gradient's gradient (double backward through a fused cell) is not provided.
  grad: null,
});

/**
 * (input gates [..., 3H] with b_ih, hidden gates [..., 3H] without b_hh, b_hh [3H], h [..., H])
 * → h' [..., H]. b_hh comes apart because PyTorch's n gate scales (W_hn·h + b_hn) by r.
 */
export const gruCell = defineOp({
  name: 'gruCell',
  arity: 4,
  shape: ([gi, gh, bhh, h]) => {
    const { hidden } = cellShapes('gruCell', 3, gi, gh, h, 'hidden state');
    checkBias('gruCell', bhh, hidden, gi.dtype);
    return { shape: h.shape, dtype: gi.dtype };
  },
  forward: (out, inputs) => {
    const [gi, gh, bhh, h] = inputs.map((x) => contiguousBuf('gruCell', x));
    const args = { gi: data(gi), giOffset: gi.offset, gh: data(gh), ghOffset: gh.offset, bhh: data(bhh), bhhOffset: bhh.offset, h: data(h), hOffset: h.offset, out: data(out), ...rowsOf(h), heap: onHeap(gi, gh, bhh, h, out) };
    launch('gruCell', { kernel: 'gruCell', args }, [gi, gh, bhh, h], [out]);
  },
  grad: (g, [gi, gh, bhh, h], _, __, needs) => {
    const d = g.applyOp(gruCellBackward, [gi, gh, bhh, h, g], {});
    const H = h.shape[h.shape.length - 1];
    const last = d.ndim - 1;
    const dGh = d.narrow(last, 3 * H, 3 * H);
    const wantsBias = needs === undefined || needs[2];
    const dBias = wantsBias ? (dGh.ndim === 1 ? dGh : dGh.reshape([-1, 3 * H]).sum(0)) : null;
    return [d.narrow(last, 0, 3 * H), dGh, dBias, d.narrow(last, 6 * H, H)];
  },
  saves: 'inputs',
});
