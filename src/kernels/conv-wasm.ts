// src/kernels/conv-wasm.ts — float32 convolution as an implicit GEMM on the WebAssembly SIMD
// matmul's micro-kernel (gemm.ts). Each tile packs its slice of the patch matrix straight from
// the image's strides into the micro-kernel's panels (wasm/conv.ts), so the im2col matrix of a
// batch never exists. Imported by the main thread AND by workers. Nothing in src/kernels may
// import tensor, ops, graph or runtime.
import { convChunks, type ConvArgs, type ConvWeightArgs } from './conv.js';
import type { MatmulVariant } from './matmul-wasm.js';
import type { Kernel } from './types.js';
import { heapAlloc, instantiate, type WasmMemory } from './wasm-module.js';

/** The micro-kernel's register tile (gemm.ts) and the blocking, as in matmul-wasm.ts. */
const MR = 4;
const NR = 8;
const MC = 64;
const KC = 256;
const NC_MAX = 512;

/** Single-thread speeds on the project machine (noisy), for unitCost. */
const GFLOPS = 40;
const PACK_FLOATS_PER_NS = 1;
const UNIT_OVERHEAD_NS = 3000;

interface GemmExports {
  gemmBlock(ap: number, bp: number, cp: number, ldc: number, mc: number, nc: number, kc: number): void;
  packLineMajor(src: number, ld: number, dst: number, count: number, kc: number, w: number): void;
  copyRows(tile: number, ldt: number, c: number, ldc: number, rows: number, cols: number): void;
}

type Packer = (
  x: number, sc: number, sh: number, sw: number, inH: number, inW: number, lh: number, lw: number,
  outW: number, strH: number, strW: number, dilH: number, dilW: number, padH: number, padW: number, kH: number, kW: number,
  first: number, count: number, step0: number, kc: number, dst: number,
) => void;

interface ConvExports {
  packPatches: Packer;
  packPatchesT: Packer;
}

export interface WasmConvKernels {
  conv: Kernel<ConvArgs>;
  convWeight: Kernel<ConvWeightArgs>;
  supports(args: ConvArgs | ConvWeightArgs): boolean;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** Even blocks of at most `max` (a multiple of `to` except the last): the same for every thread. */
function blocking(size: number, max: number, to: number): { blocks: number; width: number } {
  const blocks = Math.max(1, Math.ceil(size / max));
  return { blocks, width: roundUp(Math.ceil(size / blocks), to) };
}

/** True for float32 operands on the heap: the only case the WASM kernels compute. */
export function supportsConvWasm(a: ConvArgs | ConvWeightArgs): boolean {
  const other = 'f' in a ? a.f : a.g;
  return a.heap === true && a.x instanceof Float32Array && other instanceof Float32Array && a.out instanceof Float32Array;
}

const loaded = new Map<MatmulVariant, WasmConvKernels>();

/** This thread's kernels over the tensor heap, with the matmul's micro-kernel of `variant`. */
export function loadConvWasm(variant: MatmulVariant, memory: WasmMemory): WasmConvKernels {
  let k = loaded.get(variant);
  if (k === undefined) {
    k = createKernels(variant, memory);
    loaded.set(variant, k);
  }
  return k;
}

function createKernels(variant: MatmulVariant, memory: WasmMemory): WasmConvKernels {
  const gemm = instantiate<GemmExports>(variant === 'relaxed' ? 'matmul-relaxed.wasm' : 'matmul-simd.wasm', memory);
  const pack = instantiate<ConvExports>('conv.wasm', memory);
  let heap = new Float32Array(memory.buffer);

  // This thread's scratch (offsets in floats): packed A, one B block, the C tile. Each grows by
  // carving a fresh region; an outgrown one is left behind (at most twice past any size).
  const regions = { a: { at: 0, floats: 0 }, b: { at: 0, floats: 0 }, c: { at: 0, floats: 0 } };
  function reserve(which: keyof typeof regions, floats: number): number {
    const r = regions[which];
    if (floats > r.floats) {
      r.floats = Math.max(floats, 2 * r.floats);
      const offset = heapAlloc(memory, roundUp(r.floats * 4, 64));
      if (offset < 0) throw new RangeError(`conv (wasm): the tensor heap is full; no room for ${r.floats * 4} bytes of packing scratch`);
      r.at = offset / 4;
    }
    if (heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer);
    return r.at;
  }

  /** Filter offsets per reduction index k = (r·kH + kh)·kW + kw. */
  let kOffsets = new Float64Array(0);

  /** Packs the whole filter of group g as A panels, row block by row block, k block by k block. */
  function packFilter(a: ConvArgs, g: number, aPack: number, kBlock: number): void {
    const [fg, fm, fr, fkh, fkw] = a.fStrides;
    const K = a.r * a.kH * a.kW;
    if (kOffsets.length < K) kOffsets = new Float64Array(K);
    for (let r = 0, k = 0; r < a.r; r++) for (let kh = 0; kh < a.kH; kh++) for (let kw = 0; kw < a.kW; kw++) kOffsets[k++] = r * fr + kh * fkh + kw * fkw;
    const f = a.f;
    let dst = aPack;
    for (let i0 = 0; i0 < a.m; i0 += MC) {
      const mc = Math.min(MC, a.m - i0);
      for (let k0 = 0; k0 < K; k0 += kBlock) {
        const kc = Math.min(kBlock, K - k0);
        for (let p0 = 0; p0 < mc; p0 += MR) {
          for (let s = 0; s < kc; s++) {
            const ko = kOffsets[k0 + s];
            for (let l = 0; l < MR; l++) {
              const row = p0 + l;
              heap[dst++] = row < mc ? f[a.fOffset + g * fg + (i0 + row) * fm + ko] : 0;
            }
          }
        }
      }
    }
  }

  function forwardGrid(a: ConvArgs) {
    const cols = blocking(a.outH * a.outW, NC_MAX, NR);
    return { colBlocks: a.outH * a.outW === 0 ? 0 : cols.blocks, nc: cols.width };
  }

  const conv: Kernel<ConvArgs> = {
    run(a, start, end) {
      const K = a.r * a.kH * a.kW;
      const P = a.outH * a.outW;
      const M = a.m;
      const mPad = roundUp(M, MR);
      const { colBlocks, nc } = forwardGrid(a);
      const kBlock = blocking(K, KC, 1).width;
      const aPack = reserve('a', mPad * K);
      const bPack = reserve('b', kBlock * roundUp(nc, NR));
      const cTile = reserve('c', mPad * roundUp(nc, NR));
      const [xn, xc, xh, xw] = a.xStrides;
      let packedGroup = -1;
      for (let unit = start; unit < end; unit++) {
        const cb = unit % colBlocks;
        const g = Math.floor(unit / colBlocks) % a.groups;
        const n = Math.floor(unit / (colBlocks * a.groups));
        if (g !== packedGroup) {
          packFilter(a, g, aPack, kBlock);
          packedGroup = g;
        }
        const j0 = cb * nc;
        const ncU = Math.min(nc, P - j0);
        const ncPad = roundUp(ncU, NR);
        heap.fill(0, cTile, cTile + mPad * ncPad);
        const xBase = a.x.byteOffset + (a.xOffset + n * xn + g * a.r * xc) * 4;
        for (let k0 = 0; k0 < K; k0 += kBlock) {
          const kc = Math.min(kBlock, K - k0);
          pack.packPatches(xBase, xc, xh, xw, a.inH, a.inW, a.lhsDilation[0], a.lhsDilation[1], a.outW, a.stride[0], a.stride[1], a.dilation[0], a.dilation[1], a.padding[0], a.padding[1], a.kH, a.kW, j0, ncU, k0, kc, bPack * 4);
          for (let i0 = 0; i0 < M; i0 += MC) {
            const mcPad = roundUp(Math.min(MC, M - i0), MR);
            // The filter panel of (row block, k block): row blocks before it hold MC·K floats.
            const ap = aPack + i0 * K + mcPad * k0;
            gemm.gemmBlock(ap * 4, bPack * 4, (cTile + i0 * ncPad) * 4, ncPad, mcPad, ncPad, kc);
          }
        }
        const outRow = a.outOffset + (n * a.groups + g) * M * P + j0;
        gemm.copyRows(cTile * 4, ncPad, a.out.byteOffset + outRow * 4, P, M, ncU);
      }
    },
    units(a) {
      return a.batch * a.groups * forwardGrid(a).colBlocks;
    },
    unitCost(a) {
      const { nc } = forwardGrid(a);
      const K = a.r * a.kH * a.kW;
      const cols = Math.min(nc, a.outH * a.outW);
      return (2 * a.m * K * cols) / GFLOPS + (K * cols) / PACK_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
    },
  };

  const convWeight: Kernel<ConvWeightArgs> = {
    run(a, start, end) {
      const M = a.m;
      const mPad = roundUp(M, MR);
      const cols = a.r * a.kH * a.kW;
      const P = a.outH * a.outW;
      const cb = blocking(cols, NC_MAX, NR);
      const ldc = (cb.blocks - 1) * cb.width + roundUp(cols - (cb.blocks - 1) * cb.width, NR);
      const pBlock = blocking(P, KC, 1).width;
      const aPack = reserve('a', MC * pBlock);
      const bPack = reserve('b', pBlock * cb.width);
      const cTile = reserve('c', mPad * ldc);
      const [xn, xc, xh, xw] = a.xStrides;
      const [gn, gc, gh, gw] = a.gStrides;
      if (gw !== 1 || gh !== a.outW) throw new Error('convWeight (wasm): expected an output gradient contiguous over positions');
      for (let unit = start; unit < end; unit++) {
        const g = unit % a.groups;
        const chunk = Math.floor(unit / a.groups);
        heap.fill(0, cTile, cTile + mPad * ldc);
        const n1 = Math.min(a.batch, (chunk + 1) * a.chunkSize);
        for (let n = chunk * a.chunkSize; n < n1; n++) {
          const xBase = a.x.byteOffset + (a.xOffset + n * xn + g * a.r * xc) * 4;
          const gBase = a.g.byteOffset + (a.gOffset + n * gn + g * M * gc) * 4;
          for (let p0 = 0; p0 < P; p0 += pBlock) {
            const kc = Math.min(pBlock, P - p0);
            for (let j0 = 0; j0 < cols; j0 += cb.width) {
              const ncU = Math.min(cb.width, cols - j0);
              pack.packPatchesT(xBase, xc, xh, xw, a.inH, a.inW, a.lhsDilation[0], a.lhsDilation[1], a.outW, a.stride[0], a.stride[1], a.dilation[0], a.dilation[1], a.padding[0], a.padding[1], a.kH, a.kW, j0, ncU, p0, kc, bPack * 4);
              for (let i0 = 0; i0 < M; i0 += MC) {
                const mc = Math.min(MC, M - i0);
                // The gradient's rows are its channels, contiguous over positions.
                gemm.packLineMajor(gBase + (i0 * gc + p0) * 4, gc, aPack * 4, mc, kc, MR);
                gemm.gemmBlock(aPack * 4, bPack * 4, (cTile + i0 * ldc + j0) * 4, ldc, roundUp(mc, MR), roundUp(ncU, NR), kc);
              }
            }
          }
        }
        const outRow = a.outOffset + (chunk * a.groups + g) * M * cols;
        gemm.copyRows(cTile * 4, ldc, a.out.byteOffset + outRow * 4, cols, M, cols);
      }
    },
    units: (a) => convChunks(a) * a.groups,
    unitCost(a) {
      const cols = a.r * a.kH * a.kW;
      const steps = Math.min(a.batch, a.chunkSize) * a.outH * a.outW;
      return (2 * a.m * cols * steps) / GFLOPS + ((cols + a.m) * steps) / PACK_FLOATS_PER_NS + UNIT_OVERHEAD_NS;
    },
  };

  return { conv, convWeight, supports: supportsConvWasm };
}
