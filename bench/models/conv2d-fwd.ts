// Bench workload `conv2d-fwd`: nn.functional.conv2d of a 64×32×26×26 input with a 64×32×3×3
// filter (no padding: 64×64×24×24 out), forward only; GFLOP/s (2·N·O·OH·OW·C·kH·kW per call).
// Twin: bench/torch/conv2d-fwd.py.
import { manualSeed, nn, randn, synchronize } from '../../src/index.js';
import type { BenchModel } from './types.js';

const [N, C, H, W, O, K] = [64, 32, 26, 26, 64, 3];
const FLOPS = 2 * N * O * (H - K + 1) * (W - K + 1) * C * K * K;

export const model: BenchModel = {
  name: 'conv2d-fwd',
  unit: 'GFLOP/s',
  work: FLOPS / 1e9,
  async make() {
    manualSeed(0);
    const x = randn([N, C, H, W]);
    const w = randn([O, C, K, K]);
    await synchronize();
    return {
      async step() {
        nn.functional.conv2d(x, w);
        await synchronize();
      },
      close() {},
    };
  },
};
