// DistributedSampler: disjoint shards that cover the data, a seeded shuffle per epoch that all
// ranks agree on, padding to equal lengths, and DataLoader taking it as its sampler.
import { describe, expect, it } from 'vitest';
import { DataLoader, arange, data, ValueError } from '../../src/index.js';

const shards = (n: number, replicas: number, options: data.DistributedSamplerOptions = {}, epoch = 0) =>
  Array.from({ length: replicas }, (_, rank) => {
    const s = new data.DistributedSampler(n, { numReplicas: replicas, rank, ...options });
    s.setEpoch(epoch);
    return Array.from(s.indices());
  });

describe('DistributedSampler', () => {
  it('gives each rank a disjoint shard, and together they cover the data', () => {
    const parts = shards(12, 3);
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('pads by repeating the start of the order, so every rank has the same length', () => {
    // 10 rows over 3 ranks: ⌈10/3⌉ = 4 each, 12 positions; positions 10 and 11 repeat the order's first two.
    const order = shards(10, 1, { shuffle: false })[0];
    const parts = shards(10, 3, { shuffle: false });
    expect(parts).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7, 0],
      [2, 5, 8, 1],
    ]);
    expect(order).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // dropLast drops the tail instead: ⌊10/3⌋ = 3 each, no repeats.
    expect(shards(10, 3, { shuffle: false, dropLast: true })).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('shuffles with the seed and epoch alone: the same on every rank, new each epoch', () => {
    const a = shards(100, 2, { seed: 7 }, 0);
    const again = shards(100, 2, { seed: 7 }, 0);
    const next = shards(100, 2, { seed: 7 }, 1);
    expect(again).toEqual(a);
    expect(next).not.toEqual(a);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a[0]).not.toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
  });

  it('feeds a DataLoader its shard, in batches', async () => {
    const x = arange(10).reshape([10, 1]);
    const sampler = new data.DistributedSampler(10, { numReplicas: 3, rank: 1, shuffle: false });
    const loader = new DataLoader([x], { batchSize: 3, sampler });
    expect(loader.length).toBe(2);
    const rows: number[] = [];
    for await (const [xb] of loader) rows.push(...(await xb.data()));
    expect(rows).toEqual([1, 4, 7, 0]);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => new data.DistributedSampler(10, { numReplicas: 2, rank: 2 })).toThrow(new ValueError('DistributedSampler: got rank 2, expected an integer in [0, 2)'));
    expect(() => new data.DistributedSampler(-1, { numReplicas: 2, rank: 0 })).toThrow(ValueError);
    expect(() => new data.DistributedSampler(10, { numReplicas: 2, rank: 0 }).setEpoch(-1)).toThrow(new ValueError('setEpoch: got -1, expected a non-negative integer'));
    const sampler = new data.DistributedSampler(10, { numReplicas: 2, rank: 0 });
    expect(() => new DataLoader([arange(10)], { sampler, shuffle: true })).toThrow(new ValueError('DataLoader: got both sampler and shuffle: true; expected one of them (the sampler decides the order)'));
  });

  it('without numReplicas or rank, asks skein/distributed (not initialised here: a DistributedError)', () => {
    expect(() => new data.DistributedSampler(10)).toThrow(/DistributedSampler|getWorldSize: skein\/distributed is not initialised/);
  });
});
