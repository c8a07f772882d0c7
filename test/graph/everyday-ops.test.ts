// Issue 11's everyday methods on graph nodes: the same builder run eagerly and through a Session
// gives the same values (both tensor kinds share TensorOps).
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { Graph, Session } from '../../src/graph/index.js';
import type { TensorOps } from '../../src/ops/methods.js';

type Build = <T extends TensorOps<T>>(x: T) => T;

const X = [[0.5, -1.5, 2.5, 3], [4, -0.25, 1, 1], [2, 2, -3, 0.75]];

const CASES: [string, Build][] = [
  ['max(1).values + min(0).indices', (x) => x.max(1).values.add(x.min(0).indices.sum())],
  ['amax / amin', (x) => x.amax(1).sub(x.amin(1))],
  ['var and std', (x) => x.var(1).add(x.std(0, { correction: 0 }).sum())],
  ['norm and prod', (x) => x.norm(2, 1).add(x.prod(1))],
  ['cumsum and cumprod', (x) => x.cumsum(1).add(x.cumprod(0))],
  ['sort and topk values', (x) => x.sort({ dim: 1, descending: true }).values.narrow(1, 0, 2).add(x.topk(2).values)],
  ['argsort', (x) => x.argsort({ dim: 0 }).to('float64')],
  ['tril, triu and flip', (x) => x.tril().add(x.triu(1).flip([0, 1]))],
  ['slice, roll and repeat', (x) => x.slice(1, 0, null, 2).roll(1, 0).repeat(1, 2)],
  ['sin, cos, erf, round, floor, isfinite', (x) => x.sin().add(x.cos()).add(x.erf()).add(x.round()).add(x.floor()).add(x.isfinite().to('float64'))],
  ['all and any', (x) => x.gt(0).all(1).to('float64').add(x.gt(3).any(1).to('float64'))],
];

describe('everyday ops on graph nodes', () => {
  it.each(CASES)('%s gives the eager values', async (_, build) => {
    const eager = build(tensor(X, { dtype: 'float64' }) as Tensor);
    const g = new Graph();
    const x = g.placeholder('float64', [3, 4]);
    const [out] = await new Session(g).run([build(x)], [[x, tensor(X, { dtype: 'float64' })]]);
    expect(Array.from(await (out as Tensor).data())).toEqual(Array.from(await eager.data()));
  });
});
