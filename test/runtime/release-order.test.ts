// Storage.release (backward's temporaries) while launches still wait in the queue: the block must
// not be handed out again until every launch submitted before the release has finished, or a host
// write into its next owner (tensor()'s copy, a zero fill) lands before a queued launch reads or
// writes it. Found as anomaly mode's gradients coming out as w + dw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ones, randn, setNumThreads, storageStats, synchronize, tensor } from '../../src/index.js';

/** Elements of the released block: its own size class, so the next storage of that size takes it back. */
const N = 12_345;

beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(2));

describe('a block released while launches wait', () => {
  it('goes back to the free list only once the launches before the release have finished', async () => {
    const big = randn([1024, 1024]);
    await synchronize();
    // A pool product holds the queue: what follows waits behind it.
    const product = big.mm(big);
    const temp = ones([N]); // a fill launch, queued
    const doubled = temp.mul(2); // reads temp, queued
    const before = storageStats();
    const block = temp.storage.data.byteOffset;
    temp.storage.release();
    // A host write into a fresh storage of the same size: the copy tensor() makes at once.
    const fresh = tensor(new Float32Array(N).fill(7));
    expect(storageStats().releases).toBe(before.releases); // not yet: launches are outstanding
    await synchronize();
    // Once they have run, the block is back for the next storage of its size (nothing else was
    // handed out in between to split it).
    expect(storageStats().releases).toBe(before.releases + 1);
    const next = tensor(new Float32Array(N).fill(3));
    expect(next.storage.data.byteOffset).toBe(block);
    expect(fresh.storage.data.byteOffset).not.toBe(block);
    expect(new Set(await doubled.toArray())).toEqual(new Set([2]));
    expect(new Set(await fresh.toArray())).toEqual(new Set([7]));
    expect(new Set(await next.toArray())).toEqual(new Set([3]));
    expect(Number.isFinite(await product.sum().item())).toBe(true);
  });

  it('goes back at once when the stream is idle', async () => {
    const temp = ones([N + 1000]);
    await synchronize();
    const before = storageStats().releases;
    temp.storage.release();
    expect(storageStats().releases).toBe(before + 1);
  });
});
