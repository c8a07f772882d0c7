"""PyTorch twin of bench/models/cnn.ts: one training step of examples/mnist's Net, batch 64, Adam lr 1e-3.

Run as /usr/bin/python3 bench/torch/cnn.py --seconds S; threads from SKEIN_BENCH_THREADS.
Prints one json line: {"workload", "unit", "work", "seconds"}.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import run, setup

args = setup(__doc__).parse_args()
BATCH = 64


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


torch.manual_seed(0)
net = Net()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.randn(BATCH, 1, 28, 28)
y = torch.tensor([(i * 7) % 10 for i in range(BATCH)])


def step():
    loss = F.nll_loss(net(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    loss.item()


run('cnn', 'samples/s', BATCH, step, args.seconds, args.warmup_seconds)
