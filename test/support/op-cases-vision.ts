// Sample cases for the vision entries of the op table (convolution and pooling), spread into
// OP_CASES. Most call the public nn.functional API; the adjoint-only ops are applied directly.
import { nn, OPS, type Tensor } from '../../src/index.js';
import type { PoolAttrs } from '../../src/ops/pool.js';
import type { OpCases, Sample } from './cases.js';
import type { InputSpec } from './inputs.js';
import type { Nd } from './reference.js';
import * as ref from './reference.js';
import * as vis from './reference-vision.js';

const F = nn.functional;

/** float32 sums of up to ~100 products of N(0, 1) values, each partial sum rounded. */
const CONV_F32 = { atol: 2e-5, rtol: 1e-4 };

const geom = (stride: number[], padding: number[], dilation = [1, 1], groups = 1): vis.ConvGeom => ({ stride, padding: padding.length === 2 ? [...padding, ...padding] : padding, dilation, groups });

/** x ⋆ w (+ bias), through nn.functional.conv2d, against the nested-loop reference. */
function conv(name: string, x: number[], w: number[], options: Parameters<typeof F.conv2d>[3], g: vis.ConvGeom, extra: Partial<Sample> & { bias?: boolean; layout?: InputSpec['layout'] } = {}): Sample {
  const inputs: InputSpec[] = [{ shape: x, layout: extra.layout }, { shape: w }];
  if (extra.bias) inputs.push({ shape: [w[0]] });
  return {
    name,
    inputs,
    run: ([a, b, c]) => F.conv2d(a, b, c ?? null, options),
    ref: ([a, b, c]) => {
      const y = vis.conv2d(a, b, g);
      return c === undefined ? y : ref.map((v, bias) => v + bias, y, ref.expand(ref.reshape(c, [1, w[0], 1, 1]), y.shape));
    },
    f32Tolerance: CONV_F32,
    ...extra,
  };
}

/** conv1d is conv2d on a height-1 view: the reference does the same on explicit shapes. */
function conv1(name: string, x: number[], w: number[], options: Parameters<typeof F.conv1d>[3], stride: number, pad: [number, number], dilation = 1): Sample {
  return {
    name,
    inputs: [{ shape: x }, { shape: w }, { shape: [w[0]] }],
    run: ([a, b, c]) => F.conv1d(a, b, c, options),
    ref: ([a, b, c]) => {
      const y = vis.conv2d(ref.reshape(a, [x[0], x[1], 1, x[2]]), ref.reshape(b, [w[0], w[1], 1, w[2]]), geom([1, stride], [0, pad[0], 0, pad[1]], [1, dilation]));
      const flat = ref.reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);
      return ref.map((v, bias) => v + bias, flat, ref.expand(ref.reshape(c, [1, w[0], 1]), flat.shape));
    },
    f32Tolerance: CONV_F32,
  };
}

function convT(name: string, x: number[], w: number[], options: Parameters<typeof F.convTranspose2d>[3] & { stride: number[]; padding: number[]; dilation: number[]; groups: number; outputPadding: number[] }, extra: Partial<Sample> = {}): Sample {
  const outSize = [0, 1].map((i) => (x[i + 2] - 1) * options.stride[i] - 2 * options.padding[i] + options.dilation[i] * (w[i + 2] - 1) + options.outputPadding[i] + 1);
  return {
    name,
    inputs: [{ shape: x }, { shape: w }],
    run: ([a, b]) => F.convTranspose2d(a, b, null, options),
    ref: ([a, b]) => vis.convTranspose2d(a, b, options.stride, options.padding, options.dilation, options.groups, outSize),
    f32Tolerance: CONV_F32,
    ...extra,
  };
}

function convW(name: string, x: number[], g: number[], kernel: number[], gm: vis.ConvGeom, extra: Partial<Sample> = {}): Sample {
  return {
    name,
    inputs: [{ shape: x }, { shape: g }],
    run: ([a, b]) => a.applyOp(OPS.conv2dWeight, [a, b], { ...gm, kernel }),
    ref: ([a, b]) => vis.conv2dWeight(a, b, kernel, gm),
    f32Tolerance: CONV_F32,
    ...extra,
  };
}

/** The op's attributes for a pool over an input of spatial size inSize. */
function poolAttrs(inSize: number[], g: vis.PoolGeom): PoolAttrs {
  const outSize = [0, 1].map((d) => vis.poolOut(inSize[d], g.kernel[d], g.stride[d], g.padding[d], g.dilation[d], g.ceilMode === true));
  return { kernel: g.kernel, stride: g.stride, padding: g.padding, dilation: g.dilation, inSize, outSize, countIncludePad: g.countIncludePad ?? true };
}

const pg = (kernel: number[], stride = kernel, padding = [0, 0], dilation = [1, 1], more: Partial<vis.PoolGeom> = {}): vis.PoolGeom => ({ kernel, stride, padding, dilation, ...more });

/** 1-D pooling as 2-D over [N, C, 1, L]. */
const as2d = (x: Nd) => ref.reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
const as1d = (y: Nd) => ref.reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);

/** Per-channel mean and biased variance over every dim but 1: [2, C]. */
function channelStats(x: Nd): Nd {
  const c = x.shape[1];
  const groups: number[][] = Array.from({ length: c }, () => []);
  x.data.forEach((v, i) => groups[ref.coords(x.shape, i)[1]].push(v));
  const mean = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const variance = groups.map((g, k) => g.reduce((a, b) => a + (b - mean[k]) ** 2, 0) / g.length);
  return ref.nd([2, c], [...mean, ...variance]);
}

const stats = (x: Tensor) => x.applyOp(OPS.batchNormStats, [x], {});

export const VISION_CASES: Record<'batchNormStats' | 'conv2d' | 'convTranspose2d' | 'conv2dWeight' | 'maxPool2d' | 'maxPool2dIndices' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward', OpCases> = {
  batchNormStats: {
    samples: [
      { name: 'a [4, 3] batch (BatchNorm1d)', inputs: [{ shape: [4, 3] }], run: ([x]) => stats(x), ref: ([x]) => channelStats(x) },
      { name: 'a [2, 3, 4] sequence batch', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => stats(x), ref: ([x]) => channelStats(x) },
      { name: 'a [2, 2, 3, 3] image batch', inputs: [{ shape: [2, 2, 3, 3] }], run: ([x]) => stats(x), ref: ([x]) => channelStats(x) },
      { name: 'a transposed [2, 3, 4, 2] view', inputs: [{ shape: [2, 3, 4, 2], layout: 'transposed' }], run: ([x]) => stats(x), ref: ([x]) => channelStats(x) },
      {
        name: 'batchNorm in training, through nn.functional',
        inputs: [{ shape: [3, 2, 2, 2] }, { shape: [2] }, { shape: [2] }],
        run: ([x, w, b]) => F.batchNorm(x, null, null, w, b, { training: true }),
        ref: ([x, w, b]) => {
          const st = channelStats(x);
          return ref.build(x.shape, (idx) => ((ref.at(x, idx) - st.data[idx[1]]) / Math.sqrt(st.data[2 + idx[1]] + 1e-5)) * w.data[idx[1]] + b.data[idx[1]]);
        },
      },
    ],
    large: { inputs: [{ shape: [8, 16, 16, 16] }], run: ([x]) => stats(x) },
  },
  conv2d: {
    samples: [
      conv('a [1, 2, 5, 5] image and a [3, 2, 3, 3] filter with bias', [1, 2, 5, 5], [3, 2, 3, 3], {}, geom([1, 1], [0, 0]), { bias: true }),
      conv('stride 2 and padding 1', [1, 2, 5, 5], [2, 2, 3, 3], { stride: 2, padding: 1 }, geom([2, 2], [1, 1])),
      conv('a rectangular kernel, dilation 2 and padding [1, 2]', [1, 2, 6, 5], [2, 2, 2, 3], { dilation: 2, padding: [1, 2] }, geom([1, 1], [1, 2], [2, 2])),
      conv('2 groups', [1, 4, 4, 4], [4, 2, 3, 3], { groups: 2, padding: 1 }, geom([1, 1], [1, 1], [1, 1], 2)),
      conv("padding 'same' with an even kernel (the extra row and column go after)", [1, 2, 5, 5], [2, 2, 4, 4], { padding: 'same' }, geom([1, 1], [1, 1, 2, 2])),
      conv("padding 'valid' with stride [1, 2]", [1, 2, 5, 7], [2, 2, 3, 3], { padding: 'valid', stride: [1, 2] }, geom([1, 2], [0, 0])),
      conv('a transposed image view', [1, 2, 5, 4], [2, 2, 3, 3], { padding: 1 }, geom([1, 1], [1, 1]), { layout: 'transposed' }),
      conv('rows wider than the 8-position strips (the vector packing path)', [2, 3, 10, 20], [5, 3, 3, 3], { padding: 1 }, geom([1, 1], [1, 1]), { noGradcheck: '1,200 inputs: the smaller samples cover the same gradient' }),
      conv1('conv1d with stride 2, padding 1 and bias', [2, 3, 10], [4, 3, 3], { stride: 2, padding: 1 }, 2, [1, 1]),
      conv1("conv1d with dilation 2 and padding 'same'", [2, 2, 9], [3, 2, 3], { dilation: 2, padding: 'same' }, 1, [2, 2], 2),
    ],
    large: { inputs: [{ shape: [4, 8, 12, 12] }, { shape: [16, 8, 3, 3] }], run: ([x, w]) => F.conv2d(x, w, null, { padding: 1 }) },
  },
  convTranspose2d: {
    samples: [
      convT('stride 2, padding 1 and outputPadding 1', [1, 2, 3, 3], [2, 2, 3, 3], { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, outputPadding: [1, 1] }),
      convT('2 groups and dilation 2', [1, 4, 3, 3], [4, 1, 2, 2], { stride: [1, 1], padding: [0, 0], dilation: [2, 2], groups: 2, outputPadding: [0, 0] }),
      convT('stride 1 on a wide image (the vector packing path)', [1, 2, 5, 14], [2, 3, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, outputPadding: [0, 0] }),
      convT('stride [2, 3] and a rectangular kernel', [1, 2, 2, 3], [2, 1, 2, 3], { stride: [2, 3], padding: [0, 1], dilation: [1, 1], groups: 1, outputPadding: [1, 2] }),
      {
        name: 'a bias and an unbatched [C, H, W] input',
        inputs: [{ shape: [2, 3, 3] }, { shape: [2, 1, 3, 3] }, { shape: [1] }],
        run: ([x, w, b]) => F.convTranspose2d(x, w, b, { stride: 2 }),
        ref: ([x, w, b]) => {
          const y = vis.convTranspose2d(ref.reshape(x, [1, 2, 3, 3]), w, [2, 2], [0, 0], [1, 1], 1, [7, 7]);
          return ref.reshape(ref.map((v, c) => v + c, y, ref.expand(ref.reshape(b, [1, 1, 1, 1]), y.shape)), [1, 7, 7]);
        },
        f32Tolerance: CONV_F32,
      },
    ],
    large: { inputs: [{ shape: [4, 16, 10, 10] }, { shape: [16, 8, 3, 3] }], run: ([x, w]) => F.convTranspose2d(x, w, null, { padding: 1 }) },
  },
  conv2dWeight: {
    samples: [
      convW('a [1, 2, 5, 5] input and a [1, 3, 3, 3] output gradient', [1, 2, 5, 5], [1, 3, 3, 3], [3, 3], geom([1, 1], [0, 0])),
      convW('stride 2 and padding 1', [2, 2, 5, 5], [2, 2, 3, 3], [3, 3], geom([2, 2], [1, 1])),
      convW('2 groups and dilation 2', [1, 4, 5, 5], [1, 4, 3, 3], [2, 2], geom([1, 1], [0, 0], [2, 2], 2)),
      convW('a batch of 10 (partial sums over 5 chunks)', [10, 2, 5, 5], [10, 3, 3, 3], [3, 3], geom([1, 1], [0, 0]), { noGradcheck: '500 + 270 inputs: the smaller samples cover the same gradient' }),
      convW('rows wider than one strip, with padding', [2, 3, 6, 19], [2, 9, 6, 19], [3, 3], geom([1, 1], [1, 1]), { noGradcheck: '684 + 2,052 inputs: the smaller samples cover the same gradient' }),
    ],
    large: { inputs: [{ shape: [4, 8, 12, 12] }, { shape: [4, 16, 10, 10] }], run: ([x, g]) => x.applyOp(OPS.conv2dWeight, [x, g], { ...geom([1, 1], [0, 0]), kernel: [3, 3] }) },
  },
  maxPool2d: {
    samples: [
      { name: 'a [1, 2, 6, 6] input, kernel 2', inputs: [{ shape: [1, 2, 6, 6] }], run: ([x]) => F.maxPool2d(x, 2), ref: ([x]) => vis.maxPool2d(x, pg([2, 2])) },
      { name: 'kernel 3, stride 2, padding 1', inputs: [{ shape: [1, 2, 7, 7] }], run: ([x]) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), ref: ([x]) => vis.maxPool2d(x, pg([3, 3], [2, 2], [1, 1])) },
      { name: 'dilation 2 in ceil mode', inputs: [{ shape: [1, 2, 9, 8] }], run: ([x]) => F.maxPool2d(x, 2, { stride: 2, dilation: 2, ceilMode: true }), ref: ([x]) => vis.maxPool2d(x, pg([2, 2], [2, 2], [0, 0], [2, 2], { ceilMode: true })) },
      { name: 'a [2, 3] kernel with stride [1, 2] on a transposed view', inputs: [{ shape: [1, 2, 5, 6], layout: 'transposed' }], run: ([x]) => F.maxPool2d(x, [2, 3], { stride: [1, 2] }), ref: ([x]) => vis.maxPool2d(x, pg([2, 3], [1, 2])) },
      { name: 'an unbatched [C, H, W] input', inputs: [{ shape: [2, 4, 4] }], run: ([x]) => F.maxPool2d(x, 2), ref: ([x]) => vis.maxPool2d(x, pg([2, 2])) },
      { name: 'ties (the first maximum in scan order wins)', inputs: [{ shape: [2, 2, 6, 6], kind: 'ties' }], run: ([x]) => F.maxPool2d(x, 3, { stride: 1 }), ref: ([x]) => vis.maxPool2d(x, pg([3, 3], [1, 1])), noGradcheck: 'ties have no derivative' },
      { name: 'maxPool1d with kernel 3 and stride 2', inputs: [{ shape: [2, 3, 9] }], run: ([x]) => F.maxPool1d(x, 3, { stride: 2 }), ref: ([x]) => as1d(vis.maxPool2d(as2d(x), pg([1, 3], [1, 2]))) },
    ],
    large: { inputs: [{ shape: [8, 16, 24, 24] }], run: ([x]) => F.maxPool2d(x, 2) },
  },
  maxPool2dIndices: {
    samples: [
      { name: 'returnIndices with kernel 2', inputs: [{ shape: [2, 3, 6, 6] }], run: ([x]) => F.maxPool2d(x, 2, { returnIndices: true })[1], ref: ([x]) => vis.maxPool2dIndices(x, pg([2, 2])), outDtype: 'int32' },
      { name: 'ties: the first maximum in scan order', inputs: [{ shape: [2, 2, 6, 6], kind: 'ties' }], run: ([x]) => F.maxPool2d(x, 3, { stride: 1, padding: 1, returnIndices: true })[1], ref: ([x]) => vis.maxPool2dIndices(x, pg([3, 3], [1, 1], [1, 1])), outDtype: 'int32' },
      { name: 'a window holding NaN', inputs: [{ shape: [1, 1, 2, 4], values: [1, NaN, 3, 4, 5, 6, 9, 2] }], run: ([x]) => F.maxPool2d(x, 2, { returnIndices: true })[1], ref: ([x]) => vis.maxPool2dIndices(x, pg([2, 2])), outDtype: 'int32' },
      { name: 'maxPool1d with dilation 2', inputs: [{ shape: [2, 2, 11] }], run: ([x]) => F.maxPool1d(x, 3, { dilation: 2, returnIndices: true })[1], ref: ([x]) => as1d(vis.maxPool2dIndices(as2d(x), pg([1, 3], [1, 3], [0, 0], [1, 2]))), outDtype: 'int32' },
    ],
    large: { inputs: [{ shape: [8, 16, 24, 24] }], run: ([x]) => F.maxPool2d(x, 2, { returnIndices: true })[1] },
  },
  maxPool2dBackward: {
    samples: [
      { name: 'kernel 2', inputs: [{ shape: [1, 2, 3, 3] }, { shape: [1, 2, 6, 6] }], run: ([g, x]) => g.applyOp(OPS.maxPool2dBackward, [g, x], poolAttrs([6, 6], pg([2, 2]))), ref: ([g, x]) => vis.maxPool2dBackward(g, x, pg([2, 2])) },
      { name: 'overlapping windows (kernel 3, stride 1, padding 1) add up', inputs: [{ shape: [1, 2, 5, 5] }, { shape: [1, 2, 5, 5] }], run: ([g, x]) => g.applyOp(OPS.maxPool2dBackward, [g, x], poolAttrs([5, 5], pg([3, 3], [1, 1], [1, 1]))), ref: ([g, x]) => vis.maxPool2dBackward(g, x, pg([3, 3], [1, 1], [1, 1])) },
    ],
    large: { inputs: [{ shape: [8, 16, 12, 12] }, { shape: [8, 16, 24, 24] }], run: ([g, x]) => g.applyOp(OPS.maxPool2dBackward, [g, x], poolAttrs([24, 24], pg([2, 2]))) },
  },
  avgPool2d: {
    samples: [
      { name: 'a [1, 2, 6, 6] input, kernel 2', inputs: [{ shape: [1, 2, 6, 6] }], run: ([x]) => F.avgPool2d(x, 2), ref: ([x]) => vis.avgPool2d(x, pg([2, 2])) },
      { name: 'kernel 3, stride 2, padding 1, counting the padding', inputs: [{ shape: [1, 2, 7, 7] }], run: ([x]) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }), ref: ([x]) => vis.avgPool2d(x, pg([3, 3], [2, 2], [1, 1])) },
      { name: 'kernel 3, stride 2, padding 1, countIncludePad false', inputs: [{ shape: [1, 2, 7, 7] }], run: ([x]) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), ref: ([x]) => vis.avgPool2d(x, pg([3, 3], [2, 2], [1, 1], [1, 1], { countIncludePad: false })) },
      { name: 'ceil mode (the last window hangs past the padding)', inputs: [{ shape: [1, 2, 6, 7] }], run: ([x]) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), ref: ([x]) => vis.avgPool2d(x, pg([3, 3], [2, 2], [1, 1], [1, 1], { ceilMode: true })) },
      { name: 'avgPool1d on a transposed view', inputs: [{ shape: [2, 4, 3], layout: 'transposed' }], run: ([x]) => F.avgPool1d(x, 2, { stride: 1 }), ref: ([x]) => as1d(vis.avgPool2d(as2d(x), pg([1, 2], [1, 1]))) },
      { name: 'adaptiveAvgPool2d from 7×5 to 3×2 (overlapping windows)', inputs: [{ shape: [1, 2, 7, 5] }], run: ([x]) => F.adaptiveAvgPool2d(x, [3, 2]), ref: ([x]) => vis.adaptiveAvgPool2d(x, [3, 2]) },
      { name: 'adaptiveAvgPool2d to 1 (global average)', inputs: [{ shape: [1, 2, 4, 5] }], run: ([x]) => F.adaptiveAvgPool2d(x, 1), ref: ([x]) => vis.adaptiveAvgPool2d(x, [1, 1]) },
      { name: 'adaptiveAvgPool2d keeping the width (null)', inputs: [{ shape: [1, 2, 6, 3] }], run: ([x]) => F.adaptiveAvgPool2d(x, [4, null]), ref: ([x]) => vis.adaptiveAvgPool2d(x, [4, 3]) },
    ],
    large: { inputs: [{ shape: [8, 16, 24, 24] }], run: ([x]) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }) },
  },
  avgPool2dBackward: {
    samples: [
      { name: 'kernel 3, stride 2, padding 1', inputs: [{ shape: [1, 2, 4, 4] }], run: ([g]) => g.applyOp(OPS.avgPool2dBackward, [g], poolAttrs([7, 7], pg([3, 3], [2, 2], [1, 1]))), ref: ([g]) => vis.avgPool2dBackward(g, [7, 7], pg([3, 3], [2, 2], [1, 1])) },
      { name: 'countIncludePad false in ceil mode', inputs: [{ shape: [1, 2, 4, 4] }], run: ([g]) => g.applyOp(OPS.avgPool2dBackward, [g], { ...poolAttrs([6, 7], pg([3, 3], [2, 2], [1, 1], [1, 1], { ceilMode: true })), countIncludePad: false }), ref: ([g]) => vis.avgPool2dBackward(g, [6, 7], pg([3, 3], [2, 2], [1, 1], [1, 1], { countIncludePad: false })) },
    ],
    large: { inputs: [{ shape: [8, 16, 12, 12] }], run: ([g]) => g.applyOp(OPS.avgPool2dBackward, [g], poolAttrs([24, 24], pg([3, 3], [2, 2], [1, 1]))) },
  },
};


