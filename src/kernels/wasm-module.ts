// Loading the WebAssembly modules that `npm run build` compiles into dist/wasm (from the
// AssemblyScript in src/kernels/wasm). Imported by the main thread and by workers.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The slice of the WebAssembly JS API used here (tsconfig's lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: object };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const bytesCache = new Map<string, Uint8Array>();

/** The bytes of dist/wasm/<file>, read once per thread. */
export function wasmBytes(file: string): Uint8Array {
  let bytes = bytesCache.get(file);
  if (bytes === undefined) {
    bytes = readFileSync(wasmPath(file));
    bytesCache.set(file, bytes);
  }
  return bytes;
}

/** Whether this Node compiles dist/wasm/<file> (SIMD, relaxed SIMD and threads are features). */
export function wasmValidates(file: string): boolean {
  return WebAssembly.validate(wasmBytes(file));
}

/** A fresh instance of dist/wasm/<file>; `memory` is imported as env.memory when given. */
export function instantiate<E extends object>(file: string, memory?: WasmMemory): E {
  const imports = memory === undefined ? {} : { env: { memory } };
  return new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(file)), imports).exports as E;
}

/**
 * <package root>/dist/wasm/<file>. This module runs from src/kernels (TypeScript under vitest)
 * or dist/src/kernels (compiled), so walk up from it until dist/wasm appears.
 */
function wasmPath(file: string): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, up = 0; up < 5; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'wasm', file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${file} not found in dist/wasm above ${start}; run \`npm run build\``);
}

/**
 * The tensor heap's layout, shared by every thread: bytes [0, 16) of the first page are its header
 * (no WebAssembly module here has data or globals in memory), the rest of that page is left alone,
 * and blocks follow. Header words (uint32):
 *   [TOP_INDEX]      the bump pointer, the first byte no block has taken;
 *   [TOUCHED_INDEX]  bytes below which the prefaulter (src/runtime/prefault.ts) has touched every page;
 *   [BELL_INDEX]     rung when the bump pointer nears TOUCHED, to wake a sleeping prefaulter;
 *   [ASLEEP_INDEX]   1 while the prefaulter sleeps on BELL, so only then is it rung.
 */
const TOP_INDEX = 0;
export const TOUCHED_INDEX = 1;
export const BELL_INDEX = 2;
export const ASLEEP_INDEX = 3;
export const HEAP_FIRST_BLOCK = 65536;
const PAGE_BYTES = 65536;
export const MAX_BYTES = 2 ** 32 - PAGE_BYTES;
/** Grow by at least this much, or a quarter of the heap: few grows, little unused commitment. */
const MIN_GROW_BYTES = 16 * 1024 * 1024;
/** A sleeping prefaulter is woken once the bump pointer comes this close to the pages it touched. */
export const TOUCH_WAKE_BYTES = 4 * 1024 * 1024;

/** The header, as uint32 words (loads, adds) and int32 ones (wait, notify): one view per memory per thread. */
interface Header {
  memory: WasmMemory;
  u32: Uint32Array;
  i32: Int32Array;
}
let header: Header | null = null;

export function heapHeader(memory: WasmMemory): Header {
  if (header === null || header.memory !== memory) header = { memory, u32: new Uint32Array(memory.buffer, 0, 4), i32: new Int32Array(memory.buffer, 0, 4) };
  return header;
}

/** Sets up a fresh heap's bump pointer; once, by the thread that created the memory. */
export function initHeap(memory: WasmMemory): void {
  Atomics.store(heapHeader(memory).u32, TOP_INDEX, HEAP_FIRST_BLOCK);
}

/** Bytes below which the prefaulter has touched every page (0 when none runs). */
export function heapTouched(memory: WasmMemory): number {
  return Atomics.load(heapHeader(memory).u32, TOUCHED_INDEX);
}

/** The first byte no block has taken. */
export function heapTop(memory: WasmMemory): number {
  return Atomics.load(heapHeader(memory).u32, TOP_INDEX);
}

/**
 * A fresh block of `bytes` (a multiple of 64) in the shared heap, from any thread, or -1 when
 * the heap cannot grow that far. Blocks are carved with one atomic add; a thread that finds the
 * memory too short grows it (two racing threads may both grow it: a little more memory, no harm).
 */
export function heapAlloc(memory: WasmMemory, bytes: number): number {
  const { u32, i32 } = heapHeader(memory);
  const offset = Atomics.add(u32, TOP_INDEX, bytes);
  const end = offset + bytes;
  if (end > MAX_BYTES || end < offset) {
    Atomics.sub(u32, TOP_INDEX, bytes);
    return -1;
  }
  while (memory.buffer.byteLength < end) {
    const length = memory.buffer.byteLength;
    const want = Math.min(MAX_BYTES - length, Math.max(end - length, MIN_GROW_BYTES, length >> 2));
    try {
      memory.grow(Math.ceil(want / PAGE_BYTES));
    } catch {
      if (memory.buffer.byteLength >= end) break; // another thread grew it meanwhile
      return -1; // this block's bytes stay carved but unused: the heap is full anyway
    }
  }
  if (Atomics.load(u32, ASLEEP_INDEX) === 1 && end + TOUCH_WAKE_BYTES > Atomics.load(u32, TOUCHED_INDEX)) {
    Atomics.add(i32, BELL_INDEX, 1);
    Atomics.notify(i32, BELL_INDEX);
  }
  return offset;
}
