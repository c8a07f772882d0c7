// Fuzz specs for the vision entries of the op table (convolution, pooling, batch statistics),
// spread into SPECS: random small geometries and options, good and bad, through nn.functional
// (or the op itself for the adjoint-only entries), against the nested-loop references.
import fc from 'fast-check';
import { nn, OPS, type DType } from '../../../src/index.js';
import type { PoolAttrs } from '../../../src/ops/pool.js';
import * as ref from '../../support/reference.js';
import * as vis from '../../support/reference-vision.js';
import { dtypeArb, inputOf, type InputSpec } from './inputs.js';
import { Invalid, type Call, type Expected, type OpSpec } from './specs.js';

type Nd = ref.Nd;
const F = nn.functional;

function invalid(why: string): never {
  throw new Invalid(why);
}

/** Finite values (zero padding times ±∞ is NaN in a GEMM and nothing in a direct loop). */
const finite = fc.oneof({ weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) });
/** Pools are comparisons: NaN and ±∞ have defined answers. */
const anyFloat = fc.oneof({ weight: 10, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
const small = (min: number, max: number) => fc.integer({ min, max });

const isFloat = (d: DType) => d === 'float32' || d === 'float64';
const abs = (x: Nd): Nd => ({ shape: x.shape, data: x.data.map(Math.abs) });
const stored = (x: Nd, dtype: DType): Nd => ({ shape: x.shape, data: x.data.map((v) => (dtype === 'float32' ? Math.fround(v) : v)) });
const sum = (x: Nd, dtype: DType, scale: Nd): Expected => ({ nd: stored(x, dtype), dtype, compare: 'sum', scale });
const exact = (x: Nd, dtype: DType): Expected => ({ nd: x, dtype, compare: 'exact' });

function floats(dtypes: DType[]): DType {
  if (!dtypes.every((d) => d === dtypes[0]) || !isFloat(dtypes[0])) invalid(`dtypes ${dtypes.join(', ')}`);
  return dtypes[0];
}

/** Tensors of these shapes; each dtype is usually the first's (float32 mostly), sometimes another. */
function tensors(shapes: number[][], values: fc.Arbitrary<number>): fc.Arbitrary<InputSpec[]> {
  return fc.tuple(dtypeArb, fc.array(fc.oneof({ weight: 9, arbitrary: fc.constant<DType | null>(null) }, { weight: 1, arbitrary: dtypeArb }), { minLength: shapes.length, maxLength: shapes.length })).chain(([d, others]) =>
    // Integer and bool tensors hold what their dtype can (tensor() refuses ±∞ or 0.5 for int32).
    fc.tuple(...shapes.map((s, i) => {
      const dtype = others[i] ?? d;
      return inputOf(s, dtype, dtype === 'float32' || dtype === 'float64' ? values : undefined);
    })),
  );
}

const geometry = fc.record({
  n: small(0, 2), groups: small(1, 2), cg: small(1, 2), og: small(1, 2), h: small(1, 6), w: small(1, 6), kh: small(1, 3), kw: small(1, 3),
  stride: small(1, 2), dilation: small(1, 2), padding: fc.oneof({ weight: 4, arbitrary: small(0, 2) as fc.Arbitrary<number | string> }, { weight: 1, arbitrary: fc.constantFrom('same', 'valid') }),
  /** A weight whose channels do not match the input's. */
  mismatch: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
});
type Geometry = typeof geometry extends fc.Arbitrary<infer G> ? G : never;

function convGeom(g: Geometry): vis.ConvGeom {
  if (g.padding === 'same') {
    if (g.stride !== 1) invalid("'same' with stride > 1");
    const total = [g.kh, g.kw].map((k) => g.dilation * (k - 1));
    const begin = total.map((t) => Math.floor(t / 2));
    return { stride: [1, 1], padding: [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]], dilation: [g.dilation, g.dilation], groups: g.groups };
  }
  const p = g.padding === 'valid' ? 0 : (g.padding as number);
  return { stride: [g.stride, g.stride], padding: [p, p, p, p], dilation: [g.dilation, g.dilation], groups: g.groups };
}

function outSize(g: Geometry, gm: vis.ConvGeom): number[] {
  const out = [0, 1].map((i) => vis.convOut([g.h, g.w][i], [g.kh, g.kw][i], gm.stride[i], gm.dilation[i], gm.padding[i], gm.padding[i + 2]));
  if (out.some((d) => d <= 0)) invalid('kernel larger than the padded input');
  return out;
}

const conv2d: OpSpec = {
  call: geometry.chain((g) => tensors([[g.n, g.cg * g.groups, g.h, g.w], [g.og * g.groups, g.cg + g.mismatch, g.kh, g.kw]], finite).map((inputs): Call => ({ inputs, args: g }))),
  run: ([x, w], g) => F.conv2d(x, w, null, { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups }),
  ref: ([x, w], dtypes, g: Geometry) => {
    const dtype = floats(dtypes);
    if (g.mismatch) invalid('channel mismatch');
    const gm = convGeom(g);
    outSize(g, gm);
    return sum(vis.conv2d(x, w, gm), dtype, vis.conv2d(abs(x), abs(w), gm));
  },
  names: ['conv2d'],
};

const convTranspose2d: OpSpec = {
  call: fc.tuple(geometry, small(0, 1)).chain(([g, extra]) => tensors([[g.n, g.og * g.groups, g.h, g.w], [g.og * g.groups + g.mismatch, g.cg, g.kh, g.kw]], finite).map((inputs): Call => ({ inputs, args: { ...g, extra } }))),
  run: ([y, w], g) => F.convTranspose2d(y, w, null, { stride: g.stride, padding: typeof g.padding === 'number' ? g.padding : 0, dilation: g.dilation, groups: g.groups, outputPadding: g.extra }),
  ref: ([y, w], dtypes, g) => {
    const dtype = floats(dtypes);
    if (g.mismatch) invalid('channel mismatch');
    if (g.extra >= Math.max(g.stride, g.dilation)) invalid('outputPadding too large');
    const p = typeof g.padding === 'number' ? g.padding : 0;
    const size = [g.h, g.w].map((d, i) => (d - 1) * g.stride - 2 * p + g.dilation * ([g.kh, g.kw][i] - 1) + g.extra + 1);
    if (size.some((d) => d <= 0)) invalid('no output');
    const args = [[g.stride, g.stride], [p, p], [g.dilation, g.dilation], g.groups, size] as const;
    return sum(vis.convTranspose2d(y, w, ...args), dtype, vis.convTranspose2d(abs(y), abs(w), ...args));
  },
  names: ['convTranspose2d'],
};

const conv2dWeight: OpSpec = {
  call: geometry
    .filter((g) => g.padding !== 'same')
    .chain((g) => {
      const gm = convGeom(g);
      const out = [0, 1].map((i) => Math.max(1, vis.convOut([g.h, g.w][i], [g.kh, g.kw][i], gm.stride[i], gm.dilation[i], gm.padding[i], gm.padding[i + 2])));
      return tensors([[g.n, g.cg * g.groups, g.h, g.w], [g.n + g.mismatch, g.og * g.groups, out[0], out[1]]], finite).map((inputs): Call => ({ inputs, args: { ...g, gm } }));
    }),
  run: ([x, dy], { gm, kh, kw }) => x.applyOp(OPS.conv2dWeight, [x, dy], { ...gm, kernel: [kh, kw] }),
  ref: ([x, dy], dtypes, { gm, kh, kw, mismatch }) => {
    const dtype = floats(dtypes);
    if (mismatch) invalid('batch mismatch');
    return sum(vis.conv2dWeight(x, dy, [kh, kw], gm), dtype, vis.conv2dWeight(abs(x), abs(dy), [kh, kw], gm));
  },
  names: ['conv2dWeight'],
};

const poolGeometry = fc.record({ lead: fc.array(small(0, 2), { minLength: 1, maxLength: 2 }), h: small(1, 6), w: small(1, 6), k: small(1, 3), stride: small(1, 3), padding: small(0, 2), dilation: small(1, 2), ceilMode: fc.boolean(), countIncludePad: fc.boolean() });
type PoolGeometry = typeof poolGeometry extends fc.Arbitrary<infer G> ? G : never;

function poolGeom(g: PoolGeometry, dilated: boolean): vis.PoolGeom & { outSize: number[] } {
  if (g.padding > Math.floor(g.k / 2)) invalid('padding past half the kernel');
  const d = dilated ? g.dilation : 1;
  const pg: vis.PoolGeom = { kernel: [g.k, g.k], stride: [g.stride, g.stride], padding: [g.padding, g.padding], dilation: [d, d], ceilMode: g.ceilMode, countIncludePad: g.countIncludePad };
  const outSize = [g.h, g.w].map((s) => vis.poolOut(s, g.k, g.stride, g.padding, d, g.ceilMode));
  if (outSize.some((o) => o <= 0)) invalid('no output');
  const sizes = [g.h, g.w];
  for (let i = 0; i < 2; i++) {
    for (let o = 0; o < outSize[i]; o++) {
      if (!Array.from({ length: g.k }, (_, j) => o * g.stride - g.padding + j * d).some((t) => t >= 0 && t < sizes[i])) invalid('a window of padding only');
    }
  }
  return { ...pg, outSize };
}

const poolOptions = (g: PoolGeometry, dilated: boolean) => ({ stride: g.stride, padding: g.padding, ceilMode: g.ceilMode, ...(dilated ? { dilation: g.dilation } : { countIncludePad: g.countIncludePad }) });
const poolCall = (values: fc.Arbitrary<number>) => poolGeometry.chain((g) => tensors([[...g.lead, g.h, g.w]], values).map((inputs): Call => ({ inputs, args: g })));

const maxPool2d: OpSpec = {
  call: poolCall(anyFloat),
  run: ([x], g) => F.maxPool2d(x, g.k, poolOptions(g, true)),
  ref: ([x], [d], g) => exact(vis.maxPool2d(x, poolGeom(g, true)), floats([d])),
  names: ['maxPool2d'],
};

const maxPool2dIndices: OpSpec = {
  call: poolCall(anyFloat),
  run: ([x], g) => F.maxPool2d(x, g.k, { ...poolOptions(g, true), returnIndices: true })[1],
  ref: ([x], [d], g) => (floats([d]), exact(vis.maxPool2dIndices(x, poolGeom(g, true)), 'int32')),
  names: ['maxPool2d'],
};

const avgPool2d: OpSpec = {
  call: poolCall(finite),
  run: ([x], g) => F.avgPool2d(x, g.k, poolOptions(g, false)),
  ref: ([x], [d], g) => {
    const pg = poolGeom(g, false);
    return sum(vis.avgPool2d(x, pg), floats([d]), vis.avgPool2d(abs(x), pg));
  },
  names: ['avgPool2d'],
};

/** The op's attributes for a pool geometry over [h, w]. */
const attrsOf = (g: PoolGeometry, pg: vis.PoolGeom & { outSize: number[] }): PoolAttrs => ({ kernel: pg.kernel, stride: pg.stride, padding: pg.padding, dilation: pg.dilation, inSize: [g.h, g.w], outSize: pg.outSize, countIncludePad: g.countIncludePad });
const validPool = (dilated: boolean) => poolGeometry.filter((g) => {
  try {
    poolGeom(g, dilated);
    return true;
  } catch {
    return false;
  }
});

const maxPool2dBackward: OpSpec = {
  call: validPool(true).chain((g) => tensors([[...g.lead, ...poolGeom(g, true).outSize], [...g.lead, g.h, g.w]], finite).map((inputs): Call => ({ inputs, args: g }))),
  run: ([dy, x], g) => dy.applyOp(OPS.maxPool2dBackward, [dy, x], attrsOf(g, poolGeom(g, true))),
  ref: ([dy, x], dtypes, g) => {
    const pg = poolGeom(g, true);
    return sum(vis.maxPool2dBackward(dy, x, pg), floats(dtypes), vis.maxPool2dBackward(abs(dy), x, pg));
  },
  names: ['maxPool2dBackward'],
};

const avgPool2dBackward: OpSpec = {
  call: validPool(false).chain((g) => tensors([[...g.lead, ...poolGeom(g, false).outSize]], finite).map((inputs): Call => ({ inputs, args: g }))),
  run: ([dy], g) => dy.applyOp(OPS.avgPool2dBackward, [dy], attrsOf(g, poolGeom(g, false))),
  ref: ([dy], dtypes, g) => {
    const pg = poolGeom(g, false);
    return sum(vis.avgPool2dBackward(dy, [g.h, g.w], pg), floats(dtypes), vis.avgPool2dBackward(abs(dy), [g.h, g.w], pg));
  },
  names: ['avgPool2dBackward'],
};

/** [2, C]: per-channel mean and biased variance; the scale bounds both rows' rounding. */
function channelStats(x: Nd): { stats: Nd; scale: Nd } {
  const c = x.shape[1];
  const groups: number[][] = Array.from({ length: c }, () => []);
  x.data.forEach((v, i) => groups[ref.coords(x.shape, i)[1]].push(v));
  const mean = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const variance = groups.map((g, k) => g.reduce((a, b) => a + (b - mean[k]) ** 2, 0) / g.length);
  const meanAbs = groups.map((g) => g.reduce((a, b) => a + Math.abs(b), 0) / g.length);
  const meanSquare = groups.map((g) => g.reduce((a, b) => a + b * b, 0) / g.length);
  return { stats: ref.nd([2, c], [...mean, ...variance]), scale: ref.nd([2, c], [...meanAbs, ...meanSquare.map((s, k) => 4 * (s + meanAbs[k] ** 2))]) };
}

const batchNormStats: OpSpec = {
  call: fc.tuple(small(1, 3), small(1, 3), fc.array(small(1, 3), { maxLength: 2 })).chain(([n, c, rest]) => tensors([[n, c, ...rest]], finite).map((inputs): Call => ({ inputs, args: {} }))),
  run: ([x]) => {
    F.batchNorm(x, null, null, null, null, { training: true }); // its checks, naming the function
    return x.applyOp(OPS.batchNormStats, [x], {});
  },
  ref: ([x], [d]) => {
    const dtype = floats([d]);
    if (x.data.length / x.shape[1] <= 1) invalid('one value per channel');
    const { stats, scale } = channelStats(x);
    return sum(stats, dtype, scale);
  },
  names: ['batchNorm'],
};

export const VISION_SPECS = { conv2d, convTranspose2d, conv2dWeight, maxPool2d, maxPool2dIndices, maxPool2dBackward, avgPool2d, avgPool2dBackward, batchNormStats };
