// A worker that throws or dies in the middle of an op: the read awaiting that op rejects with an
// error that says so, the pool replaces the worker, later ops work, tensors the op did not own are
// untouched, and an optimizer step fed by the failed op leaves the parameters bit-for-bit as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, detectAnomaly, AutogradError, getInlineLimit, getLaneLimit, noGrad, randn, runtimeStats, setInlineLimit, setLaneLimit, setNumThreads, synchronize, tensor, type Tensor } from '../../src/index.js';
import { getPool } from '../../src/runtime/pool.js';
import { injectWorkerFault } from '../../src/runtime/stream.js';

/**
 * 1024×1024 matmul: above the pool threshold for every matmul kernel (2 GFLOP; the inline limit
 * is 10 ms of estimated work), and several tiles, so the fault lands mid-op.
 */
const N = 1024;
/** Worker restarts and a 256³ matmul on a shared 2-core machine. */
const TIMEOUT_MS = 60_000;

/** Inputs first, so the injected fault strikes the op under test and not their random fill. */
async function inputs<T extends Tensor[]>(...ts: T): Promise<T> {
  await synchronize();
  return ts;
}

const FAULTS = [
  { kind: 'throw', says: /worker thread threw/ },
  { kind: 'exit', says: /worker thread died/ },
] as const;

async function bits(t: Tensor): Promise<Uint8Array> {
  const values = await t.data();
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(2));

describe.each(FAULTS)('a worker that faults with $kind mid-op', { timeout: TIMEOUT_MS }, ({ kind, says }) => {
  it('makes the awaiting read reject with a DeviceError naming the op and the fault', async () => {
    const [a, b] = await inputs(randn([N, N]), randn([N, N]));
    const before = runtimeStats().poolLaunches;
    injectWorkerFault(kind);
    const c = a.matmul(b);
    const err = await c.data().then(() => null, (e: unknown) => e);
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/^matmul: /);
    expect((err as Error).message).toMatch(says);
  });

  it('propagates the failure to results computed from it, and synchronize() does not repeat what a read reported', async () => {
    const [a] = await inputs(randn([N, N]));
    injectWorkerFault(kind);
    const c = a.matmul(a);
    const d = c.relu().sum();
    await expect(d.item()).rejects.toThrow(says);
    await expect(c.data()).rejects.toBeInstanceOf(DeviceError);
    await expect(synchronize()).resolves.toBeUndefined();
  });

  it('leaves the pool at full strength, later ops correct, and inputs the op did not own intact', async () => {
    const [a, b] = await inputs(randn([N, N]), randn([N, N]));
    const aBefore = await bits(a);
    const bBefore = await bits(b);
    const expected = await a.matmul(b).data();
    injectWorkerFault(kind);
    await a.matmul(b).data().catch(() => undefined);
    expect(getPool().threads.length).toBe(2);
    expect(await bits(a)).toEqual(aBefore);
    expect(await bits(b)).toEqual(bBefore);
    const again = await a.matmul(b).data();
    expect(again).toEqual(expected);
  });

  it('leaves a parameter exactly as before when the optimizer step reads a gradient the failed op made', async () => {
    const [x, w] = await inputs(randn([N, N]), randn([N, N], { requiresGrad: true }));
    const wBefore = await bits(w);
    injectWorkerFault(kind);
    const g = x.matmul(x); // stands for a gradient whose computation dies
    const lr = 0.1;
    noGrad(() => w.sub_(g.mul(lr)));
    await expect(synchronize()).rejects.toThrow(says);
    expect(await bits(w)).toEqual(wBefore);
    // The step can simply be retried once the device is healthy.
    const g2 = x.matmul(x);
    noGrad(() => w.sub_(g2.mul(lr)));
    const w0 = tensor(new Float32Array(wBefore.buffer)).reshape([N, N]);
    expect(await w.data()).toEqual(await w0.sub(g2.mul(lr)).data());
  });

  it('fails a loop that never awaits at the same place, without hanging the main thread', async () => {
    const [a] = await inputs(randn([N, N]));
    const started = performance.now();
    injectWorkerFault(kind);
    let z = a.matmul(a);
    // More launches than the stream holds: the main thread drains the queue itself, blocked on the faulted job.
    for (let i = 0; i < runtimeStats().queueBound + 10; i++) z = z.add(1);
    await expect(z.data()).rejects.toThrow(says);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(await a.add(1).sum().item()).toBeTypeOf('number');
  });
});

// The lane: the main thread and a helper thread share a launch. A helper that throws or dies
// holding a tile fails that launch alone; the next launch gets a fresh helper.
describe.each(FAULTS)('a lane helper that faults with $kind mid-op', { timeout: TIMEOUT_MS }, ({ kind, says }) => {
  /** 256×256: several tiles on every matmul kernel, one of which the faulting helper holds. */
  const M = 256;
  const limits = { inline: getInlineLimit(), lane: getLaneLimit() };
  beforeAll(() => {
    setInlineLimit(Infinity);
    setLaneLimit(0);
  });
  afterAll(() => {
    setInlineLimit(limits.inline);
    setLaneLimit(limits.lane);
  });

  it('fails the read with a DeviceError naming the op and the fault; later ops are right and inputs intact', async () => {
    const [a, b] = await inputs(randn([M, M]), randn([M, M]));
    const aBefore = await bits(a);
    const expected = await a.matmul(b).data();
    const before = runtimeStats().laneLaunches;
    injectWorkerFault(kind);
    const err = await a.matmul(b).data().then(() => null, (e: unknown) => e);
    expect(runtimeStats().laneLaunches).toBeGreaterThan(before);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/^matmul: /);
    expect((err as Error).message).toMatch(says);
    expect(await bits(a)).toEqual(aBefore);
    for (let i = 0; i < 3; i++) expect(await a.matmul(b).data()).toEqual(expected);
  });

  it('leaves a parameter exactly as before when its update reads the failed result', async () => {
    const [x, w] = await inputs(randn([M, M]), randn([M, M], { requiresGrad: true }));
    const wBefore = await bits(w);
    injectWorkerFault(kind);
    const g = x.matmul(x);
    noGrad(() => w.sub_(g.mul(0.1)));
    await expect(synchronize()).rejects.toThrow(says);
    expect(await bits(w)).toEqual(wBefore);
  });
});

describe('anomaly mode', () => {
  it('names the op whose backward produced NaN, and stays off by default', async () => {
    // d√x/dx = 1/(2√x) is infinite at 0; times the 0 from mul(0) gives NaN in sqrt's backward.
    const x = tensor([0, 1, 4], { requiresGrad: true });
    const y = x.sqrt().mul(0).sum();
    y.backward(undefined, { retainGraph: true });
    expect(Number.isNaN((await x.grad!.toArray() as number[])[0])).toBe(true);
    x.grad = null;
    expect(() => detectAnomaly(() => y.backward())).toThrow(AutogradError);
    expect(() => detectAnomaly(() => x.sqrt().mul(0).sum().backward())).toThrow(/^sqrt: its backward produced NaN in the gradient for input 0/);
  });

  it('lets a finite backward through unchanged', async () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    detectAnomaly(() => w.mm(w).tanh().sum().backward());
    const plain = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    plain.mm(plain).tanh().sum().backward();
    expect(await w.grad!.toArray()).toEqual(await plain.grad!.toArray());
  });
});
