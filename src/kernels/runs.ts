// Walking a map pass's elements [start, end) as runs along the inner dim, in the order the
// JavaScript loop visits them: what the WASM loops are called on, one call per run.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { MapArgs } from './elementwise.js';

/** The inner dim's stride (a 0-d pass is one contiguous element). */
export function innerStride(strides: readonly number[]): number {
  return strides.length === 0 ? 1 : strides[strides.length - 1];
}

/**
 * Calls visit(out, inputs, count) for each run: the byte address of its first output element,
 * those of its first element in each input (one array, reused between calls), and its length.
 */
export function forEachRun(args: MapArgs, start: number, end: number, visit: (out: number, inputs: number[], count: number) => void): void {
  const { shape, inputs, out } = args;
  const r = shape.length;
  const inner = r === 0 ? 1 : shape[r - 1];
  const addresses = new Array<number>(inputs.length);
  let i = start;
  while (i < end) {
    const row = Math.floor(i / inner);
    const col = i - row * inner;
    const count = Math.min(end - i, inner - col);
    let outP = args.outOffset + col * innerStride(args.outStrides);
    for (let k = 0; k < inputs.length; k++) addresses[k] = args.offsets[k] + col * innerStride(args.strides[k]);
    // The odometer over the outer dims, last fastest.
    for (let d = r - 2, rem = row; d >= 0; d--) {
      const q = rem % shape[d];
      rem = (rem - q) / shape[d];
      outP += q * args.outStrides[d];
      for (let k = 0; k < inputs.length; k++) addresses[k] += q * args.strides[k][d];
    }
    for (let k = 0; k < inputs.length; k++) addresses[k] = inputs[k].byteOffset + addresses[k] * inputs[k].BYTES_PER_ELEMENT;
    visit(out.byteOffset + outP * out.BYTES_PER_ELEMENT, addresses, count);
    i += count;
  }
}
