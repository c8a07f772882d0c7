"""PyTorch twin of cold: the tutorial's first 500 steps in this fresh process, timed as the
example times them (from the first step, after the data is made). --seconds is accepted for the
contract and ignored: the figure is one run of 500 steps, never warmed up."""
import json
import time

from common import setup
import torch

parser = setup(__doc__)
parser.add_argument('--steps', type=int, default=500)
args = parser.parse_args()
N, D_in, H, D_out = 64, 1000, 100, 10
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
learning_rate = 1e-6
started = time.perf_counter()
for t in range(args.steps):
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.item()
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
print(json.dumps({'workload': 'cold', 'unit': 'steps/s', 'work': args.steps, 'seconds': time.perf_counter() - started}))
