// Index kernels: select/gather read through an index tensor; their gradients add back through it.
// Adds run in a fixed order inside one unit (repeated indices collide), so the bits never
// depend on the thread count. Inputs arrive contiguous, viewed as [outer, dim, inner].
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { DataArray, Kernel } from './types.js';

/** PyTorch refuses negative indices here (index_select, gather, index_add, embedding, nll targets). */
function checkIndex(op: string, i: number, size: number): number {
  if (i < 0 || i >= size) throw new RangeError(`${op}: index ${i} is out of range for a dim of size ${size}, expected 0 ≤ index < ${size}`);
  return i;
}

/** out[o, i, :] = x[o, index[i], :]; a unit is one (o, i) row. */
export interface IndexSelectArgs {
  x: DataArray;
  xOffset: number;
  index: Int32Array;
  indexOffset: number;
  out: DataArray;
  outer: number;
  dimSize: number;
  inner: number;
  count: number;
}

export const indexSelectKernel: Kernel<IndexSelectArgs> = {
  run(a, start, end) {
    for (let u = start; u < end; u++) {
      const o = Math.floor(u / a.count);
      const i = checkIndex('indexSelect', a.index[a.indexOffset + u - o * a.count], a.dimSize);
      const src = a.xOffset + (o * a.dimSize + i) * a.inner;
      const dst = u * a.inner;
      for (let k = 0; k < a.inner; k++) a.out[dst + k] = a.x[src + k];
    }
  },
  units: (a) => a.outer * a.count,
  unitCost: (a) => 10 + a.inner,
};

/** out[o, index[i], :] += src[o, i, :] (out already holds the base); a unit is one o. */
export interface IndexAddArgs {
  out: DataArray;
  src: DataArray;
  srcOffset: number;
  index: Int32Array;
  indexOffset: number;
  outer: number;
  dimSize: number;
  inner: number;
  count: number;
}

export const indexAddKernel: Kernel<IndexAddArgs> = {
  run(a, start, end) {
    for (let o = start; o < end; o++) {
      for (let i = 0; i < a.count; i++) {
        const at = checkIndex('indexAdd', a.index[a.indexOffset + i], a.dimSize);
        const dst = (o * a.dimSize + at) * a.inner;
        const src = a.srcOffset + (o * a.count + i) * a.inner;
        for (let k = 0; k < a.inner; k++) a.out[dst + k] += a.src[src + k];
      }
    }
  },
  units: (a) => a.outer,
  unitCost: (a) => 10 + a.count * a.inner,
};

/**
 * Along `dim`: out[c] = x[c with c[dim] replaced by index[c]] (gather), or, for scatterAdd,
 * out[that position] += src[c]. Coordinates c range over the index's shape; x and out are
 * contiguous with strides xStrides.
 */
export interface GatherArgs {
  x: DataArray;
  xOffset: number;
  xStrides: number[];
  xDimSize: number;
  index: Int32Array;
  indexOffset: number;
  indexShape: number[];
  dim: number;
  out: DataArray;
  src?: DataArray;
  srcOffset?: number;
}

function gatherOffset(op: string, a: GatherArgs, e: number): number {
  let rem = e;
  let p = a.xOffset;
  for (let d = a.indexShape.length - 1; d >= 0; d--) {
    const q = rem % a.indexShape[d];
    rem = (rem - q) / a.indexShape[d];
    p += (d === a.dim ? checkIndex(op, a.index[a.indexOffset + e], a.xDimSize) : q) * a.xStrides[d];
  }
  return p;
}

export const gatherKernel: Kernel<GatherArgs> = {
  run(a, start, end) {
    for (let e = start; e < end; e++) a.out[e] = a.x[gatherOffset('gather', a, e)];
  },
  units: (a) => a.indexShape.reduce((x, y) => x * y, 1),
  unitCost: () => 15,
};

/** One unit: colliding adds must happen in index order. */
export const scatterAddKernel: Kernel<GatherArgs> = {
  run(a, start, end) {
    if (start >= end) return;
    const n = a.indexShape.reduce((x, y) => x * y, 1);
    const src = a.src as DataArray;
    for (let e = 0; e < n; e++) a.x[gatherOffset('scatterAdd', a, e)] += src[(a.srcOffset ?? 0) + e];
  },
  units: () => 1,
  unitCost: (a) => 15 * a.indexShape.reduce((x, y) => x * y, 1),
};
