// Backward's own temporaries go back to the free list as soon as the engine is done with them,
// and a gradient handed to two places is owned by neither (so no two leaves share a .grad).
import { afterAll, describe, expect, it } from 'vitest';
import { randn, shutdown, tensor } from '../../src/index.js';
import { storageStats } from '../../src/storage.js';

afterAll(async () => {
  await shutdown();
});

describe('backward', () => {
  it('releases the gradients it made and consumed, and gives the same gradients', async () => {
    const x = randn([8, 20]);
    const w1 = randn([20, 6], { requiresGrad: true });
    const w2 = randn([6, 3], { requiresGrad: true });
    const run = () => x.mm(w1).clamp({ min: 0 }).mm(w2).pow(2).sum().backward();
    run();
    const first = [await w1.grad!.toArray(), await w2.grad!.toArray()];
    w1.grad!.zero_();
    w2.grad!.zero_();
    const before = storageStats().releases;
    run(); // accumulates into the existing .grad tensors: every gradient backward made is its own
    const released = storageStats().releases - before;
    // pow, mm (two), clamp, mm (two) each make a temporary that nothing else holds; the two
    // weight gradients are added into .grad and released too.
    expect(released).toBeGreaterThanOrEqual(4);
    expect([await w1.grad!.toArray(), await w2.grad!.toArray()]).toEqual(first);
  });

  it('gives two leaves fed one gradient two separate .grad tensors', async () => {
    const u = tensor([1, 2], { requiresGrad: true });
    const v = tensor([3, 4], { requiresGrad: true });
    // add passes mul's fresh gradient on to both leaves: neither may keep it as it is.
    u.add(v).mul(3).sum().backward();
    expect(u.grad).not.toBe(v.grad);
    expect(u.grad!.storage).not.toBe(v.grad!.storage);
    u.grad!.zero_();
    expect(await v.grad!.toArray()).toEqual([3, 3]);
    expect(await u.grad!.toArray()).toEqual([0, 0]);
  });
});
