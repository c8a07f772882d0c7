// scan with gradients (back-propagation through time): the same recurrent cell, written once over
// TensorOps, runs eagerly in a JavaScript loop and as a graph scan; gradients must agree, bits
// must not depend on the thread count, and float64 central differences must match.
import { afterAll, describe, expect, it } from 'vitest';
import { setNumThreads, stack, tensor, type Tensor } from '../../src/index.js';
import { Graph, gradients, Session, type SymbolicTensor } from '../../src/graph/index.js';
import type { TensorOps } from '../../src/ops/methods.js';
import { prng } from '../support/inputs.js';

/** float32: the two modes sum the same products in the same order, up to fused rounding. */
const F32_RTOL = 1e-4;
const F32_ATOL = 1e-5;
const EPS = 1e-6;
const GRADCHECK_TOL = 1e-6;

const T = 5;
const B = 3;
const D = 4;
const H = 6;

function draw(n: number, seed: number, scale = 0.5): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** h' = tanh(x·Wx + h·Wh + b) */
function rnnCell<X extends TensorOps<X>>(h: X, x: X, [wx, wh, b]: X[]): X {
  return x.matmul(wx).add(h.matmul(wh)).add(b).tanh();
}

/** LSTM: i, f, g, o from one product; c' = f·c + i·g, h' = o·tanh(c'). */
function lstmCell<X extends TensorOps<X>>([h, c]: X[], x: X, [wx, wh, b]: X[]): X[] {
  const z = x.matmul(wx).add(h.matmul(wh)).add(b);
  const gate = (k: number) => z.narrow(1, k * H, H);
  const i = gate(0).sigmoid();
  const f = gate(1).sigmoid();
  const g = gate(2).tanh();
  const o = gate(3).sigmoid();
  const c2 = f.mul(c).add(i.mul(g));
  return [o.mul(c2.tanh()), c2];
}

interface Problem {
  name: string;
  gates: number;
  states: number;
  reverse: boolean;
}

const PROBLEMS: Problem[] = [
  { name: 'a tensor state', gates: 1, states: 1, reverse: false },
  { name: 'an [h, c] state', gates: 4, states: 2, reverse: false },
  { name: 'a tensor state, reverse', gates: 1, states: 1, reverse: true },
];

function data(p: Problem, dtype: 'float32' | 'float64') {
  const opts = { dtype };
  return {
    xs: tensor(draw(T * B * D, 1, 1), opts).reshape([T, B, D]),
    weights: [tensor(draw(D * H * p.gates, 2), opts).reshape([D, H * p.gates]), tensor(draw(H * H * p.gates, 3), opts).reshape([H, H * p.gates]), tensor(draw(H * p.gates, 4), opts)],
    inits: Array.from({ length: p.states }, (_, k) => tensor(draw(B * H, 5 + k), opts).reshape([B, H])),
    /** Weights each step's state, so every step's output carries gradient. */
    readout: Array.from({ length: p.states }, (_, k) => tensor(draw(T * B * H, 9 + k), opts).reshape([T, B, H])),
  };
}

function step<X extends TensorOps<X>>(p: Problem, state: X[], x: X, weights: X[]): X[] {
  return p.states === 1 ? [rnnCell(state[0], x, weights)] : lstmCell(state, x, weights);
}

/** Eager BPTT: a JavaScript loop, then backward. */
async function eagerGrads(p: Problem, dtype: 'float32' | 'float64'): Promise<number[][]> {
  const d = data(p, dtype);
  const leaves = [d.xs, ...d.weights, ...d.inits].map((t) => {
    t.requiresGrad = true;
    return t;
  });
  const per: Tensor[][] = d.inits.map(() => new Array<Tensor>(T));
  let state = d.inits;
  for (let s = 0; s < T; s++) {
    const t = p.reverse ? T - 1 - s : s;
    state = step(p, state, d.xs.narrow(0, t, 1).squeeze(0), d.weights);
    state.forEach((h, k) => (per[k][t] = h));
  }
  let loss = stack(per[0]).mul(d.readout[0]).sum();
  for (let k = 1; k < p.states; k++) loss = loss.add(stack(per[k]).mul(d.readout[k]).sum());
  loss.backward();
  return Promise.all(leaves.map((l) => flat(l.grad as Tensor)));
}

/** The graph: one scan, then gradients() back through it. */
function buildGraph(p: Problem, dtype: 'float32' | 'float64') {
  const d = data(p, dtype);
  const g = new Graph();
  const xs = g.placeholder(dtype, [null, B, D], 'xs');
  const weights = d.weights.map((w, i) => g.variable(w, { name: `w${i}` }));
  const inits = d.inits.map((h, k) => g.placeholder(dtype, [B, H], `h0_${k}`));
  const readout = d.readout.map((r) => g.constant(r));
  const outs = g.scan((state: SymbolicTensor[], x: SymbolicTensor) => step(p, state, x, weights), xs, inits, { reverse: p.reverse });
  let loss = outs[0].mul(readout[0]).sum();
  for (let k = 1; k < p.states; k++) loss = loss.add(outs[k].mul(readout[k]).sum());
  const wrt = [xs, ...weights, ...inits];
  const grads = gradients(loss, wrt) as SymbolicTensor[];
  const feeds: [SymbolicTensor, Tensor][] = [[xs, d.xs], ...inits.map((h, k): [SymbolicTensor, Tensor] => [h, d.inits[k]])];
  return { g, loss, grads, feeds, xs, weights, inits, d };
}

async function graphGrads(p: Problem, dtype: 'float32' | 'float64'): Promise<number[][]> {
  const { g, grads, feeds } = buildGraph(p, dtype);
  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());
  const out = await sess.run(grads, feeds);
  return Promise.all(out.map(async (t) => flat(t as Tensor)));
}

async function flat(t: Tensor): Promise<number[]> {
  const v = (await t.contiguous().reshape([-1]).toArray()) as number[];
  return Array.isArray(v) ? v : [v];
}

afterAll(() => setNumThreads(2));

describe.each(PROBLEMS)('scan gradients with $name', (p) => {
  it('equal eager BPTT gradients within float32 tolerance', async () => {
    const eager = await eagerGrads(p, 'float32');
    const graph = await graphGrads(p, 'float32');
    expect(graph.length).toBe(eager.length);
    graph.forEach((gr, i) => {
      expect(gr.length).toBe(eager[i].length);
      gr.forEach((v, k) => expect(Math.abs(v - eager[i][k])).toBeLessThanOrEqual(F32_ATOL + F32_RTOL * Math.abs(eager[i][k])));
    });
  });

  it('give the same bits on 1 and 2 threads', async () => {
    setNumThreads(1);
    const one = await graphGrads(p, 'float32');
    setNumThreads(2);
    const two = await graphGrads(p, 'float32');
    expect(two).toEqual(one);
  });

  it('match float64 central differences', async () => {
    const { g, loss, grads, feeds, weights } = buildGraph(p, 'float64');
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    const analytic = await Promise.all((await sess.run(grads, feeds)).map((t) => flat(t as Tensor)));
    // Perturb one element of each input at a time through a feed of its own.
    const lossAt = async (which: number, k: number, delta: number): Promise<number> => {
      const base = which === 0 ? feeds[0][1] : which <= weights.length ? null : feeds[which - weights.length][1];
      if (base === null) {
        const w = weights[which - 1];
        const values = await flat((await sess.run(w)) as Tensor);
        values[k] += delta;
        const nudged = await sess.run(loss, [...feeds, [w, tensor(values, { dtype: 'float64' }).reshape(w.shape as number[])]]);
        return (await (nudged as Tensor).item()) as number;
      }
      const values = await flat(base);
      values[k] += delta;
      const swapped = feeds.map(([n, v]): [SymbolicTensor, Tensor] => [n, v === base ? tensor(values, { dtype: 'float64' }).reshape(base.shape) : v]);
      return (await ((await sess.run(loss, swapped)) as Tensor).item()) as number;
    };
    for (let which = 0; which < analytic.length; which++) {
      for (const k of [0, Math.floor(analytic[which].length / 2), analytic[which].length - 1]) {
        const numeric = ((await lossAt(which, k, EPS)) - (await lossAt(which, k, -EPS))) / (2 * EPS);
        expect(Math.abs(numeric - analytic[which][k])).toBeLessThanOrEqual(GRADCHECK_TOL * (1 + Math.abs(numeric)));
      }
    }
  });
});

describe('scan', () => {
  it('takes nested elems, and explain shows the body compiled once, run T times', async () => {
    const g = new Graph();
    const a = g.placeholder('float32', [null, 2], 'a');
    const b = g.placeholder('float32', [null, 2], 'b');
    // acc ← acc + a_t·b_t, and a second accumulator counting steps: [[1·5, 2·6], [1·5+3·7, 2·6+4·8]]
    const [dots, steps] = g.scan(([acc, n]: SymbolicTensor[], [u, v]: SymbolicTensor[]) => [acc.add(u.mul(v)), n.add(1)], [a, b], [g.zeros([2]), g.zeros([])]);
    const sess = new Session(g);
    const feeds: [SymbolicTensor, number[][]][] = [[a, [[1, 2], [3, 4]]], [b, [[5, 6], [7, 8]]]];
    const [d, n] = await sess.run([dots, steps], feeds);
    expect(await (d as Tensor).toArray()).toEqual([[5, 12], [26, 44]]);
    expect(await (n as Tensor).toArray()).toEqual([1, 2]);
    const [ga] = gradients(dots.sum(), [a]) as SymbolicTensor[];
    // d Σ_t Σ_s≤t a_s·b_s / d a_s = (T − s)·b_s
    expect(await ((await sess.run(ga, feeds)) as Tensor).toArray()).toEqual([[10, 12], [7, 8]]);
    expect(await sess.explain([dots, steps], feeds)).toMatch(/scan scan_\d+\(a, b, .*\) × 2 steps, writing [\s\S]*body, compiled once:/);
  });
});
