// memoryStats() counts what tensors hold and gives it back when they are collected; a loop that
// never awaits is held at the stream's bounded depth instead of queueing without end. (Long-run
// RSS and SharedArrayBuffer growth is measured by bench/reliability.ts, not in a timed test.)
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memoryStats, noGrad, ones, randn, runtimeStats, setNumThreads, synchronize, zeros, type Tensor } from '../../src/index.js';

/** A full GC, then a turn of the event loop so finalisers run. */
async function collect(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('memoryStats()', () => {
  it('counts live tensors, storages and bytes, views as tensors that share a storage', async () => {
    await collect();
    const before = memoryStats();
    const held: Tensor[] = [];
    for (let i = 0; i < 10; i++) held.push(zeros([1000]));
    const views = held.map((t) => t.reshape([10, 100]).transpose(0, 1));
    const after = memoryStats();
    expect(after.liveTensors - before.liveTensors).toBeGreaterThanOrEqual(held.length + 2 * views.length);
    expect(after.liveStorages - before.liveStorages).toBeGreaterThanOrEqual(10);
    expect(after.liveBytes - before.liveBytes).toBeGreaterThanOrEqual(10 * 1000 * 4);
    expect(after.sharedBytes).toBe(after.liveBytes + after.cachedBytes);
    expect(views[0].shape).toEqual([100, 10]); // keeps the views alive up to here
  });

  it('falls back once the tensors are garbage', async () => {
    await collect();
    const before = memoryStats();
    (() => {
      for (let i = 0; i < 50; i++) ones([4096]).mul(2);
    })();
    await synchronize();
    await collect();
    const after = memoryStats();
    // Nothing was kept: the handles are finalised and their bytes moved to the reuse cache or freed.
    expect(after.liveTensors - before.liveTensors).toBeLessThan(10);
    expect(after.liveBytes - before.liveBytes).toBeLessThan(10 * 4096 * 4);
  });
});

describe('a loop that never awaits', () => {
  it('never queues more launches than the stream bound, and still computes the right answer', async () => {
    setNumThreads(2);
    // 1024: on the pool for every matmul kernel (2 GFLOP, far above the 10 ms inline limit; 512³ now runs on the lane).
    const w = randn([1024, 1024]);
    await synchronize();
    const bound = runtimeStats().queueBound;
    const drainsBefore = runtimeStats().backpressureWaits;
    // A pool matmul holds the queue; thousands of small updates pile up behind it without an await.
    const h = w.mm(w);
    let acc = zeros([64]);
    noGrad(() => {
      for (let i = 0; i < 5 * bound; i++) acc = acc.add(1);
    });
    const stats = runtimeStats();
    expect(stats.maxQueueDepth).toBeLessThanOrEqual(bound);
    expect(stats.backpressureWaits).toBeGreaterThan(drainsBefore);
    expect(Array.from(await acc.data())).toEqual(new Array(64).fill(5 * bound));
    expect(Number.isFinite(await h.sum().item())).toBe(true);
  });
});
