// The device as a user meets it: thread settings, awaited reads, an event loop that keeps turning
// while the pool computes, a process that exits by itself, shutdown, worker faults, backpressure.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, getNumThreads, ones, randn, runtimeStats, setNumThreads, shutdown, SkeinError, synchronize, tensor, ValueError, type Tensor } from '../src/index.js';
import { injectWorkerFault } from '../src/runtime/stream.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Big enough that its single-thread time is far above the inline/pool crossover (tens of ms). */
const LARGE = 1024;
/** A child Node process starting, loading Skein and its workers: generous on a loaded 2-core box. */
const CHILD_TIMEOUT_MS = 30_000;

/** Starts LARGE×LARGE matmuls on the pool; every entry of ones·ones is LARGE. */
function largeProduct(): { a: Tensor; product: Tensor } {
  const a = ones([LARGE, LARGE]);
  return { a, product: a.mm(a) };
}

beforeAll(async () => {
  setNumThreads(2);
  // Start the workers now, so no test counts pool start-up.
  await ones([256, 256]).mm(ones([256, 256])).sum().item();
});

describe('setNumThreads', () => {
  it.each([0, -1, 1.5, Number.NaN, Infinity, 'abc', '2', null])('rejects %s with a ValueError naming what it got and what it expects', (n) => {
    let caught: unknown;
    try {
      setNumThreads(n as number);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValueError);
    expect(caught).toBeInstanceOf(SkeinError);
    // Strings stay quoted, as passed.
    expect((caught as Error).message).toContain(`setNumThreads: got ${typeof n === 'string' ? JSON.stringify(n) : String(n)}`);
    expect((caught as Error).message).toMatch(/expected an integer from 1/);
    expect(getNumThreads()).toBe(2);
  });

  it('takes a positive integer and reports it back', () => {
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(2);
    expect(getNumThreads()).toBe(2);
  });
});

describe('reads', () => {
  it('gives the single value of a one-element tensor through item()', async () => {
    expect(await tensor(2.5).item()).toBe(2.5);
    expect(await tensor([[7]]).item()).toBe(7);
    expect(await tensor([1, 2, 3]).sum().item()).toBe(6);
  });

  it('refuses item() on a tensor with more than one element, naming its shape', async () => {
    await expect(tensor([1, 2]).item()).rejects.toThrow(ValueError);
    await expect(tensor([[1, 2]]).item()).rejects.toThrow(/item: got a tensor of shape \[1, 2\], expected exactly one element/);
  });

  it('gives nested arrays from toArray(), a number for 0-d and booleans for bool', async () => {
    expect(await tensor([[1, 2, 3], [4, 5, 6]]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await tensor(3).toArray()).toBe(3);
    expect(await tensor([1, 5]).gt(2).toArray()).toEqual([false, true]);
    expect(await tensor([[1, 2], [3, 4]]).t().toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it('gives a row-major, unshared copy of the values from data(), typed by dtype', async () => {
    const t = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const copy = await t.data();
    expect(copy).toBeInstanceOf(Float64Array);
    expect(copy.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    copy[0] = 100;
    expect(await t.toArray()).toEqual([[1, 2], [3, 4]]);
    // A transposed view reads in its own row-major order.
    expect(Array.from(await t.t().data())).toEqual([1, 3, 2, 4]);
    expect(await tensor([1, 2], { dtype: 'int32' }).data()).toBeInstanceOf(Int32Array);
    expect(await tensor([1, 2]).data()).toBeInstanceOf(Float32Array);
  });

  it('shows shape, dtype and the values in toString(), even while the op runs on the pool', async () => {
    // Printing drains the stream first: what prints never depends on where a kernel ran.
    const { product } = largeProduct();
    const corner = product.narrow(0, 0, 1).narrow(1, 0, 2);
    expect(String(corner)).toBe(`Tensor(shape=[1, 2], dtype=float32, values=[[${LARGE},${LARGE}]])`);
    await synchronize();
    expect(String(corner)).toBe(`Tensor(shape=[1, 2], dtype=float32, values=[[${LARGE},${LARGE}]])`);
  });
});

describe('the event loop', () => {
  it('keeps turning while a large matmul runs on the pool: a timer and an immediate fire before the result', async () => {
    const before = runtimeStats().poolLaunches;
    let resolved = false;
    const { product } = largeProduct();
    const total = product.sum().item().then((v) => {
      resolved = true;
      return v;
    });
    const timerSawPending = new Promise<boolean>((resolve) => setTimeout(() => resolve(!resolved), 0));
    const immediateSawPending = new Promise<boolean>((resolve) => setImmediate(() => resolve(!resolved)));
    expect(await immediateSawPending).toBe(true);
    expect(await timerSawPending).toBe(true);
    expect(await total).toBe(LARGE ** 3);
    // The matmul (and probably the sum) went to the pool, not inline.
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
  });
});

describe('process lifetime', () => {
  it('lets a script that never calls shutdown() exit by itself with code 0', async () => {
    const script = join(root, 'test/fixtures/exits-without-shutdown.mjs');
    const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running after the timeout');
      }, CHILD_TIMEOUT_MS);
      child.on('exit', (c, signal) => {
        clearTimeout(timer);
        resolve(c ?? `killed by ${signal}`);
      });
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout.trim()) as { total: number; laneTotal: number; poolLaunches: number; laneLaunches: number };
    expect(report.total).toBe(1024 ** 3);
    expect(report.laneTotal).toBe(128 ** 3);
    expect(report.poolLaunches).toBeGreaterThan(0);
    expect(report.laneLaunches).toBeGreaterThan(0);
  }, CHILD_TIMEOUT_MS + 5_000);
});

describe('shutdown', () => {
  afterEach(() => setNumThreads(2));

  it('rejects reads still waiting with a DeviceError, and a later op starts a new pool', async () => {
    const a = ones([LARGE, LARGE]);
    await synchronize(); // a itself is computed (filling it may go to the pool too)
    const product = a.mm(a);
    const next = product.add(1); // queued behind the matmul
    const reads = [product.data(), next.data()];
    for (const r of reads) r.catch(() => {}); // settled below; keep Node from calling them unhandled
    await shutdown();
    for (const r of reads) {
      await expect(r).rejects.toThrow(DeviceError);
      await expect(r).rejects.toThrow(/shutdown: the device was shut down while this result was still being computed/);
    }
    // The device comes back: inline work, pool work, and a synchronize that reports nothing stale.
    expect(await tensor([1, 2]).mul(3).toArray()).toEqual([3, 6]);
    const before = runtimeStats().poolLaunches;
    expect(await a.mm(a).sum().item()).toBe(LARGE ** 3);
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
    await expect(synchronize()).resolves.toBeUndefined();
  });
});

describe('worker faults', () => {
  /** What the failed read must say: the op, that the device failed it, and why. */
  const FAULT_MESSAGE = {
    // The user called mm: the launch is named after it.
    throw: /^mm: a worker thread threw while running this op \(injected worker fault\); this result is lost$/,
    exit: /^mm: a worker thread died while running this op \(.*\); the pool replaces it, and this result is lost$/,
  };

  it.each(['throw', 'exit'] as const)('fails only the op whose worker faulted (%s), and later ops work', async (kind) => {
    const a = randn([LARGE, LARGE]);
    const w = tensor([1, 2, 3]);
    const aBefore = Array.from(await a.data());
    injectWorkerFault(kind);
    const product = a.mm(a);
    const dependent = product.sum();
    // An in-place update fed by the failed op must leave its target as it was.
    const update = product.narrow(0, 0, 1).narrow(1, 0, 3).reshape([3]);
    w.add_(update);
    await expect(product.data()).rejects.toThrow(DeviceError);
    await expect(product.data()).rejects.toThrow(FAULT_MESSAGE[kind]);
    await expect(dependent.item()).rejects.toThrow(FAULT_MESSAGE[kind]);
    await synchronize().catch(() => {}); // reports the failure once; the next one is clean
    await expect(synchronize()).resolves.toBeUndefined();
    expect(await w.toArray()).toEqual([1, 2, 3]);
    expect(Array.from(await a.data())).toEqual(aBefore);
    // The pool replaced or kept its workers: the same matmul now succeeds on the pool.
    const before = runtimeStats().poolLaunches;
    const ones1 = ones([LARGE, LARGE]);
    expect(await ones1.mm(ones1).sum().item()).toBe(LARGE ** 3);
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
  }, 30_000);
});

describe('backpressure', () => {
  /** Launches one loop issues without awaiting: far beyond any sane queue bound. */
  const OPS = 5000;
  /** The stream's bound on queued launches is 512; this test allows twice that. */
  const QUEUE_BOUND = 1024;

  it('runs 5,000 small ops issued without an await, in order, with the queue kept bounded', async () => {
    const { product } = largeProduct(); // in flight on the pool while the loop queues behind it
    const before = runtimeStats();
    // x ← i − x, OPS/2 times: order-sensitive (swapping the two steps gives −(x + i) instead).
    const x = tensor([0, 0.5, -3]);
    const expected = [0, 0.5, -3];
    for (let i = 0; i < OPS / 2; i++) {
      x.mul_(-1).add_(i);
      for (let k = 0; k < expected.length; k++) expected[k] = Math.fround(i - expected[k]);
    }
    // Without an await, the main thread must already have run all but a bounded tail of the loop.
    const after = runtimeStats();
    expect(after.inlineLaunches - before.inlineLaunches).toBeGreaterThanOrEqual(OPS - QUEUE_BOUND);
    expect(after.backpressureWaits).toBeGreaterThan(before.backpressureWaits);
    expect(after.maxQueueDepth).toBeLessThanOrEqual(Math.min(after.queueBound, QUEUE_BOUND));
    expect(await x.toArray()).toEqual(expected);
    expect(await product.sum().item()).toBe(LARGE ** 3);
  }, 30_000);
});
