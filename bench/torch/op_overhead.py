"""PyTorch twin of op-overhead: µs per tiny op (100 × mul, add on 1-element tensors needing grad)."""
from common import run, setup
import torch

parser = setup(__doc__)
parser.add_argument('--ops', type=int, default=200)
parser.add_argument('--backward', action='store_true')
args = parser.parse_args()
x = torch.tensor([1.5])
a = torch.tensor([0.999], requires_grad=True)
b = torch.tensor([0.001], requires_grad=True)


def call():
    y = x
    for _ in range(args.ops // 2):
        y = y.mul(a).add(b)
    if args.backward:
        y.sum().backward()
        a.grad = None
        b.grad = None


name = 'op-overhead-fwd-bwd' if args.backward else 'op-overhead-fwd'
run(name, 'µs/op', args.ops, call, args.seconds, args.warmup_seconds, warmup_calls=50)
