"""PyTorch twin of bench/models/conv2d-fwd.ts: F.conv2d of a 64x32x26x26 input with a 64x32x3x3 filter.

Run as /usr/bin/python3 bench/torch/conv2d-fwd.py --seconds S; threads from SKEIN_BENCH_THREADS.
Prints one json line: {"workload", "unit", "work", "seconds"}, work in GFLOP.
"""
import argparse, json, os, time
import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get('SKEIN_BENCH_THREADS', '1')))
parser = argparse.ArgumentParser()
parser.add_argument('--seconds', type=float, default=3.0)
args = parser.parse_args()
N, C, H, W, O, K = 64, 32, 26, 26, 64, 3
GFLOP = 2 * N * O * (H - K + 1) * (W - K + 1) * C * K * K / 1e9

torch.manual_seed(0)
x = torch.randn(N, C, H, W)
w = torch.randn(O, C, K, K)
with torch.no_grad():
    warm = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - warm < 0.5:
        F.conv2d(x, w)
        calls += 1
    t0 = time.perf_counter()
    steps = 0
    while steps < 3 or time.perf_counter() - t0 < args.seconds:
        F.conv2d(x, w)
        steps += 1
print(json.dumps({'workload': 'conv2d-fwd', 'unit': 'GFLOP/s', 'work': GFLOP * steps, 'seconds': time.perf_counter() - t0}))
