// Session.run: feeds in every accepted form, fetches in every shape, variables that persist,
// assigns, groups, stopGradient, scan, random draws — and every error a user can provoke.
import { describe, expect, it } from 'vitest';
import { AutogradError, DTypeError, manualSeed, randn, ShapeError, SkeinError, tensor, type Tensor } from '../../src/index.js';
import { ClosedSessionError, Graph, GraphMismatchError, gradients, MissingFeedError, Session, UninitializedVariableError } from '../../src/graph/index.js';
import { opaque } from '../support/opaque-op.js';

const values = async (t: Tensor | null) => (t as Tensor).toArray();

describe('feeds and fetches', () => {
  const g = new Graph();
  const x = g.placeholder('float32', [null, 2], 'x');
  const doubled = x.mul(2);
  const total = x.sum();
  const sess = new Session(g);

  it.each([
    ['nested arrays', [[1, 2], [3, 4]]],
    ['a Float32Array (the unknown dim inferred from its length)', new Float32Array([1, 2, 3, 4])],
    ['a Skein tensor', tensor([[1, 2], [3, 4]])],
    ['a non-contiguous Skein tensor', tensor([[1, 3], [2, 4]]).t()],
  ])('accepts %s', async (_, value) => {
    expect(await values(await sess.run(doubled, [[x, value as Tensor]]))).toEqual([[2, 4], [6, 8]]);
  });

  it('accepts a Map of feeds and returns an array, or a record, of results', async () => {
    const feeds = new Map([[x, [[1, 2]]]]);
    const [a, b] = await sess.run([doubled, total], feeds);
    expect([await values(a), await values(b)]).toEqual([[[2, 4]], 3]);
    const r = await sess.run({ doubled, total }, feeds);
    expect([await values(r.doubled), await values(r.total)]).toEqual([[[2, 4]], 3]);
  });

  it('compiles a plan per feed shape, so the unknown batch size can change between runs', async () => {
    expect(await values(await sess.run(total, [[x, [[1, 2]]]]))).toBe(3);
    expect(await values(await sess.run(total, [[x, [[1, 2], [3, 4], [5, 6]]]]))).toBe(21);
  });

  it('averages over an unknown batch dim with the size fed at run time', async () => {
    const m = x.pow(2).mean(0);
    // column means of [[1 2] [3 4] [5 6]]²: (1 + 9 + 25) / 3 and (4 + 16 + 36) / 3
    const r = (await values(await sess.run(m, [[x, [[1, 2], [3, 4], [5, 6]]]]))) as number[];
    expect(r.map((v) => Math.fround(v))).toEqual([Math.fround(35 / 3), Math.fround(56 / 3)]);
    expect(await values(await sess.run(x.mean(), [[x, [[1, 2]]]]))).toBe(1.5);
  });

  it('returns results the next run does not overwrite', async () => {
    const first = await sess.run(doubled, [[x, [[1, 1]]]]);
    await sess.run(doubled, [[x, [[5, 5]]]]);
    expect(await values(first)).toEqual([[2, 2]]);
  });

  it('fetches a group as null', async () => {
    expect(await sess.run(g.noOp())).toBeNull();
  });
});

describe('variables', () => {
  it('persist across runs and take assign, assignAdd and assignSub', async () => {
    const g = new Graph();
    const v = g.variable([1, 2], { name: 'v' });
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    await sess.run(v.assignAdd(g.constant([10, 10])));
    expect(await values(await sess.run(v))).toEqual([11, 12]);
    await sess.run(v.assignSub(1));
    expect(await values(await sess.run(v))).toEqual([10, 11]);
    expect(await values(await sess.run(v.assign(v.mul(v))))).toEqual([100, 121]);
  });

  it('live in their session: two sessions of one graph keep separate values', async () => {
    const g = new Graph();
    const v = g.variable([1]);
    const a = new Session(g);
    const b = new Session(g);
    await a.run(v.initializer);
    await b.run(v.initializer);
    await a.run(v.assignAdd(5));
    expect([await values(await a.run(v)), await values(await b.run(v))]).toEqual([[6], [1]]);
  });

  it('are read before the assigns of the same run that do not depend on the read', async () => {
    const g = new Graph();
    const v = g.variable([3]);
    const read = v.mul(1);
    const write = v.assign(g.constant([7]));
    const sess = new Session(g);
    await sess.run(v.initializer);
    const [old] = await sess.run([read, write]);
    expect(await values(old)).toEqual([3]);
    expect(await values(await sess.run(v))).toEqual([7]);
  });

  it('take initial values from random draws, an eager tensor or a function', async () => {
    manualSeed(3);
    const expected = await randn([2, 2]).toArray();
    manualSeed(3);
    const g = new Graph();
    const a = g.variable(g.randomNormal([2, 2]));
    const b = g.variable(tensor([5, 6]), { trainable: false });
    const c = g.variable(() => [1, 2, 3]);
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    expect(await values(await sess.run(a))).toEqual(expected);
    expect(await values(await sess.run(b))).toEqual([5, 6]);
    expect(await values(await sess.run(c))).toEqual([1, 2, 3]);
    expect(g.trainableVariables()).toEqual([a, c]);
  });
});

describe('graph nodes', () => {
  it('draw fresh random values on every run', async () => {
    const g = new Graph();
    const r = g.randomUniform([4], { mean: 10, stddev: 2 });
    const sess = new Session(g);
    const [a, b] = [await values(await sess.run(r)), await values(await sess.run(r))];
    expect(a).not.toEqual(b);
    for (const v of [...(a as number[]), ...(b as number[])]) expect(v >= 10 && v < 12).toBe(true);
  });

  it('stop gradients at stopGradient', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2]);
    const y = x.mul(x).add(g.stopGradient(x.mul(x)));
    const [dx] = gradients(y.sum(), [x]);
    // d/dx (x² + stop(x²)) = 2x
    expect(await values(await new Session(g).run(dx, [[x, [3, -1]]]))).toEqual([6, -2]);
  });

  it('loop with scan, capturing nodes from outside the body', async () => {
    const g = new Graph();
    const xs = g.placeholder('float32', [null, 3]);
    const scale = g.placeholder('float32', []);
    // acc ← acc·scale + x: a running, decaying sum.
    const out = g.scan((acc, x) => acc.mul(scale).add(x), xs, g.zeros([3]));
    const r = await new Session(g).run(out, [[xs, [[1, 2, 3], [10, 20, 30], [100, 200, 300]]], [scale, 0.5]]);
    expect(await values(r)).toEqual([
      [1, 2, 3],
      [10.5, 21, 31.5],
      [105.25, 210.5, 315.75],
    ]);
  });
});

describe('errors', () => {
  it('reading an uninitialized variable', async () => {
    const g = new Graph();
    const v = g.variable([1, 2], { name: 'w' });
    const sess = new Session(g);
    await expect(sess.run(v.mul(2))).rejects.toThrow(UninitializedVariableError);
    await expect(sess.run(v)).rejects.toThrow(/variable w \(shape \[2\]\): read before it was initialized/);
  });

  it('a feed of the wrong shape', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [null, 3], 'x');
    const sess = new Session(g);
    await expect(sess.run(x.sum(), [[x, [[1, 2]]]])).rejects.toThrow(ShapeError);
    await expect(sess.run(x.sum(), [[x, [[1, 2]]]])).rejects.toThrow('feed for x: got shape [1, 2], expected [?, 3]');
    await expect(sess.run(x.sum(), [[x, new Float32Array(4)]])).rejects.toThrow('feed for x: got a typed array of 4 elements, expected a multiple of 3 for shape [?, 3]');
  });

  it('a feed of the wrong dtype', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2], 'x');
    const sess = new Session(g);
    await expect(sess.run(x.sum(), [[x, tensor([1, 2], { dtype: 'int32' })]])).rejects.toThrow(DTypeError);
    await expect(sess.run(x.sum(), [[x, new Float64Array(2)]])).rejects.toThrow('feed for x: got a Float64Array, expected the typed array of dtype float32');
  });

  it('a missing feed', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2], 'x');
    await expect(new Session(g).run(x.exp())).rejects.toThrow(MissingFeedError);
    await expect(new Session(g).run(x.exp())).rejects.toThrow(/placeholder x .*no value was fed/);
  });

  it('a fetch, a feed or an operand from another graph', async () => {
    const g = new Graph();
    const h = new Graph();
    const a = g.placeholder('float32', [2]);
    const b = h.placeholder('float32', [2]);
    await expect(new Session(g).run(b)).rejects.toThrow(GraphMismatchError);
    await expect(new Session(g).run(a, [[b, [1, 2]]])).rejects.toThrow(GraphMismatchError);
    expect(() => a.add(b)).toThrow(GraphMismatchError);
  });

  it('a closed session', async () => {
    const g = new Graph();
    const sess = new Session(g);
    sess.close();
    await expect(sess.run(g.noOp())).rejects.toThrow(ClosedSessionError);
  });

  it('a shape mismatch, raised when the node is built and naming the op and shapes', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [null, 3]);
    const w = g.variable(randn([4, 5]));
    expect(() => x.matmul(w)).toThrow(ShapeError);
    expect(() => x.matmul(w)).toThrow("matmul: got shapes [?, 3] and [4, 5], expected a's last dim (3) to equal b's second-to-last (4)");
    expect(() => w.assign(g.constant([1, 2]))).toThrow('assign: got a value of shape [2] for variable');
  });

  it('a gradient path through a non-differentiable op', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2]);
    expect(() => gradients(x.applyOp(opaque, [x], {}).mul(x).sum(), [x])).toThrow(AutogradError);
    expect(() => gradients(x.applyOp(opaque, [x], {}).mul(x).sum(), [x])).toThrow(/^opaque: has no gradient/);
  });

  it('gradients through a whileLoop without maximumIterations', () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2]);
    const [, y] = g.whileLoop(([i]) => i.lt(3), ([i, v]) => [i.add(1), v.mul(2)], [g.constant(0, { dtype: 'int32' }), x]);
    expect(() => gradients(y.sum(), [x])).toThrow(AutogradError);
    expect(() => gradients(y.sum(), [x])).toThrow(/^whileLoop \(while_\d+\): has no gradient without maximumIterations/);
  });

  it('every one of them is a SkeinError', () => {
    for (const E of [UninitializedVariableError, MissingFeedError, GraphMismatchError, ClosedSessionError]) expect(new E('m')).toBeInstanceOf(SkeinError);
  });
});
