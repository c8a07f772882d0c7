"""PyTorch twin of the matmul workloads: C = op(A)·op(B), a transposed operand a view as in backward."""
from common import run, setup
import torch

parser = setup(__doc__)
parser.add_argument('--name', required=True)
parser.add_argument('--m', type=int, required=True)
parser.add_argument('--k', type=int, required=True)
parser.add_argument('--n', type=int, required=True)
parser.add_argument('--trans-a', action='store_true')
parser.add_argument('--trans-b', action='store_true')
args = parser.parse_args()
m, k, n = args.m, args.k, args.n
a = torch.randn(k, m).t() if args.trans_a else torch.randn(m, k)
b = torch.randn(n, k).t() if args.trans_b else torch.randn(k, n)
run(args.name, 'GFLOP/s', 2 * m * n * k / 1e9, lambda: torch.mm(a, b), args.seconds, args.warmup_seconds)
