// A loop that never awaits, and one that awaits only optimizer.step(): the queue stays bounded,
// memory with it, a full queue is worked down by every thread (never by the main thread alone),
// and optimizer.step() is a yield point that leaves the event loop free.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryStats, noGrad, ones, optim, randn, runtimeStats, setInlineLimit, setNumThreads, shutdown, synchronize, zeros, type Tensor } from '../../src/index.js';
import { getInlineLimit, STEP_BOUND } from '../../src/runtime/stream.js';
import { GC_BUDGET_BYTES, resetPeakLiveBytes } from '../../src/storage.js';

const defaultInlineLimit = getInlineLimit();

beforeAll(async () => {
  setNumThreads(2);
  await ones([256, 256]).mm(ones([256, 256])).sum().item();
});

afterEach(() => setInlineLimit(defaultInlineLimit));

afterAll(async () => {
  await shutdown();
});

/** Elements of each tensor the memory test makes: 64 KiB of float32. */
const ELEMENTS = 16 * 1024;
const BYTES = ELEMENTS * 4;
/** Launches it queues without an await: 8,000 × 64 KiB = 500 MiB if nothing were bounded. */
const LAUNCHES = 8000;
/**
 * What may be live at once: the queue bound's worth of outputs held by queued launches, plus the
 * blocks handed out between two of storage.ts's forced collections, plus slack for
 * what the collector has not finalised yet. Far below the 375 MiB an unbounded queue would hold.
 */
const LIVE_BOUND_BYTES = (512 + 512) * BYTES + GC_BUDGET_BYTES + 32 * 2 ** 20;

describe('a loop that never awaits', () => {
  it('cannot grow memory without bound: the queue and the live bytes stay under their bounds', async () => {
    const step = ones([ELEMENTS]);
    const big = ones([1024, 1024]); // on the pool: far above the inline limit
    await synchronize();
    resetPeakLiveBytes();
    const before = memoryStats();
    const statsBefore = runtimeStats();
    // A pool matmul holds the queue; the loop's launches pile up behind it, and the loop never yields.
    const product = big.mm(big);
    let acc = zeros([ELEMENTS]);
    noGrad(() => {
      for (let i = 0; i < LAUNCHES; i++) acc = acc.add(step);
    });
    const during = runtimeStats();
    expect(during.backpressureWaits).toBeGreaterThan(statsBefore.backpressureWaits);
    expect(during.maxQueueDepth).toBeLessThanOrEqual(during.queueBound);
    expect(memoryStats().peakLiveBytes - before.liveBytes).toBeLessThan(LIVE_BOUND_BYTES);
    expect(new Set(await acc.toArray())).toEqual(new Set([LAUNCHES]));
    expect(await product.sum().item()).toBe(1024 ** 3);
  }, 60_000);

  it('works a full queue down on every thread: pool-sized launches go to the lane, none run alone', async () => {
    setInlineLimit(0);
    // 256² products: several tiles on every matmul kernel (a one-tile launch always runs inline).
    const a = randn([256, 256]);
    await synchronize();
    const before = runtimeStats();
    let h: Tensor = a;
    noGrad(() => {
      for (let i = 0; i < 2 * before.queueBound; i++) h = h.mm(a).mul(1 / 16);
    });
    const after = runtimeStats();
    expect(after.backpressureWaits).toBeGreaterThan(before.backpressureWaits);
    // A waiting main thread split the pool's launches with the lane's helpers…
    expect(after.laneLaunches - before.laneLaunches).toBeGreaterThan(before.queueBound / 4);
    // …and ran none of them by itself.
    expect(after.singleThreadedDrains).toBe(before.singleThreadedDrains);
    // The same bits as the same chain on one thread: which threads ran a tile never matters.
    const got = await h.toArray();
    setNumThreads(1);
    let ref: Tensor = a;
    noGrad(() => {
      for (let i = 0; i < 2 * before.queueBound; i++) ref = ref.mm(a).mul(1 / 16);
    });
    const want = await ref.toArray();
    setNumThreads(2);
    expect(got).toEqual(want);
  }, 60_000);
});

describe('optimizer.step()', () => {
  it('returns a promise that resolves with the queue short, after a turn of the event loop', async () => {
    setInlineLimit(0);
    const w = randn([128, 128], { requiresGrad: true });
    const x = randn([64, 128]);
    const opt = new optim.SGD([w], { lr: 1e-3 });
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    const depths: number[] = [];
    try {
      for (let t = 0; t < 60; t++) {
        x.mm(w).relu().mm(w).pow(2).mean().backward();
        const done = opt.step();
        expect(done).toBeInstanceOf(Promise);
        await done;
        depths.push(runtimeStats().queueDepth);
        opt.zeroGrad();
      }
    } finally {
      clearInterval(timer);
    }
    expect(Math.max(...depths)).toBeLessThanOrEqual(STEP_BOUND);
    // Timers fired while the loop ran: it yielded to the event loop.
    expect(ticks).toBeGreaterThan(0);
    expect(Number.isFinite(await w.sum().item())).toBe(true);
  }, 60_000);

  it('hands a loop that ignores its promise one shared promise, so nothing piles up per call', async () => {
    const w = randn([4, 4], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 1e-3 });
    const pending: Promise<void>[] = [];
    for (let t = 0; t < 100; t++) {
      w.pow(2).sum().backward();
      pending.push(opt.step());
    }
    expect(new Set(pending).size).toBe(1);
    await pending[0];
    // After a turn, a new call waits for a new turn.
    w.pow(2).sum().backward();
    expect(opt.step()).not.toBe(pending[0]);
  });
});
