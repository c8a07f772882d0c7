// The tensor heap: one shared WebAssembly memory that holds every tensor's storage. Its buffer is
// a SharedArrayBuffer like any other, so workers see the tensors where they are; and because it
// is also a WebAssembly memory, the WASM kernels on every thread compute on tensors in place, with
// no copy in or out. storage.ts carves it into blocks (and recycles them); kernels carve their
// per-thread scratch from it too (heapAlloc is thread-safe).
//
// wasm32 addresses reach 4 GiB. A shared memory never moves (V8 reserves its maximum up front),
// so a view made before a grow stays valid after it.
import { HEAP_FIRST_BLOCK, heapAlloc, heapTop, heapTouched, initHeap, type WasmMemory } from './kernels/wasm-module.js';

interface MemoryApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

const INITIAL_PAGES = 256;
const MAX_PAGES = 65536;

function createMemory(): WasmMemory | null {
  try {
    const api = (globalThis as unknown as { WebAssembly: MemoryApi }).WebAssembly;
    const memory = new api.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
    initHeap(memory);
    return memory;
  } catch {
    return null; // no shared WebAssembly memory here: storage falls back to plain SharedArrayBuffers
  }
}

const memory = createMemory();
/** Test hook (setHeapLimit): blocks past this many bytes in use are refused, as in a full heap. */
let limitBytes = Infinity;

/** The heap, for the kernels of every thread; null where shared WebAssembly memory is missing. */
export function heapMemory(): WasmMemory | null {
  return memory;
}

let buffer: SharedArrayBuffer | null = null;

/**
 * The heap's buffer, covering bytes [0, end) (every block handed out so far when `end` is
 * omitted). Kept between calls: reading memory.buffer costs every allocation a getter call, and
 * a buffer object from before a grow stays valid for the bytes it covers.
 */
export function heapBuffer(end = Infinity): SharedArrayBuffer {
  if (memory === null) throw new Error('heap: no shared WebAssembly memory in this runtime');
  if (buffer === null || buffer.byteLength < end) buffer = memory.buffer as SharedArrayBuffer;
  return buffer;
}

/** A fresh zero-filled block of `bytes` (a multiple of 64), 64-byte aligned; -1 when the heap is full. */
export function heapBlock(bytes: number): number {
  if (memory === null || (limitBytes !== Infinity && heapUsedBytes() + bytes > limitBytes)) return -1;
  return heapAlloc(memory, bytes);
}

/**
 * Test hook: makes the heap refuse fresh blocks once `bytes` are in use (Infinity: the 4 GiB of
 * wasm32), so tests can reach the fallback to plain SharedArrayBuffers.
 */
export function setHeapLimit(bytes: number): void {
  limitBytes = bytes;
}

/** Bytes of heap handed out as blocks so far, to tensors and kernel scratch. */
export function heapUsedBytes(): number {
  return memory === null ? 0 : heapTop(memory) - HEAP_FIRST_BLOCK;
}

/** Test hook: how far ahead of the blocks handed out the prefaulter (runtime/prefault.ts) has touched the heap. */
export function heapTouchedAhead(): number {
  return memory === null ? 0 : heapTouched(memory) - heapTop(memory);
}
