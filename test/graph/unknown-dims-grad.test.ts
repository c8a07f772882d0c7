// Gradients where graph-time shapes cannot tell: an x no y reaches (null, as TF1's None), an
// unknown dim fed as 1 and broadcast, and reshapes back to shapes with several unknown dims.
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { Graph, gradients, Session, type SymbolicTensor } from '../../src/graph/index.js';

const values = async (t: Tensor | null) => (t as Tensor).toArray();

describe('gradients', () => {
  it('gives null for an x that no y depends on', async () => {
    const g = new Graph();
    const a = g.placeholder('float32', [2], 'a');
    const v = g.variable([1, 2], { name: 'v' });
    const [ga, gv] = gradients(a.mul(3).sum(), [a, v]);
    expect(gv).toBeNull();
    expect(await values(await new Session(g).run(ga as SymbolicTensor, [[a, [5, 6]]]))).toEqual([3, 3]);
  });

  it('sums a broadcast away when an unknown dim is fed as 1', async () => {
    // a: [?, 3] fed as [1, 3], b: [4, 3]. d Σ(a·b)/da = Σ_rows b, of shape [1, 3].
    const g = new Graph();
    const a = g.placeholder('float32', [null, 3], 'a');
    const b = g.placeholder('float32', [4, 3], 'b');
    const [ga, gb] = gradients(a.mul(b).sum(), [a, b]) as SymbolicTensor[];
    const sess = new Session(g);
    const bv = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]];
    const [da, db] = await sess.run([ga, gb], [[a, [[1, 10, 100]]], [b, bv]]);
    expect(await values(da)).toEqual([[22, 26, 30]]);
    expect(await values(db)).toEqual(bv.map(() => [1, 10, 100]));
    // The same graph fed a full-size a: no sum.
    const [full] = await sess.run([ga], [[a, bv], [b, bv]]);
    expect(await values(full)).toEqual(bv);
  });

  it('broadcasts two inputs whose unknown dims turn out 1 in one and not in the other', async () => {
    // d: [?, ?] fed [1, 3], e: [?, ?] fed [2, 1]: d·e is [2, 3]; dΣ/dd = Σ_rows e (per column).
    const g = new Graph();
    const d = g.placeholder('float32', [null, null], 'd');
    const e = g.placeholder('float32', [null, null], 'e');
    const prod = d.mul(e);
    const [gd, ge] = gradients(prod.sum(), [d, e]) as SymbolicTensor[];
    const [p, dd, de] = await new Session(g).run([prod, gd, ge], [[d, [[1, 2, 3]]], [e, [[10], [20]]]]);
    expect(await values(p)).toEqual([[10, 20, 30], [20, 40, 60]]);
    expect(await values(dd)).toEqual([[30, 30, 30]]);
    expect(await values(de)).toEqual([[6], [6]]);
  });

  it('reshapes a gradient back to a shape with two unknown dims', async () => {
    const g = new Graph();
    const c = g.placeholder('float32', [null, null, 2], 'c');
    const w = g.placeholder('float32', [4], 'w');
    // c flattened to [?, 4] rows, weighted by w: dΣ/dc = w in every row, back in c's shape.
    const y = c.reshape([-1, 4]).mul(w).sum();
    const [gc] = gradients(y, [c]) as SymbolicTensor[];
    const feed = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).reshape([3, 2, 2]);
    const out = (await new Session(g).run(gc, [[c, feed], [w, [1, 2, 3, 4]]])) as Tensor;
    expect(out.shape).toEqual([3, 2, 2]);
    expect(await out.toArray()).toEqual([[[1, 2], [3, 4]], [[1, 2], [3, 4]], [[1, 2], [3, 4]]]);
  });
});
