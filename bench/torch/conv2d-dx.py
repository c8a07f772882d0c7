"""PyTorch twin of bench/models/conv2d-grad.ts's conv2d-dx: the input gradient of conv2d-fwd's convolution
(64x32x26x26 input, 64x32x3x3 filter), as autograd computes it: aten.convolution_backward with
output_mask [True, False, False]. GFLOP counted as the forward's.

Run as /usr/bin/python3 bench/torch/conv2d-dx.py --seconds S; threads from SKEIN_BENCH_THREADS.
Prints one json line: {"workload", "unit", "work", "seconds"}, work in GFLOP.
"""
import argparse, json, os, time
import torch

torch.set_num_threads(int(os.environ.get('SKEIN_BENCH_THREADS', '1')))
parser = argparse.ArgumentParser()
parser.add_argument('--seconds', type=float, default=3.0)
args = parser.parse_args()
N, C, H, W, O, K = 64, 32, 26, 26, 64, 3
GFLOP = 2 * N * O * (H - K + 1) * (W - K + 1) * C * K * K / 1e9

torch.manual_seed(0)
x = torch.randn(N, C, H, W)
w = torch.randn(O, C, K, K)
g = torch.randn(N, O, H - K + 1, W - K + 1)


def step():
    torch.ops.aten.convolution_backward(g, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, [True, False, False])


with torch.no_grad():
    warm = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - warm < 0.5:
        step()
        calls += 1
    t0 = time.perf_counter()
    steps = 0
    while steps < 3 or time.perf_counter() - t0 < args.seconds:
        step()
        steps += 1
print(json.dumps({'workload': 'conv2d-dx', 'unit': 'GFLOP/s', 'work': GFLOP * steps, 'seconds': time.perf_counter() - t0}))
