"""PyTorch twin of rnn: the char-level GRU training step of bench/models/rnn.ts (GRU written with
tensor ops in a Python loop, input projection before the loop, cross entropy, clip_grad_norm_ 5,
Adam lr 0.01), SEQ=32 x BATCH=16 tokens a step. Prints one json line (see bench/models/types.ts)."""
import argparse
import json
import os
import time

import torch

torch.set_num_threads(int(os.environ.get('SKEIN_BENCH_THREADS', '1')))
parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument('--seconds', type=float, default=3.0)
args = parser.parse_args()

VOCAB, EMBED, HIDDEN, SEQ, BATCH, LR, CLIP = 48, 16, 64, 32, 16, 0.01, 5.0
torch.manual_seed(0)
s = 1 / HIDDEN ** 0.5
params = [torch.randn(VOCAB, EMBED) * 0.5, torch.randn(EMBED, 3 * HIDDEN) * s, torch.randn(HIDDEN, 3 * HIDDEN) * s,
          torch.randn(3 * HIDDEN) * 0.1, torch.randn(HIDDEN) * 0.1, torch.randn(HIDDEN, VOCAB) * s, torch.randn(VOCAB) * 0.1]
for p in params:
    p.requires_grad_(True)
emb, w, u, b, bn, wo, bo = params
inputs = torch.randint(0, VOCAB, (SEQ, BATCH))
targets = torch.randint(0, VOCAB, (SEQ * BATCH,))
optimizer = torch.optim.Adam(params, lr=LR)
h0 = torch.zeros(BATCH, HIDDEN)


def gru_step(h, xw):
    hu = h @ u
    z = torch.sigmoid(xw[:, :HIDDEN] + hu[:, :HIDDEN])
    r = torch.sigmoid(xw[:, HIDDEN:2 * HIDDEN] + hu[:, HIDDEN:2 * HIDDEN])
    n = torch.tanh(xw[:, 2 * HIDDEN:] + r * (hu[:, 2 * HIDDEN:] + bn))
    return (1 - z) * n + z * h


def step():
    xw = (emb[inputs.reshape(-1)] @ w + b).reshape(SEQ, BATCH, 3 * HIDDEN)
    h = h0
    states = []
    for t in range(SEQ):
        h = gru_step(h, xw[t])
        states.append(h)
    logits = torch.stack(states).reshape(SEQ * BATCH, HIDDEN) @ wo + bo
    loss = torch.nn.functional.cross_entropy(logits, targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, CLIP)
    optimizer.step()
    return loss.item()


started = time.perf_counter()
calls = 0
while calls < 3 or time.perf_counter() - started < 0.5:
    step()
    calls += 1
t0 = time.perf_counter()
n = 0
while n < 3 or time.perf_counter() - t0 < args.seconds:
    step()
    n += 1
print(json.dumps({'workload': 'rnn', 'unit': 'tokens/s', 'work': SEQ * BATCH * n, 'seconds': time.perf_counter() - t0}))
