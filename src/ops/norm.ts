// Batch statistics for batch normalisation: per-channel mean and biased variance of x [N, C, …]
// in one launch, instead of the four passes mean / sub / mul / mean would take.
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { ChannelStatsArgs } from '../kernels/norm.js';
import { contiguousBuf, defineOp, launch, type OpDef } from './define.js';

/**
 * [2, C]: row 0 the mean μ_c, row 1 the biased variance σ²_c over every dim but 1. With
 * n = N·Π(spatial): dμ/dx = 1/n and dσ²/dx = 2(x − μ)/n, so
 *   dx = (g_μ + 2·g_σ²·(x − μ)) / n, each per-channel factor broadcast over x.
 */
export const batchNormStats: OpDef<Record<string, never>> = defineOp({
  name: 'batchNormStats',
  arity: 1,
  shape: ([x]) => {
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`batchNorm: got dtype ${x.dtype}, expected float32 or float64`);
    if (x.shape.length < 2) throw new ShapeError(`batchNorm: got input shape ${fmtShape(x.shape)}, expected [N, C, …]`);
    return { shape: [2, x.shape[1]], dtype: x.dtype };
  },
  forward: (out, [xIn]) => {
    const x = contiguousBuf('batchNorm', xIn);
    const [batch, channels] = x.shape;
    const args: ChannelStatsArgs = {
      x: x.storage.data as ChannelStatsArgs['x'],
      xOffset: x.offset,
      out: out.storage.data as ChannelStatsArgs['out'],
      batch,
      channels,
      inner: x.shape.slice(2).reduce((p, d) => p * d, 1),
      heap: x.storage.onHeap && out.storage.onHeap,
    };
    launch('batchNorm', { kernel: 'channelStats', args }, [x], [out]);
  },
  grad: (g, [x], out) => {
    const c = x.shape[1];
    const n = x.numel() / c;
    const perChannel = (t: any) => t.reshape([1, c, ...new Array<number>(x.ndim - 2).fill(1)]);
    const [gMean, gVar] = [0, 1].map((row) => perChannel(g.narrow(0, row, 1)));
    const mean = perChannel(out.narrow(0, 0, 1));
    return [x.sub(mean).mul(gVar.mul(2)).add(gMean).div(n)];
  },
  saves: 'inputsAndOutput',
});
