"""PyTorch twin of w2 (784→1024→1024→10 ReLU MLP, N=256, MSE, SGD) and, with --read-every 10, w2-sync10."""
from common import run, setup
import torch

parser = setup(__doc__)
parser.add_argument('--read-every', type=int, default=1)
args = parser.parse_args()
N = 256
model = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10))
x = torch.randn(N, 784)
target = torch.randn(N, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)


def call():
    for t in range(args.read_every):
        loss = (model(x) - target).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    loss.item()


name = 'w2' if args.read_every == 1 else f'w2-sync{args.read_every}'
run(name, 'samples/s', N * args.read_every, call, args.seconds, args.warmup_seconds, warmup_calls=max(1, 5 // args.read_every))
