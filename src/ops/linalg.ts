// Matrix products. Batch dims arrive equal (the method expands them), so the backward is the
// textbook pair and broadcasting is undone by the expands.
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { MatmulArgs } from '../kernels/types.js';
import { defineOp, launch, wants, type Meta } from './define.js';

function matmulShape([a, b]: Meta[]): Meta {
  const fail = (why: string) => new ShapeError(`matmul: got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}, ${why}`);
  if (a.shape.length < 2 || b.shape.length < 2) throw fail('expected operands of rank ≥ 2 here');
  if (a.shape.length !== b.shape.length) throw fail('expected equal batch ranks');
  const k = a.shape[a.shape.length - 1];
  const k2 = b.shape[b.shape.length - 2];
  if (k !== null && k2 !== null && k !== k2) throw fail(`expected a's last dim (${k}) to equal b's second-to-last (${k2})`);
  const batch = a.shape.slice(0, -2);
  batch.forEach((d, i) => {
    const e = b.shape[i];
    if (d !== null && e !== null && d !== e) throw fail('expected equal batch dims');
  });
  if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'float64')) {
    throw new DTypeError(`matmul: got dtypes ${a.dtype} and ${b.dtype}, expected two float32 or two float64 operands`);
  }
  return { shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]], dtype: a.dtype };
}

export const matmul = defineOp({
  name: 'matmul',
  arity: 2,
  shape: matmulShape,
  forward: (out, [a, b]) => {
    const r = a.shape.length;
    const args: MatmulArgs = {
      a: a.storage.data as MatmulArgs['a'],
      aOffset: a.offset,
      aBatchStrides: a.strides.slice(0, -2),
      aRowStride: a.strides[r - 2],
      aColStride: a.strides[r - 1],
      b: b.storage.data as MatmulArgs['b'],
      bOffset: b.offset,
      bBatchStrides: b.strides.slice(0, -2),
      bRowStride: b.strides[r - 2],
      bColStride: b.strides[r - 1],
      c: out.storage.data as MatmulArgs['c'],
      cOffset: out.offset,
      batchShape: out.shape.slice(0, -2),
      m: a.shape[r - 2],
      n: b.shape[r - 1],
      k: a.shape[r - 1],
      heap: a.storage.onHeap && b.storage.onHeap && out.storage.onHeap,
    };
    launch('matmul', { kernel: 'matmul', args }, [a, b], [out]);
  },
  // dA = dC·Bᵀ, dB = Aᵀ·dC; the tutorial's x needs no gradient, which saves a third of its backward.
  grad: (g, [a, b], _, __, needs) => [wants(needs, 0) ? g.matmul(b.transpose(-1, -2)) : null, wants(needs, 1) ? a.transpose(-1, -2).matmul(g) : null],
});
