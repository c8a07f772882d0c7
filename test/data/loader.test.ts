// DataLoader and randperm: coverage, seeded order, drop-last, and rows that match their sources.
import { describe, expect, it } from 'vitest';
import { arange, DataLoader, manualSeed, randperm, tensor } from '../../src/index.js';

async function epoch(loader: DataLoader): Promise<number[][]> {
  const out: number[][] = [];
  for await (const [x] of loader) out.push(Array.from(await x.data()));
  return out;
}

describe('randperm', () => {
  it('is a permutation, the same for the same seed and stream, and differs across streams', async () => {
    const a = Array.from(await randperm(1000, { seed: 5 }).data());
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(await randperm(1000, { seed: 5 }).data())).toEqual(a);
    expect(Array.from(await randperm(1000, { seed: 5, stream: 1 }).data())).not.toEqual(a);
    expect(Array.from(await randperm(1000, { seed: 6 }).data())).not.toEqual(a);
  });

  it('puts each element in each position about equally often', async () => {
    // 3000 permutations of 4: each of the 16 (value, position) counts is Binomial(3000, 1/4), sd ≈ 23.7.
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let s = 0; s < 3000; s++) (await randperm(4, { seed: 1, stream: s }).data()).forEach((v, pos) => counts[v][pos]++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - 750)).toBeLessThan(5 * 23.7);
  });

  it('rejects a negative size', () => {
    expect(() => randperm(-1)).toThrow(/randperm: got n -1/);
  });
});

describe('DataLoader', () => {
  const x = arange(10).float().reshape([10, 1]);
  const y = arange(10).mul(10);

  it('yields rows in order in batches, the last one short, without shuffle', async () => {
    const loader = new DataLoader([x], { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(await epoch(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('drops the short last batch with dropLast', async () => {
    const loader = new DataLoader([x], { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(await epoch(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('shuffles every row exactly once per epoch, in a new order each epoch, the same for the same seed', async () => {
    const a = new DataLoader([x], { batchSize: 3, shuffle: true, seed: 4 });
    const e0 = await epoch(a);
    const e1 = await epoch(a);
    expect(e0.flat().sort((p, q) => p - q)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(e0.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(e1).not.toEqual(e0);
    const b = new DataLoader([x], { batchSize: 3, shuffle: true, seed: 4 });
    expect(await epoch(b)).toEqual(e0);
    b.epoch = 1;
    expect(await epoch(b)).toEqual(e1);
  });

  it('keeps rows of several tensors together', async () => {
    const loader = new DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 0 });
    for await (const [xb, yb] of loader) {
      const xs = Array.from(await xb.data());
      expect(Array.from(await yb.data())).toEqual(xs.map((v) => v * 10));
      expect(yb.dtype).toBe('int32');
    }
  });

  it('draws its seed from manualSeed when none is given', async () => {
    manualSeed(11);
    const a = await epoch(new DataLoader([x], { batchSize: 10, shuffle: true }));
    manualSeed(11);
    const b = await epoch(new DataLoader([x], { batchSize: 10, shuffle: true }));
    manualSeed(12);
    const c = await epoch(new DataLoader([x], { batchSize: 10, shuffle: true }));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('rejects tensors with different first dims and bad batch sizes', () => {
    expect(() => new DataLoader([x, tensor([1, 2])])).toThrow(/DataLoader: got shapes \[10, 1\], \[2\], expected the same first dim/);
    expect(() => new DataLoader([x], { batchSize: 0 })).toThrow(/DataLoader: got batchSize 0, expected a positive integer/);
  });

  it('names what it got instead of tensors', () => {
    expect(() => new DataLoader([1, 2, 3] as never)).toThrow(/^DataLoader: got 1 at position 0, expected a non-empty array of tensors, one per field/);
    expect(() => new DataLoader([x, 'y'] as never)).toThrow(/^DataLoader: got "y" at position 1/);
    expect(() => new DataLoader([] as never)).toThrow(/^DataLoader: got \[\], expected a non-empty array/);
    expect(() => new DataLoader(x as never)).toThrow(/^DataLoader: got a tensor of shape \[10, 1\]/);
  });
});
