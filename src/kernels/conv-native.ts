// src/kernels/conv-native.ts — float32 convolution as an implicit GEMM on OpenBLAS (gemmTile in
// matmul-native.ts), for when the native matmul is the kernel in use. Each tile packs its slice of
// the patch matrix row-major from the image's strides (wasm/conv.ts packRows) and hands it to ONE
// single-threaded BLAS call, so the im2col matrix of a batch never exists and a tile's bits depend
// on its arguments alone. Imported by the main thread AND by workers. Nothing in src/kernels may
// import tensor, ops, graph or runtime.
import { convChunks, type ConvArgs, type ConvWeightArgs } from './conv.js';
import { supportsConvWasm } from './conv-wasm.js';
import { gemmTile, type GemmTile } from './matmul-native.js';
import type { Kernel } from './types.js';
import { heapAlloc, instantiate, type WasmMemory } from './wasm-module.js';

/**
 * A tile's patch panel holds at most PANEL_FLOATS floats (K rows × its positions): 2 MiB, so a
 * 28×28 layer's whole image is one BLAS call (fewer, larger calls: OpenBLAS repacks per call),
 * and a large image splits into even column blocks, a multiple of ALIGN wide.
 */
const PANEL_FLOATS = 1 << 19;
const ALIGN = 16;

/**
 * Single-thread cost model (thread CPU time on the project machine, loaded, so modest): OpenBLAS
 * sgemm ≈ 60 GFLOP/s on these skinny products, packing ≈ 2 floats per ns, ≈ 3 µs per call.
 */
const GFLOPS = 60;
const PACK_FLOATS_PER_NS = 2;
const UNIT_OVERHEAD_NS = 3000;

/** The scatter path's adds (scatterRows), in floats per ns. */
const ADD_FLOATS_PER_NS = 2;

type RowPacker = (
  x: number, sc: number, sh: number, sw: number, inH: number, inW: number, lh: number, lw: number,
  outW: number, strH: number, strW: number, dilH: number, dilW: number, padH: number, padW: number, kH: number, kW: number,
  first: number, count: number, k0: number, kc: number, dst: number, ld: number,
) => void;

type Scatter = (
  cols: number, out: number, m: number, kH: number, kW: number, inH: number, inW: number, lh: number, lw: number,
  padH: number, padW: number, dilH: number, dilW: number, outH: number, outW: number,
) => void;

export interface NativeConvKernels {
  conv: Kernel<ConvArgs>;
  convWeight: Kernel<ConvWeightArgs>;
  supports(args: ConvArgs | ConvWeightArgs): boolean;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** Column blocks of the positions: even, ALIGN-wide multiples, the same for every thread. */
function positionBlocks(positions: number, K: number): { blocks: number; width: number } {
  const max = Math.max(ALIGN, Math.floor(PANEL_FLOATS / Math.max(1, K) / ALIGN) * ALIGN);
  const blocks = Math.max(1, Math.ceil(positions / max));
  return { blocks, width: Math.min(positions, roundUp(Math.ceil(positions / blocks), ALIGN)) };
}

/**
 * Two ways to run a unit-stride product, picked by the shapes alone (so on every thread alike):
 * gather packs the K × P patch panel and makes out = F·panel; scatter makes cols = F̂·x straight
 * from the image (F̂ is the filter as [(m, kh, kw) × r]) and adds each tap's plane into place.
 * Scatter wins where the input is smaller than the output per channel pair, e.g. the input
 * gradient (a padded transposed convolution, whose gather panel is mostly zeros): conv2d-dx's
 * panel would be 576 × 676, its cols 288 × 576 with no packing at all.
 */
function scatters(a: ConvArgs): boolean {
  const [, xc, xh, xw] = a.xStrides;
  if (a.stride[0] !== 1 || a.stride[1] !== 1 || xw !== 1 || xh !== a.inW || xc < a.inH * a.inW) return false;
  const taps = a.kH * a.kW;
  const P = a.outH * a.outW;
  const Pin = a.inH * a.inW;
  if (a.m * taps * Pin > PANEL_FLOATS) return false;
  const gather = (2 * a.m * a.r * taps * P) / GFLOPS + (a.r * taps * P) / PACK_FLOATS_PER_NS;
  const scatter = (2 * a.m * taps * a.r * Pin) / GFLOPS + (a.m * taps * Pin + a.m * P) / ADD_FLOATS_PER_NS;
  return scatter < gather;
}

let loaded: NativeConvKernels | null = null;

/** This thread's BLAS-backed conv kernels over the tensor heap (the packer runs in WebAssembly). */
export function loadConvNative(memory: WasmMemory): NativeConvKernels {
  if (loaded === null) loaded = createKernels(memory);
  return loaded;
}

function createKernels(memory: WasmMemory): NativeConvKernels {
  const { packRows, scatterRows } = instantiate<{ packRows: RowPacker; scatterRows: Scatter }>('conv.wasm', memory);
  let heap = new Float32Array(memory.buffer);

  // This thread's scratch (offsets in floats): the packed filter and the patch panel. Each grows
  // by carving a fresh region; an outgrown one is left behind (at most twice past any size).
  const regions = { a: { at: 0, floats: 0 }, b: { at: 0, floats: 0 } };
  function reserve(which: keyof typeof regions, floats: number): number {
    const r = regions[which];
    if (floats > r.floats) {
      r.floats = Math.max(floats, 2 * r.floats);
      const offset = heapAlloc(memory, roundUp(r.floats * 4, 64));
      if (offset < 0) throw new RangeError(`conv (native): the tensor heap is full; no room for ${r.floats * 4} bytes of packing scratch`);
      r.at = offset / 4;
    }
    if (heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer);
    return r.at;
  }

  /** One BLAS call's arguments, reused: run() allocates nothing per tile. */
  const tile: GemmTile = { a: heap, aOffset: 0, lda: 0, transA: false, b: heap, bOffset: 0, ldb: 0, transB: false, c: heap, cOffset: 0, ldc: 0, m: 0, n: 0, k: 0, beta: 0 };

  function call(t: GemmTile): void {
    if (!gemmTile(t)) throw new Error('conv (native): picked, but the native matmul is not the kernel in use on this thread');
  }

  /** Patch rows [0, K) of positions [j0, j0+count) of image base xBase (bytes), into the panel. */
  function pack(a: ConvArgs | ConvWeightArgs, xBase: number, j0: number, count: number, K: number, panel: number): void {
    const [, xc, xh, xw] = a.xStrides;
    packRows(xBase, xc, xh, xw, a.inH, a.inW, a.lhsDilation[0], a.lhsDilation[1], a.outW, a.stride[0], a.stride[1], a.dilation[0], a.dilation[1], a.padding[0], a.padding[1], a.kH, a.kW, j0, count, 0, K, panel * 4, count);
  }

  /**
   * Where group g's filter lies as a row-major M×K matrix: in place when its strides are that
   * (a plain weight), else packed into scratch (the transposed convolution's flipped view).
   */
  function filterOf(a: ConvArgs, g: number, K: number): { array: Float32Array; offset: number } {
    const [fg, fm, fr, fkh, fkw] = a.fStrides;
    const base = a.fOffset + g * fg;
    if (fkw === 1 && fkh === a.kW && fr === a.kH * a.kW && fm === K) return { array: a.f as Float32Array, offset: base };
    const at = reserve('a', a.m * K);
    const f = a.f;
    let dst = at;
    for (let m = 0; m < a.m; m++) {
      for (let r = 0; r < a.r; r++) {
        for (let kh = 0; kh < a.kH; kh++) {
          const src = base + m * fm + r * fr + kh * fkh;
          for (let kw = 0; kw < a.kW; kw++) heap[dst++] = f[src + kw * fkw];
        }
      }
    }
    return { array: heap, offset: at };
  }

  /** Group g's filter as F̂[(m·kH + kh)·kW + kw, r], packed into scratch. */
  function tapMajorFilter(a: ConvArgs, g: number): number {
    const [fg, fm, fr, fkh, fkw] = a.fStrides;
    const at = reserve('a', a.m * a.kH * a.kW * a.r);
    const f = a.f;
    let dst = at;
    for (let m = 0; m < a.m; m++) {
      for (let kh = 0; kh < a.kH; kh++) {
        for (let kw = 0; kw < a.kW; kw++) {
          const src = a.fOffset + g * fg + m * fm + kh * fkh + kw * fkw;
          for (let r = 0; r < a.r; r++) heap[dst++] = f[src + r * fr];
        }
      }
    }
    return at;
  }

  /** Units [start, end) of the scatter path: one (image, group) each. */
  function scatterRun(a: ConvArgs, start: number, end: number): void {
    const taps = a.kH * a.kW;
    const Pin = a.inH * a.inW;
    const P = a.outH * a.outW;
    const cols = reserve('b', a.m * taps * Pin);
    const [xn, xc] = a.xStrides;
    let group = -1;
    let filter = 0;
    for (let unit = start; unit < end; unit++) {
      const g = unit % a.groups;
      const n = Math.floor(unit / a.groups);
      if (g !== group) {
        filter = tapMajorFilter(a, g);
        group = g;
      }
      // cols[(m, kh, kw), i] = Σ_r F̂[(m, kh, kw), r] · x[n, g·R + r, i]
      tile.a = heap; tile.aOffset = filter; tile.lda = a.r; tile.transA = false;
      tile.b = a.x as Float32Array; tile.bOffset = a.xOffset + n * xn + g * a.r * xc; tile.ldb = xc; tile.transB = false;
      tile.c = heap; tile.cOffset = cols; tile.ldc = Pin;
      tile.m = a.m * taps; tile.n = Pin; tile.k = a.r; tile.beta = 0;
      call(tile);
      const out = a.out.byteOffset + (a.outOffset + (n * a.groups + g) * a.m * P) * 4;
      scatterRows(cols * 4, out, a.m, a.kH, a.kW, a.inH, a.inW, a.lhsDilation[0], a.lhsDilation[1], a.padding[0], a.padding[1], a.dilation[0], a.dilation[1], a.outH, a.outW);
    }
  }

  const conv: Kernel<ConvArgs> = {
    run(a, start, end) {
      if (scatters(a)) return scatterRun(a, start, end);
      const K = a.r * a.kH * a.kW;
      const P = a.outH * a.outW;
      const cols = positionBlocks(P, K);
      const panel = reserve('b', K * cols.width);
      const [xn, xc] = a.xStrides;
      let group = -1;
      let filter = { array: heap, offset: 0 };
      for (let unit = start; unit < end; unit++) {
        const cb = unit % cols.blocks;
        const g = Math.floor(unit / cols.blocks) % a.groups;
        const n = Math.floor(unit / (cols.blocks * a.groups));
        if (g !== group) {
          filter = filterOf(a, g, K);
          group = g;
        }
        const j0 = cb * cols.width;
        const count = Math.min(cols.width, P - j0);
        pack(a, a.x.byteOffset + (a.xOffset + n * xn + g * a.r * xc) * 4, j0, count, K, panel);
        // out[n, g·M + m, j0 + j] = Σ_k F[m, k] · panel[k, j]
        tile.a = filter.array; tile.aOffset = filter.offset; tile.lda = K; tile.transA = false;
        tile.b = heap; tile.bOffset = panel; tile.ldb = count; tile.transB = false;
        tile.c = a.out as Float32Array; tile.cOffset = a.outOffset + (n * a.groups + g) * a.m * P + j0; tile.ldc = P;
        tile.m = a.m; tile.n = count; tile.k = K; tile.beta = 0;
        call(tile);
      }
    },
    units(a) {
      const P = a.outH * a.outW;
      if (P === 0 || a.m === 0) return 0;
      return a.batch * a.groups * (scatters(a) ? 1 : positionBlocks(P, a.r * a.kH * a.kW).blocks);
    },
    unitCost(a) {
      const K = a.r * a.kH * a.kW;
      if (scatters(a)) {
        const taps = a.kH * a.kW;
        const Pin = a.inH * a.inW;
        return (2 * a.m * taps * a.r * Pin) / GFLOPS + (a.m * taps * Pin + a.m * a.outH * a.outW) / ADD_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
      }
      const cols = positionBlocks(a.outH * a.outW, K).width;
      return (2 * a.m * K * cols) / GFLOPS + (K * cols) / PACK_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
    },
  };

  const convWeight: Kernel<ConvWeightArgs> = {
    run(a, start, end) {
      const K = a.r * a.kH * a.kW;
      const P = a.outH * a.outW;
      const steps = positionBlocks(P, K);
      const panel = reserve('b', K * steps.width);
      const [xn, xc] = a.xStrides;
      const [gn, gc, gh, gw] = a.gStrides;
      if (gw !== 1 || gh !== a.outW) throw new Error('convWeight (native): expected an output gradient contiguous over positions');
      for (let unit = start; unit < end; unit++) {
        const g = unit % a.groups;
        const chunk = Math.floor(unit / a.groups);
        const n1 = Math.min(a.batch, (chunk + 1) * a.chunkSize);
        let beta: 0 | 1 = 0;
        // partial[chunk, g·M + m, k] = Σ_{n in chunk, p} G[n, g·M + m, p] · panel_n[k, p], images then blocks in order.
        for (let n = chunk * a.chunkSize; n < n1; n++) {
          for (let p0 = 0; p0 < P; p0 += steps.width) {
            const count = Math.min(steps.width, P - p0);
            pack(a, a.x.byteOffset + (a.xOffset + n * xn + g * a.r * xc) * 4, p0, count, K, panel);
            tile.a = a.g as Float32Array; tile.aOffset = a.gOffset + n * gn + g * a.m * gc + p0; tile.lda = gc; tile.transA = false;
            tile.b = heap; tile.bOffset = panel; tile.ldb = count; tile.transB = true;
            tile.c = a.out as Float32Array; tile.cOffset = a.outOffset + (chunk * a.groups + g) * a.m * K; tile.ldc = K;
            tile.m = a.m; tile.n = K; tile.k = count; tile.beta = beta;
            call(tile);
            beta = 1;
          }
        }
      }
    },
    units: (a) => (a.m === 0 ? 0 : convChunks(a) * a.groups),
    unitCost(a) {
      const K = a.r * a.kH * a.kW;
      const steps = Math.min(a.batch, a.chunkSize) * a.outH * a.outW;
      return (2 * a.m * K * steps) / GFLOPS + (K * steps) / PACK_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
    },
  };

  return { conv, convWeight, supports: supportsConvWasm };
}
