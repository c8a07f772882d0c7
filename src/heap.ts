// The tensor heap: one shared WebAssembly memory that holds every tensor's storage. Its buffer is
// a SharedArrayBuffer like any other, so workers see the tensors where they are; and because it
// is also a WebAssembly memory, the WASM kernels on every thread compute on tensors in place, with
// no copy in or out. storage.ts carves it into blocks; this file only grows it.
//
// wasm32 addresses reach 4 GiB. A shared memory never moves (V8 reserves its maximum up front),
// so a view made before a grow stays valid after it.

/** The slice of the WebAssembly JS API used here (tsconfig's lib has no WebAssembly types). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface MemoryApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}

const PAGE_BYTES = 65536;
const MAX_PAGES = 65536;
/** The first page holds no tensor: offset 0 stays free (and the WASM modules have no static data). */
const FIRST_BLOCK = PAGE_BYTES;
/** Grow by at least this much, or a quarter of the heap: few grows, little unused commitment. */
const MIN_GROW_PAGES = 256;

function createMemory(): SharedMemory | null {
  try {
    const api = (globalThis as unknown as { WebAssembly: MemoryApi }).WebAssembly;
    return new api.Memory({ initial: MIN_GROW_PAGES, maximum: MAX_PAGES, shared: true });
  } catch {
    return null; // no shared WebAssembly memory here: storage falls back to plain SharedArrayBuffers
  }
}

const memory = createMemory();
let buffer: SharedArrayBuffer | null = memory?.buffer ?? null;
let top = FIRST_BLOCK;

/** The heap, for the kernels of every thread; null where shared WebAssembly memory is missing. */
export function heapMemory(): SharedMemory | null {
  return memory;
}

/** The heap's current buffer: covers every block handed out so far. */
export function heapBuffer(): SharedArrayBuffer {
  if (buffer === null) throw new Error('heap: no shared WebAssembly memory in this runtime');
  return buffer;
}

/**
 * A fresh block of `bytes` (a multiple of 64), zero-filled, at a 64-byte-aligned offset; -1 when
 * the heap cannot grow that far.
 */
export function heapBlock(bytes: number): number {
  if (memory === null || buffer === null) return -1;
  const end = top + bytes;
  if (end > buffer.byteLength) {
    const pages = buffer.byteLength / PAGE_BYTES;
    const needed = Math.ceil((end - buffer.byteLength) / PAGE_BYTES);
    const want = Math.min(MAX_PAGES - pages, Math.max(needed, MIN_GROW_PAGES, pages >> 2));
    if (want < needed) return -1;
    try {
      memory.grow(want);
    } catch {
      return -1;
    }
    buffer = memory.buffer;
  }
  const offset = top;
  top = end;
  return offset;
}

/** Bytes of heap handed out as blocks so far (live, cached or not). */
export function heapUsedBytes(): number {
  return top - FIRST_BLOCK;
}
