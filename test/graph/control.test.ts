// whileLoop and cond: values against hand-worked loops, float64 central differences through
// both, the while loop's run-time trip count, and every error a user can provoke.
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, tensor, ValueError, type Tensor } from '../../src/index.js';
import { Graph, gradients, Session, type SymbolicTensor } from '../../src/graph/index.js';

const EPS = 1e-6;
const GRADCHECK_TOL = 1e-6;

const values = async (t: Tensor | null) => (t as Tensor).toArray();

async function flat(t: Tensor): Promise<number[]> {
  const v = (await t.contiguous().reshape([-1]).toArray()) as number[];
  return Array.isArray(v) ? v : [v];
}

/** Every element of every input: analytic gradient against a float64 central difference. */
async function gradcheck(g: Graph, loss: SymbolicTensor, inputs: [SymbolicTensor, number[]][]): Promise<void> {
  const sess = new Session(g);
  const feed = (vals: number[][]) => inputs.map(([n], i): [SymbolicTensor, Tensor] => [n, tensor(vals[i], { dtype: 'float64' }).reshape(n.shape as number[])]);
  const base = inputs.map(([, v]) => v);
  const grads = gradients(loss, inputs.map(([n]) => n));
  const analytic = await Promise.all((await sess.run(grads as SymbolicTensor[], feed(base))).map((t) => flat(t as Tensor)));
  const at = async (i: number, k: number, d: number) => {
    const vals = base.map((v) => [...v]);
    vals[i][k] += d;
    return (await ((await sess.run(loss, feed(vals))) as Tensor).item()) as number;
  };
  for (let i = 0; i < inputs.length; i++) {
    for (let k = 0; k < base[i].length; k++) {
      const numeric = ((await at(i, k, EPS)) - (await at(i, k, -EPS))) / (2 * EPS);
      expect(Math.abs(numeric - analytic[i][k])).toBeLessThanOrEqual(GRADCHECK_TOL * (1 + Math.abs(numeric)));
    }
  }
}

const int = (g: Graph, v: number) => g.constant(v, { dtype: 'int32' });

describe('whileLoop', () => {
  it('runs until cond is false, the trip count read at run time', async () => {
    const g = new Graph();
    const n = g.placeholder('int32', [], 'n');
    const x = g.placeholder('float32', [2], 'x');
    // x doubles n times: [1, 3] · 2ⁿ
    const [i, y] = g.whileLoop(([i]) => i.lt(n), ([i, v]) => [i.add(1), v.mul(2)], [int(g, 0), x]);
    const sess = new Session(g);
    for (const trips of [0, 1, 4]) {
      const [iv, yv] = await sess.run([i, y], [[n, trips], [x, [1, 3]]]);
      expect(await values(iv)).toBe(trips);
      expect(await values(yv)).toEqual([2 ** trips, 3 * 2 ** trips]);
    }
  });

  it('with maximumIterations stops at the limit or at cond, whichever comes first', async () => {
    const g = new Graph();
    const n = g.placeholder('int32', [], 'n');
    const x = g.placeholder('float32', [2], 'x');
    const [i, y] = g.whileLoop(([i]) => i.lt(n), ([i, v]) => [i.add(1), v.mul(2)], [int(g, 0), x], { maximumIterations: 3 });
    const sess = new Session(g);
    for (const [trips, expected] of [[1, 1], [2, 2], [7, 3]]) {
      const [iv, yv] = await sess.run([i, y], [[n, trips], [x, [1, 3]]]);
      expect(await values(iv)).toBe(expected);
      expect(await values(yv)).toEqual([2 ** expected, 3 * 2 ** expected]);
    }
  });

  it('with maximumIterations passes a float64 gradcheck', async () => {
    const g = new Graph();
    const x0 = g.placeholder('float64', [3], 'x0');
    const a = g.placeholder('float64', [3], 'a');
    // x ← tanh(a·x + 0.3) while Σx < 1.3, at most 4 times: Σx runs 0.20, 0.54, 1.16, 1.41, so cond
    // stops it after 3 trips (the 4th step is masked, and must pass no gradient).
    const [, x] = g.whileLoop(([, x]) => x.sum().lt(1.3), ([i, x]) => [i.add(1), x.mul(a).add(0.3).tanh()], [int(g, 0), x0], { maximumIterations: 4 });
    await gradcheck(g, x.mul(x).sum(), [[x0, [0.1, -0.2, 0.3]], [a, [0.9, 1.1, -0.7]]]);
  });
});

describe('cond', () => {
  it('yields the chosen branch, nests included', async () => {
    const g = new Graph();
    const p = g.placeholder('bool', []);
    const x = g.placeholder('float32', [2]);
    const [u, v] = g.cond(p, () => [x.mul(2), x.sum()], () => [x.neg(), x.max()]);
    const sess = new Session(g);
    expect(await Promise.all((await sess.run([u, v], [[p, true], [x, [1, 5]]])).map(values))).toEqual([[2, 10], 6]);
    expect(await Promise.all((await sess.run([u, v], [[p, false], [x, [1, 5]]])).map(values))).toEqual([[-1, -5], 5]);
  });

  it('runs only the chosen branch', async () => {
    const g = new Graph();
    const p = g.placeholder('bool', []);
    const x = g.placeholder('float32', [4]);
    // One pass when true; four unfused passes when false.
    const y = g.cond(p, () => x.mul(2), () => x.exp().sqrt().exp().sqrt());
    const sess = new Session(g, { fuse: false });
    const launches = async (pred: boolean) => {
      await sess.run(y, [[p, pred], [x, [1, 2, 3, 4]]]);
      return Number(/dispatches in the last run: (\d+) kernel launches/.exec(await sess.explain(y, [[p, pred], [x, [1, 2, 3, 4]]]))?.[1]);
    };
    const [taken, other] = [await launches(true), await launches(false)];
    expect(other - taken).toBe(3);
    expect(await sess.explain(y, [[p, true], [x, [1, 2, 3, 4]]])).toMatch(/cond cond_\d+\(.*\) runs one branch[\s\S]*true branch, compiled once[\s\S]*false branch, compiled once/);
  });

  it.each([true, false])('passes a float64 gradcheck with pred %s', async (taken) => {
    const g = new Graph();
    const x = g.placeholder('float64', [3], 'x');
    const w = g.placeholder('float64', [3], 'w');
    const pred = g.constant(taken);
    const y = g.cond(pred, () => x.mul(w).tanh(), () => x.exp().mul(w.mul(w)));
    await gradcheck(g, y.sum(), [[x, [0.2, -0.4, 0.6]], [w, [1.5, -0.5, 0.25]]]);
  });

  it.each([
    [true, true],
    [true, false],
    [false, true],
  ])('nested in a branch, passes a float64 gradcheck with preds %s, %s', async (outer, inner) => {
    const g = new Graph();
    const x = g.placeholder('float64', [3], 'x');
    const w = g.placeholder('float64', [3], 'w');
    const y = g.cond(g.constant(outer), () => g.cond(g.constant(inner), () => x.mul(w).sigmoid(), () => x.add(w).tanh()).mul(x), () => w.exp().mul(x));
    await gradcheck(g, y.sum(), [[x, [0.2, -0.4, 0.6]], [w, [1.5, -0.5, 0.25]]]);
  });
});

describe('errors', () => {
  const g = new Graph();
  const x = g.placeholder('float32', [3, 2], 'x');

  it('cond with a pred that is not a 0-d bool', () => {
    expect(() => g.cond(x.sum(), () => x, () => x)).toThrow(DTypeError);
    expect(() => g.cond(x.sum(), () => x, () => x)).toThrow(/^cond: got pred of dtype float32, expected bool/);
    expect(() => g.cond(x.gt(0), () => x, () => x)).toThrow(ShapeError);
    expect(() => g.cond(x.gt(0), () => x, () => x)).toThrow(/^cond: got pred of shape \[3, 2\], expected a 0-d bool/);
  });

  it('cond with branches of different nests, shapes or dtypes', () => {
    const p = x.sum().gt(0);
    expect(() => g.cond(p, () => [x, x] as SymbolicTensor[], () => [x])).toThrow(ValueError);
    expect(() => g.cond(p, () => [x, x] as SymbolicTensor[], () => [x])).toThrow(/^cond: trueFn returned \[a tensor, a tensor\] and falseFn \[a tensor\], expected the same nesting/);
    expect(() => g.cond(p, () => x, () => x.sum())).toThrow(/^cond: result 0 has shape \[3, 2\] in trueFn and \[\] in falseFn, expected equal shapes/);
    expect(() => g.cond(p, () => x, () => x.gt(0))).toThrow(/^cond: result 0 has dtype float32 in trueFn and bool in falseFn, expected equal dtypes/);
  });

  it('whileLoop with a cond that is not a 0-d bool, or a bad maximumIterations', () => {
    expect(() => g.whileLoop((v) => v.sum(), (v) => v, x)).toThrow(/^whileLoop: cond gave float32 of shape \[\], expected a 0-d bool/);
    expect(() => g.whileLoop((v) => v.sum().gt(0), (v) => v, x, { maximumIterations: -1 })).toThrow(/^whileLoop: got maximumIterations -1, expected a non-negative integer/);
    expect(() => g.whileLoop((v: SymbolicTensor[]) => v[0].sum().gt(0), (v) => [v[0]], [x, x])).toThrow(/^whileLoop: body returned \[a tensor\] for loopVars of \[a tensor, a tensor\], expected the same nesting/);
  });

  it('scan with a body of another nest, 0-d elems, elems of two lengths, or an assign in the body', () => {
    const acc = g.zeros([2]);
    expect(() => g.scan(() => [acc, acc] as never, x, acc)).toThrow(/^scan: the body returned \[a tensor, a tensor\] for an accumulator of a tensor, expected the same nesting/);
    expect(() => g.scan((a) => a, x.sum(), acc)).toThrow(ShapeError);
    expect(() => g.scan((a) => a, x.sum(), acc)).toThrow(/^scan: got elems of shape \[\], expected rank ≥ 1/);
    const y = g.placeholder('float32', [4, 2]);
    expect(() => g.scan((a: SymbolicTensor) => a, [x, y], acc)).toThrow(/^scan: got elems of lengths \[3, 2\], \[4, 2\], expected one length along dim 0/);
    const v = g.variable(g.zeros([2]));
    expect(() => g.scan((a, e: SymbolicTensor) => v.assign(a.add(e)), x, acc)).toThrow(/^scan: the body builds assign_\S+ \(assign\) on the loop's arguments; expected pure ops/);
    expect(() => g.scan((a) => a, [] as SymbolicTensor[], acc)).toThrow(/^scan: got no tensors in elems, expected at least one/);
  });
});

describe('errors found when the graph is compiled or built', () => {
  it('a scan body of another shape, and elems of two lengths fed', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [3, 2], 'x');
    expect(() => g.scan((a: SymbolicTensor) => a.sum(), x, g.zeros([2]))).toThrow(ShapeError);
    expect(() => g.scan((a: SymbolicTensor) => a.sum(), x, g.zeros([2]))).toThrow(/^scan: the body gave shape \[\] for an accumulator of shape \[2\], expected equal shapes/);
    const a = g.placeholder('float32', [null, 2], 'a');
    const b = g.placeholder('float32', [null, 2], 'b');
    const out = g.scan((acc: SymbolicTensor, [u, v]: SymbolicTensor[]) => acc.add(u.mul(v)), [a, b], g.zeros([2]));
    await expect(new Session(g).run(out, [[a, [[1, 2]]], [b, [[1, 2], [3, 4]]]])).rejects.toThrow(/^scan: got elems of shapes \[1, 2\], \[2, 2\], expected one length along dim 0/);
  });

  it('a cond branch that assigns, or branches whose shapes differ for the feeds', async () => {
    const g = new Graph();
    const p = g.placeholder('bool', []);
    const v = g.variable([1, 2], { name: 'v' });
    expect(() => g.cond(p, () => v.assign(v.mul(2)), () => v)).toThrow(ValueError);
    expect(() => g.cond(p, () => v.assign(v.mul(2)), () => v)).toThrow(/^cond: a branch builds assign_v \(assign\); expected branches of pure values/);
    const x = g.placeholder('float32', [null], 'x');
    const y = g.placeholder('float32', [null], 'y');
    const r = g.cond(p, () => x.mul(2), () => y.mul(2));
    await expect(new Session(g).run(r, [[p, true], [x, [1, 2]], [y, [1, 2, 3]]])).rejects.toThrow(/^cond: result 0 has shape \[2\] in trueFn and \[3\] in falseFn for these feeds, expected equal shapes/);
  });

  it('a scan body of another dtype, or a nest holding something other than tensors', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [3, 2], 'x');
    expect(() => g.scan((a: SymbolicTensor) => a.gt(0), x, g.zeros([2]))).toThrow(DTypeError);
    expect(() => g.scan((a: SymbolicTensor) => a.gt(0), x, g.zeros([2]))).toThrow(/^scan: the body gave dtype bool for an accumulator of dtype float32, expected equal dtypes/);
    expect(() => g.scan((a) => a, [x, 3] as never, g.zeros([2]))).toThrow(/^scan: got number in a nest, expected tensors or \(nested\) arrays of tensors/);
  });

  it('a cond inside a loop body', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [3, 2], 'x');
    expect(() => g.scan((a: SymbolicTensor, e: SymbolicTensor) => g.cond(e.sum().gt(0), () => a.add(e), () => a), x, g.zeros([2]))).toThrow(/^scan: the body builds cond_\d+ \(cond\) on the loop's arguments; expected pure ops/);
  });
});
