"""PyTorch twin of bench/models/lstm.ts: one training step of a character-level LSTM language
model (vocab 65, embedding 64, hidden 256, sequence 64, batch 32), cross-entropy, Adam with
gradient clipping. Warms up, then steps for at least --seconds of wall time and prints ONE json
line: {"workload", "unit", "work", "seconds"}.

    SKEIN_BENCH_THREADS=2 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch/lstm.py --seconds 5
"""
import argparse
import json
import os
import time

import torch

VOCAB, EMBED, HIDDEN, SEQ, BATCH = 65, 64, 256, 64, 32


def main():
    torch.set_num_threads(int(os.environ.get('SKEIN_BENCH_THREADS', '1')))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seconds', type=float, default=3.0)
    args = parser.parse_args()

    torch.manual_seed(0)
    embed = torch.nn.Embedding(VOCAB, EMBED)
    lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
    decoder = torch.nn.Linear(HIDDEN, VOCAB)
    params = [*embed.parameters(), *lstm.parameters(), *decoder.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    x = torch.randint(0, VOCAB, (BATCH, SEQ))
    y = torch.randint(0, VOCAB, (BATCH * SEQ,))

    def step():
        out, _ = lstm(embed(x))
        loss = torch.nn.functional.cross_entropy(decoder(out).reshape(-1, VOCAB), y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        loss.item()

    started = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - started < 0.5:
        step()
        calls += 1
    steps = 0
    t0 = time.perf_counter()
    while steps < 3 or time.perf_counter() - t0 < args.seconds:
        step()
        steps += 1
    seconds = time.perf_counter() - t0
    print(json.dumps({'workload': 'lstm', 'unit': 'tokens/s', 'work': BATCH * SEQ * steps, 'seconds': seconds}))


if __name__ == '__main__':
    main()
