// src/kernels/matmul-wasm.ts — float32 matmul in WebAssembly SIMD (built from src/kernels/wasm).
// Imported by the main thread AND by workers. Nothing in src/kernels may import tensor, ops,
// graph or runtime.
import { setFlagsFromString } from 'node:v8';
import { matmulBatchBases } from './layout.js';
import type { Kernel, MatmulArgs } from './types.js';
import { heapAlloc, instantiate, wasmValidates, type WasmMemory } from './wasm-module.js';

/** 'relaxed' fuses multiply-add (relaxed_madd); 'simd' rounds the product and the sum apart. */
export type MatmulVariant = 'relaxed' | 'simd';

/** A WASM matmul kernel. It computes float32 only: call `supports(args)` before `run`. */
export interface WasmMatmulKernel extends Kernel<MatmulArgs> {
  readonly variant: MatmulVariant;
  supports(args: MatmulArgs): boolean;
}

/**
 * A unit is one MC×nc tile of one batch entry of C, computed over the whole of k:
 *   units = Π batchShape · ⌈n/nc⌉ · ⌈m/MC⌉, numbered batch-major, then column block, then row
 *   block (fastest), so consecutive units in one run() call share the packed B panel.
 * nc ≤ NC_MAX depends on the shapes only (see colsPerUnit). Inside a tile k is walked in KC-deep
 * blocks: a packed B strip (KC×8 floats = 8 KiB) stays in L1, the packed A block
 * (MC×KC floats = 64 KiB) in L2.
 */
const MR = 4;
const NR = 8;
const MC = 64;
const NC_MAX = 512;
const KC = 256;
/** Columns from which a one-row-block product is split in two. */
const MIN_SPLIT_COLS = 64;
/** Packed B covers all of k for one column block; nc shrinks so it stays under 32 MiB. */
const B_PANEL_MAX_FLOATS = 1 << 23;

/**
 * Single-thread speed of the micro-kernel (GFLOP/s = flops per ns) and of packing (floats per
 * ns), measured on the project machine at 256–1024; unitCost is built from them.
 */
const GFLOPS: Record<MatmulVariant, number> = { relaxed: 46, simd: 38 };
const PACK_FLOATS_PER_NS = 2;
const UNIT_OVERHEAD_NS = 2000;

const FILES: Record<MatmulVariant, string> = {
  relaxed: 'matmul-relaxed.wasm',
  simd: 'matmul-simd.wasm',
};

interface GemmExports {
  gemmBlock(ap: number, bp: number, cp: number, ldc: number, mc: number, nc: number, kc: number): void;
  packStepMajor(src: number, ld: number, dst: number, count: number, kc: number, w: number): void;
  packLineMajor(src: number, ld: number, dst: number, count: number, kc: number, w: number): void;
  copyRows(tile: number, ldt: number, c: number, ldc: number, rows: number, cols: number): void;
}

/**
 * The picked variant for this process: 'relaxed' when relaxed SIMD compiles (on Node 20 after
 * setting V8's --experimental-wasm-relaxed-simd, which this call does), else 'simd', else null.
 * The V8 flag is process-wide, so workers started afterwards see the same answer; still, pass
 * the main thread's choice to workers so both run the same bits.
 *
 * @example
 *   const variant = bestMatmulVariant();            // 'relaxed' on Node 20 here
 *   const kernel = variant && loadMatmulWasm(variant, heapMemory()!);
 */
export function bestMatmulVariant(): MatmulVariant | null {
  if (relaxedSupported()) return 'relaxed';
  if (wasmValidates(FILES.simd)) return 'simd';
  return null;
}

const loaded = new Map<MatmulVariant, WasmMatmulKernel | null>();

/**
 * This thread's kernel for `variant` (its own instance, and its own scratch in the tensor heap
 * `heap`), or null if this Node cannot compile that variant. Synchronous, so a worker can call it
 * at module load. Operands on the heap (args.heap) are packed where they lie; others are staged.
 *
 * @example
 *   const mm = loadMatmulWasm('simd', heapMemory()!)!;
 *   // C (2×2) = A (2×3) · B (3×2), all contiguous
 *   const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
 *   const c = new Float32Array(4);
 *   const args = { a, aOffset: 0, aBatchStrides: [], aRowStride: 3, aColStride: 1,
 *                  b, bOffset: 0, bBatchStrides: [], bRowStride: 2, bColStride: 1,
 *                  c, cOffset: 0, batchShape: [], m: 2, n: 2, k: 3 };
 *   mm.run(args, 0, mm.units(args)); // c = [4, 5, 10, 11]
 */
export function loadMatmulWasm(variant: MatmulVariant, heap: WasmMemory): WasmMatmulKernel | null {
  let kernel = loaded.get(variant);
  if (kernel === undefined) {
    const supported = variant === 'relaxed' ? relaxedSupported() : wasmValidates(FILES[variant]);
    kernel = supported ? createKernel(variant, heap) : null;
    loaded.set(variant, kernel);
  }
  return kernel;
}

/** True for float32 operands and output: the only dtype the WASM kernels compute. */
export function supportsMatmulWasm(args: MatmulArgs): boolean {
  return args.a instanceof Float32Array && args.b instanceof Float32Array && args.c instanceof Float32Array;
}

function relaxedSupported(): boolean {
  if (wasmValidates(FILES.relaxed)) return true;
  // Node 20 (V8 11.3) ships relaxed SIMD behind a flag; Node ≥ 22 has it on by default.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasmValidates(FILES.relaxed);
}

/** Shape-only tile geometry: the same on every thread and for every split. */
interface Grid {
  batch: number;
  rowBlocks: number;
  colBlocks: number;
  /** Columns per unit (a multiple of NR, except that the last block may be narrower). */
  nc: number;
}

function grid({ batchShape, m, n, k }: MatmulArgs): Grid {
  let batch = 1;
  for (const size of batchShape) batch *= size;
  const nc = colsPerUnit(n, k, batch * Math.ceil(m / MC));
  return { batch, rowBlocks: Math.ceil(m / MC), colBlocks: n === 0 ? 0 : Math.ceil(n / nc), nc };
}

/**
 * Even column blocks of at most NC_MAX (and at most B_PANEL_MAX_FLOATS / k), rounded up to NR.
 * A product of one row block (the tutorial's 64×1000 · 1000×100) gets at least two, so two
 * threads can share it; each packs A once. Blocking never changes an element's bits.
 */
function colsPerUnit(n: number, k: number, rowBlocks: number): number {
  const cap = Math.max(NR, Math.min(NC_MAX, Math.floor(B_PANEL_MAX_FLOATS / Math.max(k, 1) / NR) * NR));
  const blocks = Math.max(rowBlocks === 1 && n >= MIN_SPLIT_COLS ? 2 : 1, Math.ceil(n / cap));
  return roundUp(Math.ceil(n / blocks), NR);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** [aBase, bBase, cBase] of a unit's batch entry (see matmulBatchBases): scratch, so run() never allocates. */
const bases = new Float64Array(3);

function createKernel(variant: MatmulVariant, memory: WasmMemory): WasmMatmulKernel {
  const wasm = instantiate<GemmExports>(FILES[variant], memory);
  let heap = new Float32Array(memory.buffer);

  /** `floats` of this thread's scratch, carved from the heap (offset in floats). */
  function scratch(floats: number): number {
    const offset = heapAlloc(memory, roundUp(floats * 4, 64));
    if (offset < 0) throw new RangeError(`matmul (wasm ${variant}): the tensor heap is full; no room for ${floats * 4} bytes of packing scratch`);
    return offset / 4;
  }

  // Region offsets in floats (×4 for the byte pointers WASM takes): A block, C tile, staging for
  // one K block of raw A or B; then packed B for all of k, which is carved again when it outgrows.
  const aPack = scratch(MC * KC + MC * NC_MAX + Math.max(MC, NC_MAX) * KC);
  const cTile = aPack + MC * KC;
  const stage = cTile + MC * NC_MAX;
  let bPack = 0;
  let bPackFloats = 0;

  function reserve(bPackNeeded: number): void {
    if (bPackNeeded > bPackFloats) {
      // The old region is left behind: it grows at most twice past any size, once per thread.
      bPackFloats = Math.max(bPackNeeded, 2 * bPackFloats);
      bPack = scratch(bPackFloats);
    }
    // Any thread may have grown the heap since: the view must cover it.
    if (heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer);
  }

  /**
   * Packs `count` lines × kc steps starting at src[origin] into w-wide panels at `dst`: A's rows
   * (w = MR) or B's columns (w = NR), each walked along k. On the heap, straight from src when its
   * lines or its steps are contiguous; otherwise the raw block is staged first, one memcpy per
   * contiguous run. Every route gives the same panels.
   */
  function pack(src: Float32Array, onHeap: boolean, origin: number, lineStride: number, stepStride: number, count: number, kc: number, w: number, dst: number): void {
    if (onHeap && stepStride === 1) return wasm.packLineMajor(src.byteOffset + origin * 4, lineStride, dst * 4, count, kc, w);
    if (onHeap && lineStride === 1) return wasm.packStepMajor(src.byteOffset + origin * 4, stepStride, dst * 4, count, kc, w);
    if (stepStride === 1 || lineStride !== 1) {
      // line-major: stage[l·kc + p]
      for (let l = 0; l < count; l++) copyRun(src, origin + l * lineStride, stepStride, kc, stage + l * kc);
      wasm.packLineMajor(stage * 4, kc, dst * 4, count, kc, w);
    } else {
      // step-major: stage[p·count + l]
      for (let p = 0; p < kc; p++) copyRun(src, origin + p * stepStride, 1, count, stage + p * count);
      wasm.packStepMajor(stage * 4, count, dst * 4, count, kc, w);
    }
  }

  /** heap[to, to+count) = src[from + t·stride]: one memcpy when the run is contiguous. */
  function copyRun(src: Float32Array, from: number, stride: number, count: number, to: number): void {
    if (stride === 1 && count >= 16) {
      heap.set(src.subarray(from, from + count), to);
    } else {
      for (let t = 0; t < count; t++) heap[to + t] = src[from + t * stride];
    }
  }

  function assertFloat32(args: MatmulArgs): asserts args is MatmulArgs & { a: Float32Array; b: Float32Array; c: Float32Array } {
    if (!supportsMatmulWasm(args)) throw new TypeError(`matmul (wasm ${variant}): float32 only; got ${args.a.constructor.name}`);
  }

  return {
    variant,
    supports: supportsMatmulWasm,

    run(args, start, end) {
      assertFloat32(args);
      const { a, b, c, m, n, k } = args;
      const onHeap = args.heap === true;
      const g = grid(args);
      reserve(k * roundUp(g.nc, NR));
      // Packed B is reused by consecutive units with the same B panel, within this call only:
      // the data may change between calls.
      let packedBBase = -1;
      let packedBCol = -1;
      for (let unit = start; unit < end; unit++) {
        const rowBlock = unit % g.rowBlocks;
        const colBlock = Math.floor(unit / g.rowBlocks) % g.colBlocks;
        matmulBatchBases(args, Math.floor(unit / (g.rowBlocks * g.colBlocks)), bases);
        const aBase = bases[0];
        const bBase = bases[1];
        const cBase = bases[2];

        const i0 = rowBlock * MC;
        const mc = Math.min(MC, m - i0);
        const mcPad = roundUp(mc, MR);
        const j0 = colBlock * g.nc;
        const nc = Math.min(g.nc, n - j0);
        const ncPad = roundUp(nc, NR);

        if (bBase !== packedBBase || colBlock !== packedBCol) {
          for (let p0 = 0; p0 < k; p0 += KC) {
            const kc = Math.min(KC, k - p0);
            // B's lines are its columns j0…, its steps the rows p0… of k.
            pack(b, onHeap, bBase + j0 * args.bColStride + p0 * args.bRowStride, args.bColStride, args.bRowStride, nc, kc, NR, bPack + p0 * ncPad);
          }
          packedBBase = bBase;
          packedBCol = colBlock;
        }

        heap.fill(0, cTile, cTile + mcPad * ncPad);
        for (let p0 = 0; p0 < k; p0 += KC) {
          const kc = Math.min(KC, k - p0);
          pack(a, onHeap, aBase + i0 * args.aRowStride + p0 * args.aColStride, args.aRowStride, args.aColStride, mc, kc, MR, aPack);
          wasm.gemmBlock(aPack * 4, (bPack + p0 * ncPad) * 4, cTile * 4, ncPad, mcPad, ncPad, kc);
        }
        if (onHeap) {
          wasm.copyRows(cTile * 4, ncPad, c.byteOffset + (cBase + i0 * n + j0) * 4, n, mc, nc);
        } else {
          for (let i = 0; i < mc; i++) {
            const row = cTile + i * ncPad;
            c.set(heap.subarray(row, row + nc), cBase + (i0 + i) * n + j0);
          }
        }
      }
    },

    units(args) {
      const g = grid(args);
      return g.batch * g.rowBlocks * g.colBlocks;
    },

    unitCost(args) {
      const { m, n, k } = args;
      const g = grid(args);
      const units = g.batch * g.rowBlocks * g.colBlocks;
      if (units === 0) return 0;
      const flops = (2 * g.batch * m * n * k) / units;
      // A is packed once per unit; B once per column block (amortised over its row blocks).
      const packed = Math.min(m, MC) * k + (Math.min(n, g.nc) * k) / g.rowBlocks;
      return flops / GFLOPS[variant] + packed / PACK_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
    },
  };
}
