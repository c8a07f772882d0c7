// The op table's matmul cases on every matmul kernel this machine has, in one suite: OpenBLAS
// (native), WebAssembly (relaxed, simd) and TypeScript (js), switched with setKernelConfig as the
// bench does. Forward against the float64 reference, float64 gradcheck, and the same bits on 1
// and 2 pool threads and on the lane, each on the kernel named. (test/ops.test.ts runs them on
// the kernel the process picked; .ci/run also runs it with the addon hidden.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { getInlineLimit, getLaneLimit, gradcheck, runtimeStats, setInlineLimit, setLaneLimit, setNumThreads, synchronize, tensor, type DType, type Tensor } from '../../src/index.js';
import { heapMemory } from '../../src/heap.js';
import { loadMatmulNative } from '../../src/kernels/matmul-native.js';
import { loadMatmulWasm, type MatmulVariant } from '../../src/kernels/matmul-wasm.js';
import { getKernelConfig, setKernelConfig } from '../../src/runtime/pool.js';
import { draw, expectClose, firstBitDifference, layoutOf, makeBase, readNd } from '../support/inputs.js';
import { OP_CASES } from '../support/op-cases.js';

/** As test/ops.test.ts: float32 one rounding per k-term sum; float64 the summation order only. */
const F32 = { atol: 1e-6, rtol: 2e-5 };
const F64 = { atol: 1e-12, rtol: 1e-11 };
const GRADCHECK = { eps: 1e-6, atol: 1e-6, rtol: 1e-4 };

type Kernel = MatmulVariant | 'js' | 'native';
const heap = heapMemory();
const available: Kernel[] = [
  ...(loadMatmulNative() !== null ? ['native' as const] : []),
  ...(['relaxed', 'simd'] as const).filter((v) => heap !== null && loadMatmulWasm(v, heap) !== null),
  'js',
];

const { samples, large } = OP_CASES.matmul;
const laidOut = (inputs: typeof large.inputs, leaves: Tensor[]) => leaves.map((t, k) => layoutOf(inputs[k]).view(t));

describe.each(available)('matmul on the %s kernel', (kernel) => {
  const original = getKernelConfig();
  const limits = { inline: getInlineLimit(), lane: getLaneLimit() };
  beforeAll(() => setKernelConfig({ ...original, matmul: kernel }));
  afterAll(async () => {
    await synchronize();
    setKernelConfig(original);
    setNumThreads(availableParallelism());
    setInlineLimit(limits.inline);
    setLaneLimit(limits.lane);
  });

  it('is the kernel runtimeStats names', () => {
    expect(runtimeStats().matmulKernel).toBe(kernel);
  });

  describe.each(samples.map((s) => [s.name, s] as const))('on %s', (_name, s) => {
    it.each(['float32', 'float64'] as DType[])('matches the float64 reference in %s', async (dtype) => {
      const xs = laidOut(s.inputs, s.inputs.map((spec, k) => makeBase(spec, dtype, 11 + k)));
      const expected = s.ref(await Promise.all(xs.map(readNd)));
      const out = s.run(xs);
      const actual = await readNd(out);
      expect(out.storage.error).toBeNull();
      expectClose(actual, expected, dtype === 'float32' ? (s.f32Tolerance ?? F32) : F64);
    });

    if (s.noGradcheck === undefined) it('has gradients that match central differences in float64', async () => {
      const leaves = s.inputs.map((spec, k) => makeBase(spec, 'float64', 23 + k).requiresGrad_());
      await gradcheck((...xs) => s.run(laidOut(s.inputs, xs)), leaves, GRADCHECK);
    });
  });

  it('gives the same bits on 1 and 2 pool threads and on the lane, forward and backward', async () => {
    const modes = [['pool1', 1, false], ['pool2', 2, false], ['lane2', 2, true]] as const;
    const runs: { out: Float32Array; grads: Float32Array[] }[] = [];
    for (const [mode, threads, lane] of modes) {
      setNumThreads(threads);
      setInlineLimit(lane ? Infinity : 0);
      setLaneLimit(lane ? 0 : limits.lane);
      const leaves = large.inputs.map((spec, k) => makeBase(spec, 'float32', 31 + k).requiresGrad_());
      await synchronize();
      const before = runtimeStats();
      const out = large.run(laidOut(large.inputs, leaves));
      out.backward(tensor(draw('normal', out.numel(), 99), { dtype: 'float32' }).reshape(out.shape));
      const grads = await Promise.all(leaves.map(async (l) => (await (l.grad as Tensor).data()) as Float32Array));
      runs.push({ out: (await out.data()) as Float32Array, grads });
      const after = runtimeStats();
      const launched = lane ? after.laneLaunches - before.laneLaunches : after.poolLaunches - before.poolLaunches;
      expect(launched, `${mode}: launches that really split`).toBeGreaterThanOrEqual(3);
    }
    const [one, ...others] = runs;
    others.forEach((r, i) => {
      const what = modes[i + 1][0];
      expect(firstBitDifference(one.out, r.out), `first output element differing on ${what}`).toBe(-1);
      one.grads.forEach((g, k) => expect(firstBitDifference(g, r.grads[k]), `first element of gradient ${k} differing on ${what}`).toBe(-1));
    });
  });
});
