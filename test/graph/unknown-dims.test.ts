// Composites and their gradients over placeholders with an unknown (null) batch dim: one graph per
// case, run at two batch sizes in the same session (a plan is compiled per feed shape), against
// eager results at each size. Sizes known only at run time — mean's count, the padding in
// narrow's gradient, the offsets in cat's — must come from the fed shapes, not be baked in.
import { afterAll, describe, expect, it } from 'vitest';
import { cat, stack, tensor, type Tensor } from '../../src/index.js';
import { Graph, gradients, Session, type SymbolicTensor } from '../../src/graph/index.js';
import type { TensorOps } from '../../src/ops/methods.js';
import { prng } from '../support/inputs.js';

/** float64 throughout: the two modes differ only in the order sums are taken. */
const F64_TOL = 1e-12;
/** Two batch sizes fed to the same graph; 1 is the size where a broadcast and a real dim look alike. */
const BATCHES = [4, 1];

type Build = <T extends TensorOps<T>>(xs: T[]) => T;

interface Case {
  name: string;
  /** Input shapes; null marks the batch dim, the same size in every input that has one. */
  inputs: (number | null)[][];
  build: Build;
}

const B = null;

const CASES: Case[] = [
  { name: 'mean over every dim', inputs: [[B, 3]], build: ([x]) => x.mean() },
  { name: 'mean over the batch dim', inputs: [[B, 3]], build: ([x]) => x.mean(0) },
  { name: 'mean over the batch and a known dim, keepdim', inputs: [[B, 2, 3]], build: ([x]) => x.mean([0, 2], true) },
  { name: 'mean over a known dim only', inputs: [[B, 3]], build: ([x]) => x.mean(1) },
  { name: 'batch-centred values over their variance (layer-norm style)', inputs: [[B, 3]], build: ([x]) => {
    const c = x.sub(x.mean(0, true));
    return c.div(c.mul(c).mean(0, true).add(1).sqrt());
  } },
  { name: 'mean squared error of a linear layer', inputs: [[B, 3], [3, 2], [B, 2]], build: ([x, w, t]) => x.matmul(w).sub(t).pow(2).mean() },
  { name: 'logsumexp over the batch dim', inputs: [[B, 3]], build: ([x]) => x.logsumexp(0) },
  { name: 'logsumexp over every dim', inputs: [[B, 3]], build: ([x]) => x.logsumexp() },
  { name: 'softmax over the batch dim', inputs: [[B, 3]], build: ([x]) => x.softmax(0) },
  { name: 'log-softmax over a known dim', inputs: [[B, 3]], build: ([x]) => x.logSoftmax(1) },
  { name: 'max over the batch dim', inputs: [[B, 3]], build: ([x]) => x.amax(0) },
  { name: 'max with indices over the batch dim', inputs: [[B, 3]], build: ([x]) => x.max(0).values },
  { name: 'flatten of every dim', inputs: [[B, 2, 3]], build: ([x]) => x.flatten().mul(x.flatten()) },
  { name: 'flatten of the known dims', inputs: [[B, 2, 3]], build: ([x]) => x.flatten(1).matmul(x.flatten(1).t()) },
  { name: 'reshape with -1 over the batch dim', inputs: [[B, 4]], build: ([x]) => x.reshape([-1, 2]).exp() },
  { name: 'narrow of the batch dim', inputs: [[B, 3]], build: ([x]) => x.pad(0, 0, 2).narrow(0, 1, 2).tanh() },
  { name: 'narrow with a start counted from the end of the batch dim', inputs: [[B, 3]], build: ([x]) => x.narrow(0, -1, 1).mul(x.sum(0, true)) },
  { name: 'narrow of a known dim', inputs: [[B, 3]], build: ([x]) => x.narrow(1, 1, 2).sigmoid() },
  { name: 'pad of the batch dim', inputs: [[B, 3]], build: ([x]) => x.pad(0, 1, 2).exp() },
  { name: 'cat along the batch dim', inputs: [[B, 3], [2, 3]], build: ([x, w]) => cat([x, w, x.mul(2)], 0).softmax(0) },
  { name: 'cat along a known dim', inputs: [[B, 3], [B, 2]], build: ([x, y]) => cat([x, y], 1).logSoftmax(1) },
  { name: 'stack along a new dim', inputs: [[B, 3]], build: ([x]) => stack([x, x.exp()], 1).mean(0) },
  { name: 'a bias broadcast over the batch dim (expand, then sumTo)', inputs: [[B, 3], [3]], build: ([x, b]) => x.add(b).relu().mul(b) },
  { name: 'a batch sum expanded back over the batch', inputs: [[B, 3]], build: ([x]) => x.sum(0, true).expand(x.shape).mul(x) },
];

function shapeAt(shape: (number | null)[], batch: number): number[] {
  return shape.map((d) => d ?? batch);
}

function draws(n: number, next: () => number): number[] {
  return Array.from({ length: n }, () => 2 * next() - 1);
}

const numelOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

interface Run {
  out: number[];
  outShape: number[];
  grads: number[][];
}

async function eagerRun(c: Case, data: number[][], shapes: number[][], upstream: (shape: number[]) => number[]): Promise<Run> {
  const xs = data.map((d, k) => {
    const t = tensor(d, { dtype: 'float64' }).reshape(shapes[k]);
    t.requiresGrad = true;
    return t;
  });
  const y = c.build(xs);
  y.backward(tensor(upstream(y.shape as number[]), { dtype: 'float64' }).reshape(y.shape as number[]));
  return {
    out: Array.from(await y.data()),
    outShape: y.shape as number[],
    grads: await Promise.all(xs.map(async (x) => Array.from(await (x.grad as Tensor).data()))),
  };
}

describe('composites over an unknown batch dim', () => {
  const sessions: Session[] = [];
  afterAll(() => sessions.forEach((s) => s.close()));

  it.each(CASES)('$name match eager at two batch sizes, values and gradients', async (c) => {
    const g = new Graph();
    const phs = c.inputs.map((s) => g.placeholder('float64', s));
    const y = c.build(phs);
    const gy = g.placeholder('float64', y.shape);
    const grads = gradients(y, phs, [gy]);
    const sess = new Session(g);
    sessions.push(sess);
    for (const batch of BATCHES) {
      const next = prng(batch * 7919 + c.name.length);
      const shapes = c.inputs.map((s) => shapeAt(s, batch));
      const data = shapes.map((s) => draws(numelOf(s), next));
      const up = new Map<string, number[]>();
      const upstream = (shape: number[]) => up.get(String(shape)) ?? (up.set(String(shape), draws(numelOf(shape), next)), up.get(String(shape)) as number[]);
      const eager = await eagerRun(c, data, shapes, upstream);
      const feeds: [SymbolicTensor, Tensor][] = phs.map((p, k) => [p, tensor(data[k], { dtype: 'float64' }).reshape(shapes[k])]);
      feeds.push([gy, tensor(upstream(eager.outShape), { dtype: 'float64' }).reshape(eager.outShape)]);
      const [out, ...dxs] = (await sess.run([y, ...grads], feeds)) as Tensor[];
      expect(out.shape, `output shape at batch ${batch}`).toEqual(eager.outShape);
      const close = (got: number[], want: number[], what: string) => {
        expect(got.length, what).toBe(want.length);
        got.forEach((v, i) => expect(Math.abs(v - want[i]), `${what}[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(F64_TOL * (1 + Math.abs(want[i]))));
      };
      close(Array.from(await out.data()), eager.out, `output at batch ${batch}`);
      for (const [k, dx] of dxs.entries()) {
        expect(dx.shape, `gradient ${k} shape at batch ${batch}`).toEqual(shapes[k]);
        close(Array.from(await dx.data()), eager.grads[k], `gradient ${k} at batch ${batch}`);
      }
    }
  });
});

describe('sizes known only at run time', () => {
  it('averages [[1 2 3] [4 5 6]] fed to a [null, 3] placeholder to 3.5, then [[1 2 3]] to 2', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [null, 3]);
    const sess = new Session(g);
    // (1+2+3+4+5+6) / 6 = 21/6 = 3.5; (1+2+3) / 3 = 2
    expect(await ((await sess.run(x.mean(), [[x, [[1, 2, 3], [4, 5, 6]]]])) as Tensor).item()).toBe(3.5);
    expect(await ((await sess.run(x.mean(), [[x, [[1, 2, 3]]]])) as Tensor).item()).toBe(2);
    sess.close();
  });

  it('keep shapes unknown while the graph is built, where they depend on the batch', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [null, 3]);
    const [dx] = gradients(x.narrow(0, 1, 1).sum(), [x]);
    expect(x.pad(0, 1, 2).shape).toEqual([null, 3]);
    expect(x.narrow(0, -2, 1).shape).toEqual([1, 3]);
    expect(dx.shape).toEqual([null, 3]);
    expect(x.mean(0).shape).toEqual([3]);
  });

  it('report a narrow that does not fit the fed batch when the plan is compiled', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [null, 3]);
    const sess = new Session(g);
    const tail = x.narrow(0, -2, 2);
    // A batch of 3 has room for the last two rows; a batch of 1 does not (start −2 + 1 = −1).
    expect(await ((await sess.run(tail.sum(), [[x, [[1, 1, 1], [2, 2, 2], [3, 3, 3]]]])) as Tensor).item()).toBe(15);
    await expect(sess.run(tail, [[x, [[1, 1, 1]]]])).rejects.toThrow(/narrow: got start -1 and length 2 on dim 0 of shape \[1, 3\]/);
    sess.close();
  });
});
