# PyTorch's own optimizer trajectories for test/torch-parity-optim.test.ts, float64, PyTorch 1.13:
#   /usr/bin/python3 test/torch/optim_reference.py > test/torch/optim-reference.json
# Each configuration minimises loss(w) = Σ c·w² + sin(3w) from the same start for STEPS steps
# (a curved loss, so every step's gradient differs), optionally clipping the gradient's norm first,
# and records the weights after every step.
import json, sys
import torch

torch.set_default_dtype(torch.float64)
STEPS = 6
START = [0.9, -1.3, 0.25, 2.0, -0.6, 0.05]
C = [0.5, 1.5, 0.2, 0.8, 2.5, 1.0]

CONFIGS = {
    'sgd': lambda p: torch.optim.SGD(p, lr=0.05),
    'sgdMomentum': lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    'sgdNesterov': lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    'adam': lambda p: torch.optim.Adam(p, lr=0.05),
    'adamWeightDecay': lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    'adamW': lambda p: torch.optim.AdamW(p, lr=0.05),
    'adamWDecay': lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.3),
    'rmsprop': lambda p: torch.optim.RMSprop(p, lr=0.01),
    'rmspropCentered': lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.05),
}

out = {'steps': STEPS, 'start': START, 'c': C, 'configs': {}}
for clip in (None, 0.5):
    for name, make in CONFIGS.items():
        w = torch.tensor(START, requires_grad=True)
        c = torch.tensor(C)
        opt = make([w])
        trajectory, norms = [], []
        for _ in range(STEPS):
            opt.zero_grad()
            loss = (c * w * w + torch.sin(3 * w)).sum()
            loss.backward()
            if clip is not None:
                norms.append(float(torch.nn.utils.clip_grad_norm_([w], clip)))
            opt.step()
            trajectory.append(w.detach().tolist())
        key = name if clip is None else f'{name}Clipped'
        out['configs'][key] = {'clip': clip, 'weights': trajectory, 'norms': norms}
json.dump(out, sys.stdout, separators=(',', ':'))
sys.stdout.write('\n')
