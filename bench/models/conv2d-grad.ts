// Bench workloads `conv2d-dx` and `conv2d-dw`: the input gradient and the filter gradient of
// conv2d-fwd's convolution (64×32×26×26 input, 64×32×3×3 filter, no padding), each alone, as
// autograd runs them; GFLOP/s counted as the forward's 2·N·O·OH·OW·C·kH·kW per call (the useful
// multiply-adds; a kernel that multiplies padding zeros does more). Twins: bench/torch/conv2d-dx.py
// and conv2d-dw.py (aten.convolution_backward with one output asked for).
import { manualSeed, randn, synchronize } from '../../src/index.js';
import { conv2dWeight, convTranspose2d } from '../../src/ops/conv.js';
import type { BenchModel } from './types.js';

const [N, C, H, W, O, K] = [64, 32, 26, 26, 64, 3];
const [OH, OW] = [H - K + 1, W - K + 1];
const FLOPS = 2 * N * O * OH * OW * C * K * K;
const UNIT = { stride: [1, 1], dilation: [1, 1], groups: 1 };

function gradModel(name: string, which: 'dx' | 'dw'): BenchModel {
  return {
    name,
    unit: 'GFLOP/s',
    work: FLOPS / 1e9,
    async make() {
      manualSeed(0);
      const x = randn([N, C, H, W]);
      const w = randn([O, C, K, K]);
      const g = randn([N, O, OH, OW]);
      await synchronize();
      return {
        async step() {
          if (which === 'dx') g.applyOp(convTranspose2d, [g, w], { ...UNIT, padding: [0, 0], outSize: [H, W] });
          else x.applyOp(conv2dWeight, [x, g], { ...UNIT, padding: [0, 0, 0, 0], kernel: [K, K] });
          await synchronize();
        },
        close() {},
      };
    },
  };
}

export const dxModel = gradModel('conv2d-dx', 'dx');
export const dwModel = gradModel('conv2d-dw', 'dw');
