// Copies of whole contiguous pieces into consecutive ranges of one output: cat (and stack) of
// contiguous tensors along their leading dim, in one launch instead of one pass per piece (a
// stack of 64 [32, 256] states cost ≈ 2.5 ms as 64 launches, host work included). A unit is one
// piece; each owns its own range of out, so any split gives the same bits.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

/** Piece p is pieces[p][offsets[p] … offsets[p] + sizes[p]), written to out from outOffset + starts[p]. */
export interface PiecesArgs {
  out: DataArray;
  outOffset: number;
  pieces: DataArray[];
  offsets: number[];
  sizes: number[];
  starts: number[];
}

/** ns per element copied (a memcpy: ≈ 0.2 ns a float32 element here) and per piece. */
const PER_ELEMENT = 0.25;
const PER_PIECE = 200;

export const piecesKernel: Kernel<PiecesArgs> = {
  run(a, start, end) {
    for (let p = start; p < end; p++) {
      const from = a.offsets[p];
      a.out.set(a.pieces[p].subarray(from, from + a.sizes[p]), a.outOffset + a.starts[p]);
    }
  },
  units: (a) => a.pieces.length,
  unitCost: (a) => PER_PIECE + (PER_ELEMENT * a.sizes.reduce((s, n) => s + n, 0)) / Math.max(a.pieces.length, 1),
};
