// The heap's free blocks (src/free-blocks.ts): exact sizes first and most recent first, the
// smallest larger block split, small and large kept apart, adjacent blocks merged on demand, and,
// against a byte map of a simulated heap, never a byte handed out twice.
import { describe, expect, it } from 'vitest';
import { FreeBlocks } from '../src/free-blocks.js';

const KB = 1024;
const MB = 1024 * KB;

function holding(...blocks: [number, number][]): FreeBlocks {
  const free = new FreeBlocks();
  for (const [offset, size] of blocks) free.put(offset, size);
  return free;
}

describe('FreeBlocks', () => {
  it('takes a block of the exact size, the most recently freed first', () => {
    const free = holding([0, 128], [1024, 128], [4096, 256]);
    expect(free.take(128)).toBe(1024);
    expect(free.take(128)).toBe(0);
    expect(free.bytes).toBe(256);
  });

  it('splits the smallest larger block and keeps the rest', () => {
    const free = holding([0, 1024], [8192, 512]);
    expect(free.take(256)).toBe(8192);
    expect(free.take(256)).toBe(8448);
    expect(free.take(256)).toBe(0);
    expect(free.take(768)).toBe(256);
    expect(free.take(64)).toBe(-1);
    expect(free.bytes).toBe(0);
  });

  it('never splits a large block (1 MB and up) for a small request', () => {
    const free = holding([0, 2 * MB]);
    expect(free.take(4 * KB)).toBe(-1);
    expect(free.take(MB)).toBe(0);
    expect(free.take(MB)).toBe(MB);
  });

  it('merges adjacent blocks when no single one is large enough', () => {
    const free = holding([3 * MB, MB], [0, MB], [2 * MB, MB], [MB, MB], [16 * MB, 2 * MB]);
    expect(free.take(4 * MB)).toBe(0);
    expect(free.take(4 * MB)).toBe(-1);
    expect(free.take(2 * MB)).toBe(16 * MB);
  });

  it('does not merge for requests under 64 KB (a fresh block costs less than the pass)', () => {
    const free = holding([0, 4 * KB], [4 * KB, 4 * KB]);
    expect(free.take(8 * KB)).toBe(-1);
    expect(free.take(4 * KB)).toBe(4 * KB);
  });

  it('hands out only free bytes, each to one owner, under random puts and takes', () => {
    const UNIT = 64;
    const HEAP = 64 * MB;
    const owner = new Uint8Array(HEAP / UNIT); // 0 free, 1 in the free blocks, 2 taken
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const free = new FreeBlocks();
    const taken: [number, number][] = [];
    let top = 0; // the bump pointer of the simulated heap
    const mark = (offset: number, size: number, from: number, to: number) => {
      const units = owner.subarray(offset / UNIT, (offset + size) / UNIT);
      const wrong = units.findIndex((o) => o !== from);
      expect(wrong === -1 ? 'ok' : `unit ${offset / UNIT + wrong} was ${units[wrong]}, expected ${from}`).toBe('ok');
      units.fill(to);
    };
    const sizes = [64, 640, 4 * KB, 100 * KB, 400 * KB, MB, 1.5 * MB, 4 * MB];
    for (let step = 0; step < 4000; step++) {
      if (taken.length > 0 && rand() < 0.45) {
        const [offset, size] = taken.splice(Math.floor(rand() * taken.length), 1)[0];
        mark(offset, size, 2, 1);
        free.put(offset, size);
        continue;
      }
      const size = sizes[Math.floor(rand() * sizes.length)];
      let offset = free.take(size);
      if (offset >= 0) {
        mark(offset, size, 1, 2);
      } else {
        if (top + size > HEAP) continue;
        offset = top;
        top += size;
        mark(offset, size, 0, 2);
      }
      taken.push([offset, size]);
    }
    let inFree = 0;
    for (const o of owner) if (o === 1) inFree += UNIT;
    expect(free.bytes).toBe(inFree);
    // Everything given back, merged, serves one request of all of it.
    for (const [offset, size] of taken) free.put(offset, size);
    expect(free.take(top)).toBe(0);
  });
});
