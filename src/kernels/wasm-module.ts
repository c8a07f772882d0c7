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
