// Nothing half-written (issue 12): an in-place update that shutdown() catches in flight, or that
// a worker fault strikes, leaves its target either fully updated or with its old bits, and
// readable. Every launch is forced onto the pool so the update really runs on workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, getInlineLimit, noGrad, ones, runtimeStats, setInlineLimit, setNumThreads, shutdown, synchronize, type Tensor } from '../../src/index.js';
import { injectWorkerFault } from '../../src/runtime/stream.js';

/** 2¹⁸ elements: many tiles, so a fault lands mid-update. */
const N = 1 << 18;
const TIMEOUT_MS = 60_000;

async function values(t: Tensor): Promise<Set<number>> {
  return new Set(await t.data());
}

const inline = getInlineLimit();
beforeAll(() => {
  setNumThreads(2);
  setInlineLimit(0);
});
afterAll(() => setInlineLimit(inline));

describe('an in-place update on the pool', { timeout: TIMEOUT_MS }, () => {
  it.each(['throw', 'exit'] as const)('struck by a worker fault (%s) keeps the old bits, stays readable, and synchronize() reports it', async (kind) => {
    const p = ones([N]);
    await synchronize();
    const before = runtimeStats().poolLaunches;
    injectWorkerFault(kind);
    noGrad(() => p.mul_(3));
    await expect(synchronize()).rejects.toBeInstanceOf(DeviceError);
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
    expect(await values(p)).toEqual(new Set([1]));
    // And it is usable: the next update applies in full.
    noGrad(() => p.add_(1));
    expect(await values(p)).toEqual(new Set([2]));
  });

  it('caught in flight by shutdown() is either applied in full or not at all, and readable after', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const p = ones([N]);
      await synchronize();
      noGrad(() => p.add_(1));
      await shutdown();
      const seen = await values(p);
      expect(seen.size, `trial ${trial}: ${[...seen].join(', ')}`).toBe(1);
      expect([1, 2]).toContain([...seen][0]);
      await synchronize().catch(() => {});
    }
  });

  it('queued behind the one in flight is not applied by a shutdown, and the parameter stays readable', async () => {
    const p = ones([N]);
    const q = ones([N]);
    await synchronize();
    noGrad(() => {
      p.add_(1);
      q.add_(5);
    });
    await shutdown();
    expect((await values(p)).size).toBe(1);
    expect([1, 6]).toContain([...(await values(q))][0]);
    await synchronize().catch(() => {});
  });
});
