// The tensor heap: block sizes, blocks carved by several threads at once, and storages outside a
// full heap, which every op must still compute with the same bits (in JavaScript, not WASM).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { heapBuffer, heapMemory, heapTouchedAhead, heapUsedBytes, setHeapLimit } from '../src/heap.js';
import { manualSeed, randn, synchronize, type Tensor } from '../src/index.js';
import { blockSize } from '../src/storage.js';
import { heapAlloc } from '../src/kernels/wasm-module.js';

afterEach(() => setHeapLimit(Infinity));

describe('blockSize', () => {
  it('rounds up to 64 bytes, then to eighths of a power of two, never below the request', () => {
    expect([1, 64, 65, 4096].map(blockSize)).toEqual([64, 64, 128, 4096]);
    expect(blockSize(4097)).toBe(4608); // 4096 + 512
    expect(blockSize(400_000)).toBe(425_984); // 13 steps of 32 KiB
    let last = 0;
    for (let bytes = 1; bytes < 1 << 22; bytes = Math.ceil(bytes * 1.37)) {
      const size = blockSize(bytes);
      expect(size).toBeGreaterThanOrEqual(bytes);
      expect(size % 64).toBe(0);
      expect(size).toBeLessThanOrEqual(Math.max(bytes * 1.125, 64 * Math.ceil(bytes / 64)));
      expect(size).toBeGreaterThanOrEqual(last);
      last = size;
    }
  });
});

describe('heapAlloc', () => {
  it('hands out disjoint 64-byte-aligned blocks to the main thread and a worker carving at once', async () => {
    const compiled = new URL('../dist/src/kernels/wasm-module.js', import.meta.url);
    expect(existsSync(fileURLToPath(compiled))).toBe(true);
    const source = `
      import { workerData, parentPort } from 'node:worker_threads';
      import { heapAlloc } from ${JSON.stringify(compiled.href)};
      const gate = new Int32Array(workerData.gate);
      parentPort.postMessage('ready');
      Atomics.wait(gate, 0, 0);
      const offsets = [];
      for (let i = 0; i < 4000; i++) offsets.push(heapAlloc(workerData.heap, 64 * (1 + (i % 3))));
      parentPort.postMessage(offsets);`;
    const memory = heapMemory()!;
    // Both threads start carving at the same moment: the worker waits at a gate the main thread opens.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { heap: memory, gate: gate.buffer } });
    const messages: unknown[] = [];
    const next = () => new Promise<unknown>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    messages.push(await next());
    expect(messages[0]).toBe('ready');
    const theirs = next() as Promise<number[]>;
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const mine: [number, number][] = [];
    for (let i = 0; i < 4000; i++) mine.push([heapAlloc(memory, 128), 128]);
    const blocks = [...mine, ...(await theirs).map((offset, i): [number, number] => [offset, 64 * (1 + (i % 3))])];
    await worker.terminate();
    blocks.sort((x, y) => x[0] - y[0]);
    for (const [offset] of blocks) expect(offset % 64).toBe(0);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i][0]).toBeGreaterThanOrEqual(blocks[i - 1][0] + blocks[i - 1][1]);
    expect(heapBuffer().byteLength).toBeGreaterThanOrEqual(blocks[blocks.length - 1][0] + blocks[blocks.length - 1][1]);
  });
});

describe('a full heap', () => {
  /**
   * The same seeded program on whatever storage it gets; `fillHeapAfterInputs` makes the heap
   * full once x and w are drawn, so the ops mix heap and non-heap operands.
   */
  async function program(fillHeapAfterInputs = false): Promise<{ onHeap: boolean[]; values: Float32Array[] }> {
    manualSeed(7);
    const x = randn([70, 90]);
    const w = randn([90, 40]);
    if (fillHeapAfterInputs) setHeapLimit(heapUsedBytes());
    const h = x.mm(w).relu().add(x.narrow(1, 0, 40)).mul(0.5);
    const g = x.t().mm(h.sub(1));
    await synchronize();
    const onHeap = [x, w, h, g].map((t: Tensor) => t.storage.onHeap);
    return { onHeap, values: await Promise.all([h, g].map(async (t) => (await t.data()) as Float32Array)) };
  }

  it('gives storages SharedArrayBuffers of their own, and ops on them or on a mix the same bits', async () => {
    const inHeap = await program();
    expect(inHeap.onHeap).toEqual([true, true, true, true]);
    const mixed = await program(true);
    expect(mixed.onHeap).toEqual([true, true, false, false]);
    setHeapLimit(heapUsedBytes());
    const outside = await program();
    expect(outside.onHeap).toEqual([false, false, false, false]);
    for (const other of [mixed, outside]) {
      for (let k = 0; k < inHeap.values.length; k++) {
        expect(Buffer.from(other.values[k].buffer).equals(Buffer.from(inHeap.values[k].buffer))).toBe(true);
      }
    }
  });
});

describe('the prefaulter', () => {
  it('touches pages ahead of the blocks handed out, changing no byte of the blocks below them', async () => {
    manualSeed(3);
    // 4 MB of tensors written before and while it runs: their bits must survive its touches.
    const kept = Array.from({ length: 8 }, () => randn([128, 1024]));
    const before = await Promise.all(kept.map(async (t) => Buffer.from(((await t.data()) as Float32Array).buffer).toString('base64')));
    // It runs 8 MiB ahead, and runs again only once the pointer comes within 4 MiB, so a small
    // block handed out after it settled (a slab, kernel scratch) leaves it just under 8 MiB ahead:
    // more than 4 MiB is what it promises. Without it, nothing is touched ahead (≤ 0).
    let ahead = heapTouchedAhead();
    for (let waited = 0; ahead <= 4 << 20 && waited < 4000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ahead = heapTouchedAhead();
    }
    expect(ahead).toBeGreaterThan(4 << 20);
    const after = await Promise.all(kept.map(async (t) => Buffer.from(((await t.data()) as Float32Array).buffer).toString('base64')));
    expect(after).toEqual(before);
  });
});
