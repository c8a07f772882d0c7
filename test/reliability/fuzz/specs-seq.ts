// Fuzz specs for the recurrent cells' op-table entries (src/ops/rnn.ts), spread into SPECS:
// random batch shapes, hidden sizes, dtypes, layouts and values (NaN, ±∞, 1e30 included), and
// calls with mismatched gate widths, ranks or dtypes, which must throw a SkeinError naming the op.
import fc from 'fast-check';
import { OPS, type DType, type OpName, type Tensor } from '../../../src/index.js';
import { gruBackwardRef, gruRef, lstmBackwardRef, lstmRef } from '../../support/op-cases-seq.js';
import type { Nd } from '../../support/reference.js';
import { inputOf, storeAs } from './inputs.js';
import { Invalid, type Call, type Expected, type OpSpec } from './specs.js';

type CellOp = 'lstmCell' | 'lstmCellBackward' | 'gruCell' | 'gruCellBackward';

/** Operand shapes of each op for leading dims `lead` and hidden size H. */
const SHAPES: Record<CellOp, (lead: number[], H: number) => number[][]> = {
  lstmCell: (lead, H) => [[...lead, 4 * H], [...lead, 4 * H], [...lead, H]],
  lstmCellBackward: (lead, H) => [[...lead, 4 * H], [...lead, 4 * H], [...lead, H], [2, ...lead, H]],
  gruCell: (lead, H) => [[...lead, 3 * H], [...lead, 3 * H], [3 * H], [...lead, H]],
  gruCellBackward: (lead, H) => [[...lead, 3 * H], [...lead, 3 * H], [3 * H], [...lead, H], [...lead, H]],
};

const REFS: Record<CellOp, (xs: Nd[]) => Nd> = { lstmCell: lstmRef, lstmCellBackward: lstmBackwardRef, gruCell: gruRef, gruCellBackward: gruBackwardRef };

/** Mostly a well-formed call; sometimes one operand one wider, or an int32 or mixed dtype. */
function cellCall(op: CellOp): fc.Arbitrary<Call> {
  const floats = fc.constantFrom<DType>('float32', 'float32', 'float64');
  return fc
    .record({
      lead: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 2 }),
      H: fc.integer({ min: 1, max: 3 }),
      dtype: floats,
      spoil: fc.oneof({ weight: 6, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('wider', 'int32', 'mixed') }),
      which: fc.nat(),
    })
    .chain(({ lead, H, dtype, spoil, which }) => {
      const shapes = SHAPES[op](lead, H).map((s) => [...s]);
      const k = which % shapes.length;
      if (spoil === 'wider') shapes[k][shapes[k].length - 1] += 1;
      const dtypes = shapes.map((_, i) => (i !== k ? dtype : spoil === 'int32' ? 'int32' : spoil === 'mixed' ? (dtype === 'float32' ? 'float64' : 'float32') : dtype));
      return fc.tuple(...shapes.map((s, i) => inputOf(s, dtypes[i]))).map((inputs) => ({ inputs, args: {} }));
    });
}

function cellSpec(op: CellOp): OpSpec {
  return {
    call: cellCall(op),
    run: (t: Tensor[]) => t[0].applyOp(OPS[op], t, {}),
    ref: (xs: Nd[], dtypes: DType[]): Expected => {
      if (!dtypes.every((d) => d === dtypes[0]) || (dtypes[0] !== 'float32' && dtypes[0] !== 'float64')) throw new Invalid('dtypes');
      const state = xs[op.startsWith('lstm') ? 2 : 3];
      const lead = state.shape.slice(0, -1);
      const H = state.shape[state.shape.length - 1];
      const want = SHAPES[op](lead, H);
      if (xs.length !== want.length || xs.some((x, i) => x.shape.length !== want[i].length || x.shape.some((d, j) => d !== want[i][j]))) throw new Invalid('shapes');
      const out = REFS[op](xs);
      const dtype = dtypes[0];
      // The kernels' e^x and tanh are within a few ulp of Math's, and 1 − tanh² or h − n can
      // cancel: compare within F·(|value| + 1 + the largest finite input), as a sum of such terms.
      const big = Math.max(0, ...xs.flatMap((x) => x.data.filter(Number.isFinite).map(Math.abs)));
      const nd = { shape: out.shape, data: out.data.map((v) => storeAs(dtype, v)) };
      return { nd, dtype, compare: 'sum', scale: { shape: out.shape, data: out.data.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0) + 1 + big) } };
    },
    names: [op],
  };
}

export const SEQ_SPECS = {
  lstmCell: cellSpec('lstmCell'),
  lstmCellBackward: cellSpec('lstmCellBackward'),
  gruCell: cellSpec('gruCell'),
  gruCellBackward: cellSpec('gruCellBackward'),
} satisfies Partial<Record<OpName, OpSpec>>;
