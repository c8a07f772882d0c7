// src/kernels/pool-wasm.ts — float32 max and average pooling, max pooling's adjoint and batch
// statistics in WebAssembly (wasm/pool.ts), for unpadded, undilated windows on the tensor heap;
// every other case runs the loops of pool.ts and norm.ts, with the same bits. Imported by the main thread AND by workers. Nothing in src/kernels may
// import tensor, ops, graph or runtime.
import type { ChannelStatsArgs } from './norm.js';
import type { PoolArgs } from './pool.js';
import type { Kernel } from './types.js';
import { instantiate, type WasmMemory } from './wasm-module.js';

interface PoolExports {
  avgPool(x: number, out: number, p0: number, p1: number, inH: number, inW: number, outH: number, outW: number, kH: number, kW: number, sH: number, sW: number): void;
  channelStats(x: number, out: number, c0: number, c1: number, batch: number, channels: number, inner: number): void;
  maxPool(x: number, g: number, out: number, p0: number, p1: number, inH: number, inW: number, outH: number, outW: number, kH: number, kW: number, sH: number, sW: number, backward: number): void;
}

export interface WasmPoolKernels {
  maxPool: Kernel<PoolArgs>;
  maxPoolBackward: Kernel<PoolArgs>;
  avgPool: Kernel<PoolArgs>;
  channelStats: Kernel<ChannelStatsArgs>;
  supports(args: PoolArgs): boolean;
  supportsStats(args: ChannelStatsArgs): boolean;
}

/** float32 on the heap, no padding, no dilation. */
export function supportsPoolWasm(a: PoolArgs): boolean {
  return a.heap === true && a.x instanceof Float32Array && a.out instanceof Float32Array && (a.g === undefined || a.g instanceof Float32Array) &&
    a.padding[0] === 0 && a.padding[1] === 0 && a.dilation[0] === 1 && a.dilation[1] === 1;
}

export function supportsStatsWasm(a: ChannelStatsArgs): boolean {
  return a.heap === true && a.x instanceof Float32Array && a.out instanceof Float32Array;
}

let loaded: WasmPoolKernels | null = null;

export function loadPoolWasm(memory: WasmMemory): WasmPoolKernels {
  if (loaded !== null) return loaded;
  const wasm = instantiate<PoolExports>('pool.wasm', memory);
  const cost = (a: PoolArgs) => 100 + a.outH * a.outW * (5 + a.kernel[0] * a.kernel[1]);
  const kernel = (backward: boolean): Kernel<PoolArgs> => ({
    run(a, start, end) {
      const x = a.x.byteOffset + a.xOffset * 4;
      const g = backward ? (a.g as Float32Array).byteOffset + (a.gOffset ?? 0) * 4 : 0;
      const out = a.out.byteOffset + a.outOffset * 4;
      wasm.maxPool(x, g, out, start, end, a.inH, a.inW, a.outH, a.outW, a.kernel[0], a.kernel[1], a.stride[0], a.stride[1], backward ? 1 : 0);
    },
    units: (a) => a.planes,
    unitCost: cost,
  });
  const avgPool: Kernel<PoolArgs> = {
    run(a, start, end) {
      wasm.avgPool(a.x.byteOffset + a.xOffset * 4, a.out.byteOffset + a.outOffset * 4, start, end, a.inH, a.inW, a.outH, a.outW, a.kernel[0], a.kernel[1], a.stride[0], a.stride[1]);
    },
    units: (a) => a.planes,
    unitCost: cost,
  };
  const channelStats: Kernel<ChannelStatsArgs> = {
    run(a, start, end) {
      wasm.channelStats(a.x.byteOffset + a.xOffset * 4, a.out.byteOffset, start, end, a.batch, a.channels, a.inner);
    },
    units: (a) => a.channels,
    unitCost: (a) => 100 + a.batch * a.inner,
  };
  loaded = { maxPool: kernel(false), maxPoolBackward: kernel(true), avgPool, channelStats, supports: supportsPoolWasm, supportsStats: supportsStatsWasm };
  return loaded;
}
