// The WebAssembly pooling and batch-statistics passes give the same bits as the TypeScript loops
// (the kernel picked depends on where a tensor lives, so both must agree), NaN and ties included.
// dist/wasm is built by test/global-setup.ts before this file runs.
import { describe, expect, it } from 'vitest';
import { heapMemory } from '../../src/heap.js';
import { channelStatsKernel, type ChannelStatsArgs } from '../../src/kernels/norm.js';
import { loadPoolWasm } from '../../src/kernels/pool-wasm.js';
import { poolKernels, type PoolArgs } from '../../src/kernels/pool.js';
import type { Kernel } from '../../src/kernels/types.js';
import { Storage } from '../../src/storage.js';
import { firstBitDifference, prng } from '../support/inputs.js';

/** A float32 array in the tensor heap, filled with values in −2…2 (integers now and then, for ties) and a NaN. */
function heapArray(n: number, seed: number): Float32Array {
  const data = new Storage('float32', n).data as Float32Array;
  const u = prng(seed);
  for (let i = 0; i < n; i++) data[i] = u() < 0.3 ? Math.floor(u() * 5) - 2 : 4 * u() - 2;
  if (n > 7) data[7] = NaN;
  return data;
}

function both<A>(wasm: Kernel<A>, js: Kernel<A>, make: () => A & { out: Float32Array }): [Float32Array, Float32Array] {
  const a = make();
  const b = { ...make(), out: heapArray(a.out.length, 0) };
  wasm.run(a, 0, wasm.units(a));
  js.run(b, 0, js.units(b));
  return [a.out, b.out];
}

const wasm = loadPoolWasm(heapMemory()!);
const GEOMETRIES = [
  { inH: 24, inW: 24, kernel: [2, 2], stride: [2, 2] },
  // 2×2 at stride 2 leaving a row and a column no window covers (the unrolled pass zeroes them).
  { inH: 7, inW: 9, kernel: [2, 2], stride: [2, 2] },
  // ceilMode: the last window of each row and column hangs past the edge (the fast path must not run).
  { inH: 7, inW: 9, kernel: [2, 2], stride: [2, 2], ceil: true },
  { inH: 7, inW: 9, kernel: [3, 2], stride: [2, 3] },
  { inH: 5, inW: 5, kernel: [3, 3], stride: [1, 1] },
];

describe.each(GEOMETRIES)('pooling $kernel at stride $stride over $inH×$inW planes', (g) => {
  const size = (n: number, k: number, s: number) => ('ceil' in g ? Math.ceil((n - k) / s) : Math.floor((n - k) / s)) + 1;
  const outH = size(g.inH, g.kernel[0], g.stride[0]);
  const outW = size(g.inW, g.kernel[1], g.stride[1]);
  const planes = 6;
  const x = heapArray(planes * g.inH * g.inW, 1);
  const dy = heapArray(planes * outH * outW, 2);
  const args = (n: number, withGrad: boolean): PoolArgs & { out: Float32Array } => ({
    x, xOffset: 0, g: withGrad ? dy : undefined, gOffset: 0, out: heapArray(n, 3), outOffset: 0, planes, inH: g.inH, inW: g.inW, outH, outW,
    kernel: g.kernel, stride: g.stride, padding: [0, 0], dilation: [1, 1], countIncludePad: true, heap: true,
  });

  it('max pooling: the same bits in WebAssembly and TypeScript', () => {
    const [a, b] = both(wasm.maxPool, poolKernels.maxPool, () => args(planes * outH * outW, false));
    expect(firstBitDifference(a, b)).toBe(-1);
  });

  it('its adjoint: the same bits', () => {
    const [a, b] = both(wasm.maxPoolBackward, poolKernels.maxPoolBackward, () => args(planes * g.inH * g.inW, true));
    expect(firstBitDifference(a, b)).toBe(-1);
  });

  it('average pooling: the same bits', () => {
    const [a, b] = both(wasm.avgPool, poolKernels.avgPool, () => args(planes * outH * outW, false));
    expect(firstBitDifference(a, b)).toBe(-1);
  });
});

it('batch statistics: the same bits in WebAssembly and TypeScript', () => {
  const [batch, channels, inner] = [5, 3, 37];
  const x = heapArray(batch * channels * inner, 4);
  x[7] = 1.5; // no NaN here: it would make every statistic of its channel NaN either way
  const make = (): ChannelStatsArgs & { out: Float32Array } => ({ x, xOffset: 0, out: heapArray(2 * channels, 5), batch, channels, inner, heap: true });
  const [a, b] = both(wasm.channelStats, channelStatsKernel, make);
  expect(firstBitDifference(a, b)).toBe(-1);
});
