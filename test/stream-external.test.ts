// The stream's external launches (submitExternal): work done outside the device, in the stream's
// order. run() starts after the launches before it, no later launch runs until it settles, and a
// rejection fails it as a kernel fault does.
import { describe, expect, it } from 'vitest';
import { DeviceError, DistributedError, full, synchronize } from '../src/index.js';
import { submitExternal } from '../src/runtime/stream.js';

describe('submitExternal', () => {
  it('runs after the ops that wrote its storage; later ops wait for it and see what it wrote', async () => {
    const t = full([4], 1);
    t.mul_(3); // queued or run before the external: run() must see 3s
    let seenAtStart: number[] = [];
    let release!: () => void;
    submitExternal({
      op: 'double',
      reads: [t.storage],
      writes: [t.storage],
      run: () => {
        seenAtStart = Array.from(t.storage.data.subarray(0, 4));
        return new Promise<void>((resolve) => {
          release = () => {
            for (let i = 0; i < 4; i++) t.storage.data[i] *= 2;
            resolve();
          };
        });
      },
    });
    const later = t.add(1); // must not run before the external settles
    await new Promise((r) => setTimeout(r, 20));
    expect(seenAtStart).toEqual([3, 3, 3, 3]);
    release();
    expect(Array.from(await later.data())).toEqual([7, 7, 7, 7]);
  });

  it('fails the launch when run() rejects: reads of what it writes reject with the SkeinError as thrown', async () => {
    const t = full([2], 1);
    const error = new DistributedError('allReduce: no answer from the other ranks');
    submitExternal({ op: 'allReduce', reads: [t.storage], writes: [t.storage], run: () => Promise.reject(error) });
    await expect(t.data()).rejects.toBe(error);
    await synchronize().catch(() => undefined);
  });

  it('reports any other rejection as a DeviceError naming the op', async () => {
    const t = full([2], 1);
    submitExternal({ op: 'custom', reads: [], writes: [t.storage], run: () => Promise.reject(new Error('boom')) });
    await expect(t.data()).rejects.toThrow(new DeviceError('custom: boom'));
    await synchronize().catch(() => undefined);
  });
});
