"""Shared by the PyTorch twins: thread setup from the environment and the timed loop.

Each twin warms up, then calls its step back to back for at least --seconds of wall time and
prints ONE json line: {"workload", "unit", "work", "seconds"} (plus "median_seconds", the median
single call), the contract bench/torch-runner.ts parses.
"""
import argparse
import json
import os
import statistics
import time

import torch


def setup(description):
    torch.set_num_threads(int(os.environ.get('SKEIN_BENCH_THREADS', '1')))
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--warmup-seconds', type=float, default=0.5)
    return parser


def run(name, unit, work_per_call, call, seconds, warmup_seconds=0.5, warmup_calls=3, min_calls=3):
    started = time.perf_counter()
    calls = 0
    while calls < warmup_calls or time.perf_counter() - started < warmup_seconds:
        call()
        calls += 1
    times = []
    t0 = time.perf_counter()
    last = t0
    while len(times) < min_calls or last - t0 < seconds:
        call()
        now = time.perf_counter()
        times.append(now - last)
        last = now
    print(json.dumps({'workload': name, 'unit': unit, 'work': work_per_call * len(times), 'seconds': last - t0, 'calls': len(times),
                      'median_seconds': statistics.median(times)}))
