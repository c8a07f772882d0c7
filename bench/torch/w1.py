"""PyTorch twin of w1: the tutorial's two-layer net (N=64, 1000→100→10), reading the loss every step."""
from common import run, setup
import torch

args = setup(__doc__).parse_args()
N, D_in, H, D_out = 64, 1000, 100, 10
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
learning_rate = 1e-6


def step():
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.item()
    loss.backward()
    with torch.no_grad():
        w1.sub_(learning_rate * w1.grad)
        w2.sub_(learning_rate * w2.grad)
        w1.grad.zero_()
        w2.grad.zero_()


run('w1', 'steps/s', 1, step, args.seconds, args.warmup_seconds, warmup_calls=5)
