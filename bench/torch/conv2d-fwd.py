"""PyTorch twin of bench/models/conv2d-fwd.ts: F.conv2d of a 64x32x26x26 input with a 64x32x3x3 filter.

Run as /usr/bin/python3 bench/torch/conv2d-fwd.py --seconds S; threads from SKEIN_BENCH_THREADS.
Prints one json line: {"workload", "unit", "work", "seconds"}, work in GFLOP.
"""
import torch
import torch.nn.functional as F

from common import run, setup
from conv2d_grad import GFLOP, C, H, K, N, O, W

args = setup(__doc__).parse_args()
torch.manual_seed(0)
x = torch.randn(N, C, H, W)
w = torch.randn(O, C, K, K)
with torch.no_grad():
    run('conv2d-fwd', 'GFLOP/s', GFLOP, lambda: F.conv2d(x, w), args.seconds, args.warmup_seconds)
