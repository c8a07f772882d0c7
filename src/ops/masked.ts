// Selection by a boolean mask. The result's size depends on the mask's values, so these wait for
// the device to compute the mask (they return promises, like data()); the gather itself is an
// indexSelect, so gradients flow back to the selected elements.
import { broadcastShapes, sameShape } from '../shape.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

function checkMask(op: string, mask: Tensor): void {
  if (mask === null || typeof mask !== 'object' || !('dtype' in mask)) throw new DTypeError(`${op}: got mask ${String(mask)}, expected a bool tensor`);
  if (mask.dtype !== 'bool') throw new DTypeError(`${op}: got a mask of dtype ${mask.dtype}, expected bool (compare first, e.g. x.gt(0))`);
}

/** Flat positions where the mask is true, row-major, as an int32 vector. */
async function truePositions(mask: Tensor): Promise<Tensor> {
  const values = await mask.contiguous().data();
  const at: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) at.push(i);
  return indexTensor(mask, at);
}

function indexTensor(like: Tensor, at: number[]): Tensor {
  const ctor = like.constructor as typeof Tensor;
  const t = ctor.empty([at.length], 'int32', false);
  t.storage.data.set(at);
  return t;
}

/** The elements of x where mask (broadcast with x) is true, as a 1-D tensor: torch.masked_select. */
export async function maskedSelect(x: Tensor, mask: Tensor): Promise<Tensor> {
  checkMask('maskedSelect', mask);
  const shape = broadcastShapes('maskedSelect', [x.shape, mask.shape]) as number[];
  const xs = sameShape(x.shape, shape) ? x : x.expand(shape);
  const m = sameShape(mask.shape, shape) ? mask : mask.expand(shape);
  return xs.reshape([-1]).indexSelect(0, await truePositions(m));
}

/**
 * x[mask] in PyTorch: mask covers x's leading dims (same sizes), and the result stacks the
 * selected sub-tensors, [count, ...the remaining dims].
 */
export async function booleanMask(x: Tensor, mask: Tensor): Promise<Tensor> {
  checkMask('booleanMask', mask);
  const k = mask.ndim;
  if (k > x.ndim || mask.shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(`booleanMask: got a mask of shape ${fmtShape(mask.shape)} for a tensor of shape ${fmtShape(x.shape)}, expected the mask to match the tensor's leading dims`);
  }
  const rows = x.reshape([-1, ...x.shape.slice(k)]);
  return rows.indexSelect(0, await truePositions(mask));
}

/** The coordinates of the non-zero elements, [count, ndim] int32 (torch.nonzero). */
export async function nonzero(x: Tensor): Promise<Tensor> {
  const values = await x.contiguous().data();
  const coords: number[] = [];
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    count++;
    let rem = i;
    const c = new Array<number>(x.ndim);
    for (let d = x.ndim - 1; d >= 0; d--) {
      c[d] = rem % x.shape[d];
      rem = Math.floor(rem / x.shape[d]);
    }
    coords.push(...c);
  }
  return indexTensor(x, coords).reshape([count, x.ndim]);
}
