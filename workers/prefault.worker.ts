// The heap's prefaulter (src/runtime/prefault.ts): touches the tensor heap's pages ahead of the
// bump pointer, so the threads that compute find them mapped. It never changes a byte: each page
// is touched with an atomic add of 0, harmless even on a page another thread is writing.
import { workerData } from 'node:worker_threads';
import { ASLEEP_INDEX, BELL_INDEX, heapHeader, heapTop, MAX_BYTES, TOUCHED_INDEX, type WasmMemory } from '../src/kernels/wasm-module.js';

const PAGE = 4096;
const CHUNK = 1 << 20;
const MIN_AHEAD = 8 << 20;
const MAX_AHEAD = 64 << 20;
const GROW_UNIT = 65536;

const memory = (workerData as { memory: WasmMemory }).memory;
const { u32, i32 } = heapHeader(memory);
let words = new Int32Array(memory.buffer);

/**
 * How far ahead to run: as far as the program has used, within [8, 64] MiB, so a small script's
 * memory grows by at most its own size and a training loop's by at most one GC budget's half.
 */
function target(top: number): number {
  return Math.min(MAX_BYTES, top + Math.min(MAX_AHEAD, Math.max(MIN_AHEAD, top)));
}

/** Grows the memory to cover `end` bytes; false when it cannot (the heap is full: nothing to touch). */
function cover(end: number): boolean {
  while (memory.buffer.byteLength < end) {
    const length = memory.buffer.byteLength;
    try {
      memory.grow(Math.ceil(Math.min(MAX_BYTES - length, Math.max(end - length, 16 << 20)) / GROW_UNIT));
    } catch {
      if (memory.buffer.byteLength < end) return false;
    }
  }
  if (words.byteLength < end) words = new Int32Array(memory.buffer);
  return true;
}

/** The next pages to touch, [from, to), or null when there are none (or the heap cannot grow to them). */
function nextChunk(): [number, number] | null {
  const top = heapTop(memory);
  const from = Math.max(Atomics.load(u32, TOUCHED_INDEX), top - (top % PAGE));
  const to = Math.min(target(top), from + CHUNK);
  return from < to && cover(to) ? [from, to] : null;
}

for (;;) {
  const chunk = nextChunk();
  if (chunk !== null) {
    for (let p = chunk[0]; p < chunk[1]; p += PAGE) Atomics.add(words, p >> 2, 0);
    Atomics.store(u32, TOUCHED_INDEX, chunk[1]);
    continue;
  }
  // Sleep until an allocation nears the touched pages. heapAlloc reads ASLEEP after moving the
  // pointer and this thread looks again after setting it, so a wake-up is never missed.
  const bell = Atomics.load(i32, BELL_INDEX);
  Atomics.store(u32, ASLEEP_INDEX, 1);
  if (nextChunk() === null) Atomics.wait(i32, BELL_INDEX, bell);
  Atomics.store(u32, ASLEEP_INDEX, 0);
}
