// The compiler behind Session.run: pruning, CSE, constant folding, fusion (same bits as unfused,
// fewer launches), liveness-based buffer reuse (read from the allocator's counters), and explain.
import { describe, expect, it } from 'vitest';
import { randn, runtimeStats, storageStats, tensor, type Tensor } from '../../src/index.js';
import { compile, type FeedSpec } from '../../src/graph/compile.js';
import { Graph, Session, type SymbolicTensor } from '../../src/graph/index.js';
import type { CompileOptions } from '../../src/graph/plan.js';

const ALL_ON: CompileOptions = { fold: true, cse: true, fuse: true, reuseBuffers: true };

function specs(feeds: [SymbolicTensor, Tensor][]): Map<SymbolicTensor, FeedSpec> {
  return new Map(feeds.map(([n, t]) => [n, { shape: t.shape, dtype: t.dtype }]));
}

function bitsOf(t: Tensor | null): Promise<Uint8Array> {
  return (t as Tensor).data().then((d) => new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
}

/** Eleven elementwise ops over float32, with transcendental maths where rounding shows. */
function floatChain(g: Graph) {
  const x = g.placeholder('float32', [null, 33]);
  const y = g.placeholder('float32', [null, 33]);
  const out = x.mul(1.7).add(y).exp().sub(1).tanh().mul(x).div(y.abs().add(0.5)).sigmoid().sqrt().log().neg();
  return { x, y, out };
}

describe('fusion', () => {
  it('turns an elementwise chain into one kernel pass', async () => {
    const g = new Graph();
    const { x, y, out } = floatChain(g);
    const feeds: [SymbolicTensor, Tensor][] = [[x, randn([5, 33])], [y, randn([5, 33])]];
    const plan = await compile([out], specs(feeds), ALL_ON);
    expect(plan.steps).toHaveLength(1);
    const [step] = plan.steps;
    expect(step.kind).toBe('fused');
    expect(step.kind === 'fused' && step.members.length).toBe(13);
  });

  it.each([
    ['float32', (g: Graph) => floatChain(g)],
    [
      'int32 and bool',
      (g: Graph) => {
        const x = g.placeholder('float32', [null, 33]);
        const y = g.placeholder('float32', [null, 33]);
        const k = x.mul(100).to('int32');
        const keep = k.mul(3).add(k).neg().maximum(-50).gt(y.mul(10).to('int32')).logicalNot();
        const out = x.mul(3).exp().where(keep, y.abs().sqrt());
        return { x, y, out };
      },
    ],
  ])('gives the same bits as the unfused ops (%s)', async (_, build) => {
    const results: Uint8Array[] = [];
    for (const fuse of [true, false]) {
      const g = new Graph();
      const { x, y, out } = build(g);
      const sess = new Session(g, { fuse });
      const [r] = await sess.run([out], [[x, tensor(Array.from({ length: 7 * 33 }, (_, i) => Math.sin(i * 0.37) * 3)).reshape([7, 33])], [y, tensor(Array.from({ length: 7 * 33 }, (_, i) => Math.cos(i * 0.11) * 2)).reshape([7, 33])]]);
      results.push(await bitsOf(r));
    }
    expect(results[0].length).toBeGreaterThan(0);
    expect(Buffer.compare(results[0], results[1])).toBe(0);
  });

  it('makes fewer kernel launches than the unfused plan', async () => {
    const launches: number[] = [];
    for (const fuse of [true, false]) {
      const g = new Graph();
      const { x, y, out } = floatChain(g);
      const sess = new Session(g, { fuse });
      const feeds: [SymbolicTensor, Tensor][] = [[x, randn([5, 33])], [y, randn([5, 33])]];
      await sess.run(out, feeds);
      const before = runtimeStats();
      await sess.run(out, feeds);
      const after = runtimeStats();
      launches.push(after.inlineLaunches + after.poolLaunches - before.inlineLaunches - before.poolLaunches);
    }
    expect(launches).toEqual([1, 13]);
  });

  it('writes an SGD update straight into the variable it assigns', async () => {
    const g = new Graph();
    const w = g.variable(tensor([1, 2, 3, 4]), { name: 'w' });
    const grad = g.placeholder('float32', [4]);
    const update = w.assign(w.sub(grad.mul(0.5)));
    const plan = await compile([update], new Map([[grad, { shape: [4], dtype: 'float32' as const }]]), ALL_ON);
    const writes = plan.steps.filter((s) => s.kind === 'fused' && s.target === w);
    expect(writes).toHaveLength(1);
    expect(plan.steps.filter((s) => s.kind === 'assign')).toHaveLength(0);
    const sess = new Session(g);
    await sess.run(w.initializer);
    await sess.run(update, [[grad, tensor([2, 2, 2, 2])]]);
    // w − 0.5·g = [1, 2, 3, 4] − 1
    expect(await (await sess.run(w))!.toArray()).toEqual([0, 1, 2, 3]);
  });

  it('leaves large float32 ops with a WASM loop unfused, still writing the update in place', async () => {
    // The tutorial's w1 update, 1000×100: lr·g and w − (lr·g) each run as one SIMD pass,
    // faster than one fused JavaScript pass; the subtraction still writes w itself.
    const g = new Graph();
    const w = g.variable(randn([1000, 100]), { name: 'w' });
    const grad = g.placeholder('float32', [1000, 100]);
    const update = w.assign(w.sub(grad.mul(1e-3)));
    const feeds = new Map([[grad, { shape: [1000, 100], dtype: 'float32' as const }]]);
    const plan = await compile([update], feeds, ALL_ON);
    const kinds = plan.steps.map((st) => (st.kind === 'fused' ? `fused:${st.members.length}:${st.target === w ? 'w' : '-'}` : st.kind));
    expect(kinds).toEqual(['op', 'fused:1:w', 'copy']); // the copy: the fetched assign's value (TF semantics)
    // The same graph at a size below the threshold stays one fused pass.
    const small = new Graph();
    const ws = small.variable(randn([10, 10]));
    const gs = small.placeholder('float32', [10, 10]);
    const smallPlan = await compile([ws.assign(ws.sub(gs.mul(1e-3)))], new Map([[gs, { shape: [10, 10], dtype: 'float32' as const }]]), ALL_ON);
    expect(smallPlan.steps.map((st) => (st.kind === 'fused' ? st.members.length : st.kind))).toEqual([2, 'copy']);
    // And the unfused update gives the bits of the eager one.
    const sess = new Session(g);
    await sess.run(w.initializer);
    const before = (await (await sess.run(w))!.data()).slice() as Float32Array;
    const gradValue = randn([1000, 100]);
    await sess.run(update, [[grad, gradValue]]);
    const after = (await (await sess.run(w))!.data()) as Float32Array;
    const eager = (await tensor(before).reshape([1000, 100]).sub(gradValue.mul(1e-3)).data()) as Float32Array;
    expect(Buffer.from(after.buffer, after.byteOffset, after.byteLength).equals(Buffer.from(eager.buffer, eager.byteOffset, eager.byteLength))).toBe(true);
  });
});

describe('buffer reuse', () => {
  /** Five chained matmuls: each temporary dies as the next is made, so two buffers suffice. */
  function chain() {
    const g = new Graph();
    const x = g.placeholder('float32', [64, 64]);
    let h = x;
    for (let i = 0; i < 5; i++) h = h.matmul(g.constant(randn([64, 64]))).div(8);
    return { g, x, out: h.sum() };
  }

  async function allocated(reuseBuffers: boolean): Promise<{ first: number; steady: number }> {
    const { g, x, out } = chain();
    const sess = new Session(g, { reuseBuffers });
    const feeds: [SymbolicTensor, Tensor][] = [[x, randn([64, 64])]];
    await sess.explain(out, feeds); // compile first: folding allocates too
    const a = storageStats().allocatedBytes;
    await sess.run(out, feeds);
    const b = storageStats().allocatedBytes;
    await sess.run(out, feeds);
    const c = storageStats().allocatedBytes;
    return { first: b - a, steady: c - b };
  }

  it('allocates fewer bytes per run than one buffer per temporary', async () => {
    const reuse = await allocated(true);
    const fresh = await allocated(false);
    // Without reuse every run allocates all 5 matmul outputs (16 KiB each) and 4 fused outputs;
    // with reuse the first run allocates the arena once and later runs only the fetched loss.
    expect(fresh.steady).toBeGreaterThanOrEqual(5 * 64 * 64 * 4);
    expect(reuse.first).toBeLessThan(fresh.first);
    expect(reuse.steady).toBeLessThan(fresh.steady);
    expect(reuse.steady).toBeLessThanOrEqual(64);
  });

  it('plans fewer arena bytes than the temporaries would take, with the same result', async () => {
    const { g, x, out } = chain();
    const feeds: [SymbolicTensor, Tensor][] = [[x, randn([64, 64])]];
    const plan = await compile([out], specs(feeds), ALL_ON);
    expect(plan.stats.bufferBytes).toBeLessThan(plan.stats.tempBytes);
    expect(plan.buffers.length).toBe(2);
    const a = await (await new Session(g).run(out, feeds))!.item();
    const b = await (await new Session(g, { reuseBuffers: false }).run(out, feeds))!.item();
    expect(a).toBe(b);
  });
});

describe('pruning, CSE and constant folding', () => {
  it('runs only what the fetches need: an unfed placeholder elsewhere is no error', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [2]);
    const unused = g.placeholder('float32', [2]);
    const a = x.mul(2);
    unused.exp();
    const plan = await compile([a], new Map([[x, { shape: [2], dtype: 'float32' as const }]]), ALL_ON);
    expect(plan.steps).toHaveLength(1);
    expect(await (await new Session(g).run(a, [[x, [1, 2]]]))!.toArray()).toEqual([2, 4]);
  });

  it('merges identical subexpressions and runs them once', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [3, 3]);
    const out = x.matmul(x).add(x.matmul(x)).sum();
    const on = await compile([out], new Map([[x, { shape: [3, 3], dtype: 'float32' as const }]]), ALL_ON);
    const off = await compile([out], new Map([[x, { shape: [3, 3], dtype: 'float32' as const }]]), { ...ALL_ON, cse: false });
    expect(on.stats.merged).toBe(1);
    expect(on.steps.filter((s) => s.kind === 'op' && on.values[s.value].op?.name === 'matmul')).toHaveLength(1);
    expect(off.steps.filter((s) => s.kind === 'op' && off.values[s.value].op?.name === 'matmul')).toHaveLength(2);
    // [[1 2 3] [4 5 6] [7 8 9]]² = [[30 36 42] [66 81 96] [102 126 150]] sums to 729; twice: 1458.
    expect(await (await new Session(g).run(out, [[x, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]))!.item()).toBe(1458);
  });

  it('folds nodes of constants into constants at compile time', async () => {
    const g = new Graph();
    const x = g.placeholder('float32', [3]);
    const c = g.constant([1, 2, 3]).mul(2).add(1); // [3, 5, 7]
    const out = x.mul(c);
    const plan = await compile([out], new Map([[x, { shape: [3], dtype: 'float32' as const }]]), ALL_ON);
    expect(plan.stats.folded).toBeGreaterThanOrEqual(2);
    expect(plan.steps).toHaveLength(1);
    expect(await (await new Session(g).run(out, [[x, [1, 1, 2]]]))!.toArray()).toEqual([3, 5, 14]);
  });
});

describe('explain', () => {
  it('prints the steps, fused groups, buffers and the last run’s dispatches', async () => {
    const g = new Graph();
    const { x, y, out } = floatChain(g);
    const loss = out.matmul(x.t()).sum();
    const sess = new Session(g);
    const feeds: [SymbolicTensor, Tensor][] = [[x, randn([5, 33])], [y, randn([5, 33])]];
    expect(await sess.explain(loss, feeds)).toMatch(/dispatches: not run yet/);
    await sess.run(loss, feeds);
    const text = await sess.explain(loss, feeds);
    expect(text).toMatch(/^plan for sum_\d+ with feeds placeholder_\d+ \[5, 33\], placeholder_\d+ \[5, 33\]/);
    expect(text).toMatch(/fused\(mul\+add\+exp/);
    expect(text).toMatch(/matmul matmul_\d+/);
    expect(text).toMatch(/temporaries .* arena buffers/);
    expect(text).toMatch(/dispatches in the last run: 3 kernel launches/);
  });
});
