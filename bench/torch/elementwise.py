"""PyTorch twin of add-4m and relu-4m: bytes moved = inputs read once + output written once."""
from common import run, setup
import torch

parser = setup(__doc__)
parser.add_argument('--op', choices=['add', 'relu'], required=True)
parser.add_argument('--n', type=int, required=True)
args = parser.parse_args()
a = torch.randn(args.n)
b = torch.randn(args.n)
call = (lambda: torch.add(a, b)) if args.op == 'add' else (lambda: torch.relu(a))
run(f'{args.op}-4m', 'GB/s', (3 if args.op == 'add' else 2) * 4 * args.n / 1e9, call, args.seconds, args.warmup_seconds)
