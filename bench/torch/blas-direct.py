"""OpenBLAS called directly (numpy) or through PyTorch, for bench/blas-efficiency.ts: C = A·B, float32, N×N, on OpenBLAS.

  /usr/bin/python3 bench/torch/blas-direct.py --size 1024 --seconds 5 [--lib torch|numpy]

Threads: SKEIN_BENCH_THREADS (default 1) sets torch's and, unless OPENBLAS_NUM_THREADS is given,
OpenBLAS's (PyTorch on Debian calls the system OpenBLAS for float32 mm, and OpenBLAS reads its
thread count when it loads, so this is set before the import). `--lib numpy` times numpy.matmul,
which calls cblas_sgemm with nothing in between: OpenBLAS's own rate, for the efficiency figure.
Prints one JSON line: {"workload", "unit", "work" (GFLOP done), "seconds" (wall)}.
"""
import argparse
import json
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument('--size', type=int, default=1024)
parser.add_argument('--seconds', type=float, default=5.0)
parser.add_argument('--lib', choices=['torch', 'numpy'], default='torch')
args = parser.parse_args()

threads = int(os.environ.get('SKEIN_BENCH_THREADS', '1'))
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(threads))

n = args.size
gflop_per_step = 2 * n ** 3 / 1e9

if args.lib == 'torch':
    import torch
    torch.set_num_threads(threads)
    a = torch.randn(n, n, dtype=torch.float32)
    b = torch.randn(n, n, dtype=torch.float32)
    c = torch.empty(n, n, dtype=torch.float32)
    step = lambda: torch.mm(a, b, out=c)
else:
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    step = lambda: np.matmul(a, b, out=c)

# Warm up: OpenBLAS allocates its buffers and wakes its threads on the first calls.
warm_until = time.perf_counter() + min(1.0, args.seconds / 5)
while time.perf_counter() < warm_until:
    step()

steps = 0
start = time.perf_counter()
while True:
    step()
    steps += 1
    elapsed = time.perf_counter() - start
    if elapsed >= args.seconds:
        break

print(json.dumps({'workload': f'matmul-{n}', 'unit': 'GFLOP/s', 'work': steps * gflop_per_step, 'seconds': elapsed}))
