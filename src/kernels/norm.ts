// src/kernels/norm.ts — per-channel batch statistics for batch normalisation, one launch:
// out[0, c] = mean and out[1, c] = biased variance of x[:, c, …] over the batch and positions.
// A unit is one channel, summed in a fixed order in float64 (mean first, then squared
// deviations), so the bits never depend on the thread count. Imported by the main thread AND by
// workers. Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { FloatArray, Kernel } from './types.js';

/** x contiguous [batch, channels, inner]; out contiguous [2, channels]. */
export interface ChannelStatsArgs {
  x: FloatArray;
  xOffset: number;
  out: FloatArray;
  batch: number;
  channels: number;
  inner: number;
  /** x and out lie in the tensor heap (float32 then runs in WebAssembly, same bits). */
  heap?: boolean;
}

export const channelStatsKernel: Kernel<ChannelStatsArgs> = {
  run(a, start, end) {
    const { x, batch, channels, inner } = a;
    const n = batch * inner;
    for (let c = start; c < end; c++) {
      let sum = 0;
      for (let b = 0; b < batch; b++) {
        const base = a.xOffset + (b * channels + c) * inner;
        for (let i = 0; i < inner; i++) sum += x[base + i];
      }
      const mean = sum / n;
      let squares = 0;
      for (let b = 0; b < batch; b++) {
        const base = a.xOffset + (b * channels + c) * inner;
        for (let i = 0; i < inner; i++) {
          const d = x[base + i] - mean;
          squares += d * d;
        }
      }
      a.out[c] = mean;
      a.out[channels + c] = squares / n;
    }
  },
  units: (a) => a.channels,
  unitCost: (a) => 100 + 2 * a.batch * a.inner,
};
