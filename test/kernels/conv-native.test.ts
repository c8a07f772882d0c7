// The OpenBLAS convolution kernels (src/kernels/conv-native.ts) against the TypeScript loops in
// float32, on both of their paths (the gathered patch panel and the scatter of each tap), and the
// same bits however a launch's units are split; plus the WebAssembly uniform draws against the
// TypeScript Philox loop, bit for bit. dist/native/blas.node and dist/wasm are built by
// test/global-setup.ts; without the addon the native cases are skipped.
import { describe, expect, it } from 'vitest';
import { heapMemory } from '../../src/heap.js';
import { convJs, convWeightJs, type ConvArgs, type ConvWeightArgs } from '../../src/kernels/conv.js';
import { loadConvNative } from '../../src/kernels/conv-native.js';
import { loadMatmulNative, nativeMatmulReason, useMatmulNative } from '../../src/kernels/matmul-native.js';
import { randomKernel, type RandomArgs } from '../../src/kernels/random.js';
import { randomKernelOver } from '../../src/kernels/random-wasm.js';
import { Storage } from '../../src/storage.js';
import { firstBitDifference, prng } from '../support/inputs.js';

const native = loadMatmulNative();
const required = (process.env.SKEIN_REQUIRE_NATIVE ?? '').split(',').includes('blas');
if (native === null && !required) console.warn(`conv-native: the BLAS addon is unavailable (${nativeMatmulReason()}); its tests are skipped`);
const test = it.skipIf(native === null && !required);

/** float32 sums of ≤ 600 products of values in −1…1: a few units of 2⁻²⁴ times the term count. */
const TOLERANCE = 1e-4;

function heapArray(n: number, seed: number): Float32Array {
  const data = new Storage('float32', n).data as Float32Array;
  const u = prng(seed);
  for (let i = 0; i < n; i++) data[i] = 2 * u() - 1;
  return data;
}

interface Geometry { batch: number; groups: number; m: number; r: number; inH: number; inW: number; kH: number; kW: number; stride: number[]; dilation: number[]; padding: number[]; lhsDilation: number[] }

const outSize = (g: Geometry, i: 0 | 1) => {
  const size = ((i === 0 ? g.inH : g.inW) - 1) * g.lhsDilation[i] + 1 + 2 * g.padding[i] - g.dilation[i] * ((i === 0 ? g.kH : g.kW) - 1) - 1;
  return Math.floor(size / g.stride[i]) + 1;
};

// Named for the path conv-native.ts picks by shape: forward-like products gather, the input
// gradient's padded (and for stride 2, dilated) ones scatter.
const GEOMETRIES: [string, Geometry][] = [
  ['the cnn second layer (gather)', { batch: 3, groups: 1, m: 16, r: 8, inH: 12, inW: 12, kH: 3, kW: 3, stride: [1, 1], dilation: [1, 1], padding: [0, 0], lhsDilation: [1, 1] }],
  ['stride 2, padding 1, 2 groups (gather)', { batch: 2, groups: 2, m: 4, r: 3, inH: 9, inW: 7, kH: 3, kW: 3, stride: [2, 2], dilation: [1, 1], padding: [1, 1], lhsDilation: [1, 1] }],
  ['an input gradient: padding 2 (scatter)', { batch: 2, groups: 1, m: 4, r: 16, inH: 8, inW: 8, kH: 3, kW: 3, stride: [1, 1], dilation: [1, 1], padding: [2, 2], lhsDilation: [1, 1] }],
  ['a strided input gradient: zeros between pixels, 2 groups, dilation 2 (scatter)', { batch: 2, groups: 2, m: 2, r: 4, inH: 5, inW: 6, kH: 2, kW: 3, stride: [1, 1], dilation: [2, 2], padding: [2, 4], lhsDilation: [2, 3] }],
];

function convArgs(g: Geometry, out: Float32Array): ConvArgs {
  const [outH, outW] = [outSize(g, 0), outSize(g, 1)];
  const c = g.groups * g.r;
  return {
    x: heapArray(g.batch * c * g.inH * g.inW, 1), xOffset: 0, xStrides: [c * g.inH * g.inW, g.inH * g.inW, g.inW, 1],
    f: heapArray(g.groups * g.m * g.r * g.kH * g.kW, 2), fOffset: 0, fStrides: [g.m * g.r * g.kH * g.kW, g.r * g.kH * g.kW, g.kH * g.kW, g.kW, 1],
    out, outOffset: 0, batch: g.batch, groups: g.groups, m: g.m, r: g.r, inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, outH, outW,
    stride: g.stride, dilation: g.dilation, padding: g.padding, lhsDilation: g.lhsDilation, heap: true,
  };
}

function weightArgs(g: Geometry, out: Float32Array): ConvWeightArgs {
  const a = convArgs(g, out);
  const planes = a.outH * a.outW;
  return {
    ...a, g: heapArray(g.batch * g.groups * g.m * planes, 3), gOffset: 0, gStrides: [g.groups * g.m * planes, planes, a.outW, 1],
    chunkSize: 1, out, outOffset: 0,
  };
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(TOLERANCE);
}

describe.each(GEOMETRIES)('native convolution: %s', (_, g) => {
  const outLen = g.batch * g.groups * g.m * outSize(g, 0) * outSize(g, 1);
  const weightLen = g.batch * g.groups * g.m * g.r * g.kH * g.kW;

  test('the product matches the TypeScript loop, and splitting its units changes no bit', () => {
    useMatmulNative(true);
    const k = loadConvNative(heapMemory()!);
    const a = convArgs(g, heapArray(outLen, 4));
    const units = k.conv.units(a);
    k.conv.run(a, 0, units);
    const whole = a.out.slice();
    a.out.fill(0);
    for (let u = 0; u < units; u++) k.conv.run(a, u, u + 1);
    expect(firstBitDifference(a.out, whole)).toBe(-1);
    const ref = { ...a, out: new Float32Array(outLen), heap: false };
    convJs.run(ref, 0, convJs.units(ref));
    expectClose(whole, ref.out);
  });

  test('the filter gradient matches the TypeScript loop, and splitting its units changes no bit', () => {
    useMatmulNative(true);
    const k = loadConvNative(heapMemory()!);
    const a = weightArgs(g, heapArray(weightLen, 5));
    const units = k.convWeight.units(a);
    k.convWeight.run(a, 0, units);
    const whole = a.out.slice();
    a.out.fill(0);
    for (let u = units - 1; u >= 0; u--) k.convWeight.run(a, u, u + 1);
    expect(firstBitDifference(a.out, whole)).toBe(-1);
    const ref = { ...a, out: new Float32Array(weightLen), heap: false };
    convWeightJs.run(ref, 0, convWeightJs.units(ref));
    expectClose(whole, ref.out);
  });
});

describe('uniform draws in WebAssembly', () => {
  it.each(['float32', 'float64'] as const)('give the bits of the TypeScript Philox loop (%s, a seed and counter past 2³²)', (dtype) => {
    const kernel = randomKernelOver(heapMemory());
    const n = 3 * 4096 + 17;
    const args = (out: Float32Array | Float64Array, heap: boolean): RandomArgs => ({ out, kind: 'uniform', seed: 2 ** 40 + 12345, counter: 2 ** 32 - 5000, p0: -0.5, p1: 2, heap });
    const wasm = args(new Storage(dtype, n).data as Float32Array | Float64Array, true);
    const js = args(dtype === 'float32' ? new Float32Array(n) : new Float64Array(n), false);
    // Split unevenly: each unit's draws depend on their index alone.
    kernel.run(wasm, 0, 1);
    kernel.run(wasm, 1, kernel.units(wasm));
    randomKernel.run(js, 0, randomKernel.units(js));
    expect(firstBitDifference(wasm.out, js.out)).toBe(-1);
  });
});
