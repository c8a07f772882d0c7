// Graph gradients against eager gradients for every differentiable op of the table (one builder
// per case serves both modes, since both tensor kinds share TensorOps), then central-difference
// gradchecks on a few composite graphs.
import { describe, expect, it } from 'vitest';
import { cat, OPS, tensor, Tensor, type DType, type OpName } from '../../src/index.js';
import { Graph, gradients, Session, type SymbolicTensor } from '../../src/graph/index.js';
import type { TensorOps } from '../../src/ops/methods.js';
import { prng as rng } from '../support/inputs.js';

/** float64 throughout: the two modes differ only in the order gradients are summed. */
const F64_TOL = 1e-12;
/** Central differences in float64 with EPS = 1e-6 keep about 6 significant digits. */
const EPS = 1e-6;
const GRADCHECK_ATOL = 1e-6;
const GRADCHECK_RTOL = 1e-5;

type Build = <T extends TensorOps<T>>(xs: T[]) => T;

interface Input {
  shape: number[];
  dtype?: DType;
  /** Fixed values (index tensors, masks); otherwise seeded draws. */
  values?: number[];
  /** Draws in [0.5, 2): for log, sqrt, pow bases and divisors. */
  positive?: boolean;
}

interface Case {
  op: OpName;
  inputs: Input[];
  build: Build;
}

const M = [3, 4];
/** A 2×2, stride-2 pool over 4×4 planes (the vision ops' attributes). */
const POOL_2X2 = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], inSize: [4, 4], outSize: [2, 2], countIncludePad: true };
const f = (shape: number[] = M, positive = false): Input => ({ shape, positive });

// One case per differentiable entry of OPS; a test below checks none is missing.
const CASES: Case[] = [
  { op: 'neg', inputs: [f()], build: ([a]) => a.neg() },
  { op: 'exp', inputs: [f()], build: ([a]) => a.exp() },
  { op: 'log', inputs: [f(M, true)], build: ([a]) => a.log() },
  { op: 'sqrt', inputs: [f(M, true)], build: ([a]) => a.sqrt() },
  { op: 'abs', inputs: [f()], build: ([a]) => a.abs() },
  { op: 'tanh', inputs: [f()], build: ([a]) => a.tanh() },
  { op: 'sigmoid', inputs: [f()], build: ([a]) => a.sigmoid() },
  { op: 'relu', inputs: [f()], build: ([a]) => a.relu() },
  { op: 'reluBackward', inputs: [f(), f()], build: ([g, a]) => g.applyOp(OPS.reluBackward, [g, a], {}) },
  { op: 'clamp', inputs: [f()], build: ([a]) => a.clamp({ min: -0.4, max: 0.3 }) },
  { op: 'checkRange', inputs: [f()], build: ([a]) => a.applyOp(OPS.checkRange, [a], { min: -1e6, max: 1e6, what: 'x' }) },
  { op: 'powScalar', inputs: [f(M, true)], build: ([a]) => a.pow(2.5) },
  { op: 'add', inputs: [f(), f([4])], build: ([a, b]) => a.add(b) },
  { op: 'sub', inputs: [f([3, 1]), f()], build: ([a, b]) => a.sub(b) },
  { op: 'mul', inputs: [f(), f()], build: ([a, b]) => a.mul(b) },
  { op: 'div', inputs: [f(), f(M, true)], build: ([a, b]) => a.div(b) },
  { op: 'pow', inputs: [f(M, true), f()], build: ([a, b]) => a.pow(b) },
  { op: 'maximum', inputs: [f(), f()], build: ([a, b]) => a.maximum(b) },
  { op: 'minimum', inputs: [f(), f()], build: ([a, b]) => a.minimum(b) },
  { op: 'where', inputs: [{ shape: M, dtype: 'bool', values: [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0] }, f(), f([4])], build: ([c, a, b]) => a.where(c, b) },
  { op: 'sum', inputs: [f([2, 3, 4])], build: ([a]) => a.sum([0, 2]) },
  { op: 'max', inputs: [f()], build: ([a]) => a.amax(1) },
  { op: 'min', inputs: [f()], build: ([a]) => a.amin(0, true) },
  { op: 'matmul', inputs: [f([2, 3, 4]), f([4, 5])], build: ([a, b]) => a.matmul(b) },
  { op: 'reshape', inputs: [f()], build: ([a]) => a.t().reshape([2, 6]) },
  { op: 'transpose', inputs: [f([2, 3, 4])], build: ([a]) => a.transpose(0, 2) },
  { op: 'permute', inputs: [f([2, 3, 4])], build: ([a]) => a.permute(2, 0, 1) },
  { op: 'expand', inputs: [f([3, 1])], build: ([a]) => a.expand([2, 3, 4]) },
  { op: 'unsqueeze', inputs: [f()], build: ([a]) => a.unsqueeze(1) },
  { op: 'squeeze', inputs: [f([3, 1, 4])], build: ([a]) => a.squeeze(1) },
  { op: 'narrow', inputs: [f()], build: ([a]) => a.narrow(1, 1, 2) },
  { op: 'pad', inputs: [f()], build: ([a]) => a.pad(1, 1, 2) },
  { op: 'cat', inputs: [f(), f([3, 2])], build: ([a, b]) => cat([a, b], 1) },
  { op: 'contiguous', inputs: [f()], build: ([a]) => a.t().contiguous() },
  { op: 'cast', inputs: [f()], build: ([a]) => a.to('float32').mul(3) },
  { op: 'fullLike', inputs: [f()], build: ([a]) => a.fullLike(2).add(a.mul(0)) },
  { op: 'indexSelect', inputs: [f([4, 3]), { shape: [5], dtype: 'int32', values: [0, 2, 2, 3, 1] }], build: ([a, i]) => a.indexSelect(0, i) },
  { op: 'indexAdd', inputs: [f([4, 3]), { shape: [2], dtype: 'int32', values: [3, 1] }, f([2, 3])], build: ([a, i, s]) => a.indexAdd(0, i, s) },
  { op: 'gather', inputs: [f(), { shape: [3, 2], dtype: 'int32', values: [0, 3, 1, 1, 2, 0] }], build: ([a, i]) => a.gather(1, i) },
  { op: 'scatterAdd', inputs: [f(), { shape: [3, 2], dtype: 'int32', values: [0, 3, 1, 1, 2, 0] }, f([3, 2])], build: ([a, i, s]) => a.scatterAdd(1, i, s) },
  // Issue 11's everyday ops (rounding and sign pass zeros; cumprod and prod go through linearScan).
  { op: 'sign', inputs: [f()], build: ([a]) => a.sign().add(a) },
  { op: 'sin', inputs: [f()], build: ([a]) => a.sin() },
  { op: 'cos', inputs: [f()], build: ([a]) => a.cos() },
  { op: 'erf', inputs: [f()], build: ([a]) => a.erf() },
  { op: 'floor', inputs: [f()], build: ([a]) => a.floor().add(a) },
  { op: 'ceil', inputs: [f()], build: ([a]) => a.ceil().mul(a) },
  { op: 'round', inputs: [f()], build: ([a]) => a.mul(3).round().mul(a) },
  { op: 'trunc', inputs: [f()], build: ([a]) => a.mul(3).trunc().mul(a) },
  { op: 'log1p', inputs: [f(M, true)], build: ([a]) => a.log1p() },
  { op: 'expm1', inputs: [f()], build: ([a]) => a.expm1() },
  { op: 'rsqrt', inputs: [f(M, true)], build: ([a]) => a.rsqrt() },
  { op: 'reciprocal', inputs: [f(M, true)], build: ([a]) => a.reciprocal() },
  { op: 'square', inputs: [f()], build: ([a]) => a.square() },
  { op: 'cumsum', inputs: [f()], build: ([a]) => a.cumsum(1) },
  { op: 'linearScan', inputs: [f()], build: ([a]) => a.cumprod(0).add(a.prod(1, true)) },
  { op: 'flip', inputs: [f([2, 3, 4])], build: ([a]) => a.flip([0, 2]) },
  { op: 'slice', inputs: [f([3, 7])], build: ([a]) => a.slice(1, 1, null, 2) },
  { op: 'lstmCell', inputs: [f([2, 8]), f([2, 8]), f([2, 2])], build: ([gi, gh, c]) => gi.applyOp(OPS.lstmCell, [gi, gh, c], {}) },
  { op: 'gruCell', inputs: [f([2, 6]), f([2, 6]), f([6]), f([2, 2])], build: ([gi, gh, b, h]) => gi.applyOp(OPS.gruCell, [gi, gh, b, h], {}) },
  { op: 'conv2d', inputs: [f([2, 3, 5, 5]), f([4, 3, 3, 3])], build: ([x, w]) => x.applyOp(OPS.conv2d, [x, w], { stride: [2, 1], padding: [1, 0, 1, 0], dilation: [1, 1], groups: 1 }) },
  { op: 'convTranspose2d', inputs: [f([1, 4, 3, 3]), f([4, 1, 2, 2])], build: ([y, w]) => y.applyOp(OPS.convTranspose2d, [y, w], { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 2, outSize: [6, 6] }) },
  { op: 'conv2dWeight', inputs: [f([2, 2, 5, 5]), f([2, 3, 3, 3])], build: ([x, g]) => x.applyOp(OPS.conv2dWeight, [x, g], { stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1, kernel: [3, 3] }) },
  { op: 'maxPool2d', inputs: [f([2, 2, 4, 4])], build: ([x]) => x.applyOp(OPS.maxPool2d, [x], POOL_2X2) },
  { op: 'maxPool2dBackward', inputs: [f([2, 2, 2, 2]), f([2, 2, 4, 4])], build: ([g, x]) => g.applyOp(OPS.maxPool2dBackward, [g, x], POOL_2X2) },
  { op: 'avgPool2d', inputs: [f([2, 2, 4, 4])], build: ([x]) => x.applyOp(OPS.avgPool2d, [x], POOL_2X2) },
  { op: 'avgPool2dBackward', inputs: [f([2, 2, 2, 2])], build: ([g]) => g.applyOp(OPS.avgPool2dBackward, [g], POOL_2X2) },
  { op: 'batchNormStats', inputs: [f([3, 2, 2, 2])], build: ([x]) => x.applyOp(OPS.batchNormStats, [x], {}) },
];

function values(input: Input, next: () => number): number[] {
  if (input.values !== undefined) return input.values;
  const n = input.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => (input.positive ? 0.5 + 1.5 * next() : 2 * next() - 1));
}

function eagerOf(input: Input, data: number[]): Tensor {
  return tensor(data, { dtype: input.dtype ?? 'float64' }).reshape(input.shape);
}

const isFloatInput = (input: Input) => (input.dtype ?? 'float64') === 'float64';

async function eagerGradients(c: Case, data: number[][], upstream: number[]): Promise<number[][]> {
  const xs = c.inputs.map((input, k) => {
    const t = eagerOf(input, data[k]);
    if (isFloatInput(input)) t.requiresGrad = true;
    return t;
  });
  const y = c.build(xs);
  y.backward(tensor(upstream, { dtype: y.dtype }).reshape(y.shape));
  const out: number[][] = [];
  for (const [k, x] of xs.entries()) {
    if (!isFloatInput(c.inputs[k])) continue;
    out.push(x.grad === null ? new Array<number>(x.numel()).fill(0) : Array.from(await x.grad.data()));
  }
  return out;
}

async function graphGradients(c: Case, data: number[][], upstream: number[], yShape: number[], yDtype: DType): Promise<number[][]> {
  const g = new Graph();
  const phs = c.inputs.map((input) => g.placeholder(input.dtype ?? 'float64', input.shape));
  const y = c.build(phs);
  const gy = g.placeholder(yDtype, yShape);
  const xs = phs.filter((_, k) => isFloatInput(c.inputs[k]));
  const grads = gradients(y, xs, [gy]);
  const sess = new Session(g);
  const feeds: [SymbolicTensor, Tensor][] = phs.map((p, k) => [p, eagerOf(c.inputs[k], data[k])]);
  feeds.push([gy, tensor(upstream, { dtype: yDtype }).reshape(yShape)]);
  // gradients gives null for an input the output does not reach (TF1's None): eager's zeros.
  const out = await sess.run(grads.filter((gr) => gr !== null), feeds);
  let next = 0;
  return Promise.all(grads.map(async (gr, k) => (gr === null ? new Array<number>(xs[k].numel()).fill(0) : Array.from(await (out[next++] as Tensor).data()))));
}

describe('graph gradients', () => {
  it('has a case for every differentiable op of the table', () => {
    const differentiable = Object.entries(OPS).filter(([, op]) => op.grad !== null).map(([name]) => name);
    expect(CASES.map((c) => c.op).sort()).toEqual(differentiable.sort());
  });

  it.each(CASES)('equal the eager gradients for $op', async (c) => {
    const next = rng(c.op.length * 7919 + c.inputs.length);
    const data = c.inputs.map((input) => values(input, next));
    const probe = c.build(c.inputs.map((input, k) => eagerOf(input, data[k])));
    const upstream = Array.from({ length: probe.numel() }, () => 2 * next() - 1);
    const eager = await eagerGradients(c, data, upstream);
    const graph = await graphGradients(c, data, upstream, probe.shape, probe.dtype);
    expect(graph.length).toBe(eager.length);
    graph.forEach((gs, k) => {
      expect(gs.length).toBe(eager[k].length);
      gs.forEach((v, i) => expect(Math.abs(v - eager[k][i])).toBeLessThanOrEqual(F64_TOL * (1 + Math.abs(eager[k][i]))));
    });
  });
});

/**
 * Checks gradients(sum(y · u), x) of a graph against central differences of the same graph run
 * through a Session, for random weights u.
 */
async function graphGradcheck(build: Build, shapes: number[][], positive = false): Promise<void> {
  const next = rng(shapes.flat().reduce((a, b) => a * 31 + b, 17));
  const g = new Graph();
  const phs = shapes.map((s) => g.placeholder('float64', s));
  const y = build(phs);
  const u = g.placeholder('float64', y.shape);
  const objective = y.mul(u).sum();
  const grads = gradients(objective, phs);
  const sess = new Session(g);
  const data = shapes.map((s) => values({ shape: s, positive }, next));
  const uData = values({ shape: y.shape as number[] }, next);
  const feeds = (xs: number[][]): [SymbolicTensor, Tensor][] => [...phs.map((p, k): [SymbolicTensor, Tensor] => [p, tensor(xs[k], { dtype: 'float64' }).reshape(shapes[k])]), [u, tensor(uData, { dtype: 'float64' }).reshape(y.shape as number[])]];
  const analytic = await Promise.all((await sess.run(grads, feeds(data))).map(async (t) => Array.from(await (t as Tensor).data())));
  for (const [k, x] of data.entries()) {
    for (let j = 0; j < x.length; j++) {
      const at = async (delta: number) => {
        const moved = data.map((d, m) => (m === k ? d.map((v, i) => (i === j ? v + delta : v)) : d));
        return (await (await sess.run(objective, feeds(moved)))!.item());
      };
      const numeric = ((await at(EPS)) - (await at(-EPS))) / (2 * EPS);
      expect(Math.abs(analytic[k][j] - numeric)).toBeLessThanOrEqual(GRADCHECK_ATOL + GRADCHECK_RTOL * Math.abs(numeric));
    }
  }
}

describe('gradcheck on composite graphs', () => {
  it('passes for a tanh–sigmoid MLP with a mean loss', async () => {
    await graphGradcheck(([x, w, v]) => x.matmul(w).tanh().matmul(v).sigmoid().mean(0), [[4, 3], [3, 5], [5, 2]]);
  });

  it('passes for log-softmax against soft targets', async () => {
    await graphGradcheck(([x, t]) => x.logSoftmax(1).mul(t).sum(1).neg(), [[3, 5], [3, 5]]);
  });

  it('passes for a chain of divisions, powers and broadcasts', async () => {
    await graphGradcheck(([a, b]) => a.div(b.abs().add(1)).pow(2).add(b.amax(0, true).exp()).sqrt(), [[3, 4], [1, 4]], true);
  });

  it('passes through views, reductions and a concatenation', async () => {
    await graphGradcheck(([a, b]) => cat([a.t().narrow(0, 1, 2), b.unsqueeze(0).expand([2, 3])], 1).softmax(1).mul(a.sum()), [[3, 3], [3]]);
  });
});
