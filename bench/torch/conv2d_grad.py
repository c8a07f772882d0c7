"""The gradients of conv2d-fwd's convolution (64x32x26x26 input, 64x32x3x3 filter) as autograd
computes them: aten.convolution_backward with one output asked for. GFLOP counted as the forward's.
Used by the twins conv2d-dx.py and conv2d-dw.py of bench/models/conv2d-grad.ts.
"""
import torch

from common import run, setup

N, C, H, W, O, K = 64, 32, 26, 26, 64, 3
GFLOP = 2 * N * O * (H - K + 1) * (W - K + 1) * C * K * K / 1e9
# output_mask of convolution_backward: (input, weight, bias).
MASKS = {'conv2d-dx': [True, False, False], 'conv2d-dw': [False, True, False]}


def main(name):
    args = setup(__doc__).parse_args()
    torch.manual_seed(0)
    x = torch.randn(N, C, H, W)
    w = torch.randn(O, C, K, K)
    g = torch.randn(N, O, H - K + 1, W - K + 1)
    mask = MASKS[name]
    with torch.no_grad():
        run(name, 'GFLOP/s', GFLOP, lambda: torch.ops.aten.convolution_backward(g, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask),
            args.seconds, args.warmup_seconds)
