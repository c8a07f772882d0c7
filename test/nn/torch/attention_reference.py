# Reference values for test/nn/attention.test.ts, from PyTorch 1.13 (float64):
#   /usr/bin/python3 test/nn/torch/attention_reference.py > test/nn/torch/attention-reference.json
# Parameters and inputs come from fill(n, salt), which the test reproduces exactly. PyTorch 1.13
# has no F.scaled_dot_product_attention: its 2.x definition is written out in sdpa() below.
import json, math, torch
torch.set_default_dtype(torch.float64)

def fill(n, salt):
    return torch.tensor([((i * 37 + salt * 11) % 17 - 8) / 16 for i in range(n)])

def filled(shape, salt):
    return fill(int(torch.tensor(shape).prod()), salt).reshape(shape).clone().requires_grad_()

def set_params(m):
    for p, (name, t) in enumerate(m.named_parameters()):
        with torch.no_grad():
            t.copy_(fill(t.numel(), p + 1).reshape(t.shape))

def vals(t):
    return [round(v, 15) for v in t.detach().reshape(-1).tolist()]

cases = {}

# PyTorch 2.x: a bool mask's True means attend; a float mask adds; is_causal keeps j <= i.
def sdpa(q, k, v, attn_mask=None, is_causal=False):
    L, S = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if is_causal:
        scores = scores.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float('-inf')) if attn_mask.dtype == torch.bool else scores + attn_mask
    return scores.softmax(-1) @ v

def sdpa_case(name, mask_kind):
    q, k, v = filled([2, 3, 4], 1), filled([2, 5, 4], 2), filled([2, 5, 3], 3)
    if mask_kind == 'causal':
        out = sdpa(q, k, v, is_causal=True)
    elif mask_kind == 'bool':
        mask = torch.tensor([[True, False, True, True, False], [False, False, True, False, True], [True, True, True, True, True]])
        out = sdpa(q, k, v, attn_mask=mask)
    elif mask_kind == 'float':
        out = sdpa(q, k, v, attn_mask=fill(15, 4).reshape(3, 5))
    else:
        out = sdpa(q, k, v)
    (out * out).sum().backward()
    cases[name] = {'out': vals(out), 'grads': [vals(q.grad), vals(k.grad), vals(v.grad)]}

sdpa_case('sdpaPlain', None)
sdpa_case('sdpaCausal', 'causal')
sdpa_case('sdpaBool', 'bool')
sdpa_case('sdpaFloat', 'float')

def mha_entry(m, out, w, inputs):
    loss = (out * out).sum() + (w.sum() if w is not None else 0)
    loss.backward()
    return {'out': vals(out), 'outShape': list(out.shape), 'weights': None if w is None else vals(w), 'weightsShape': None if w is None else list(w.shape),
            'input_grads': [vals(x.grad) for x in inputs], 'grads': {n: vals(p.grad) for n, p in m.named_parameters()}}

# Self-attention, seq first, a bool attn mask (True = do NOT attend) and key padding.
m = torch.nn.MultiheadAttention(4, 2)
set_params(m)
x = filled([3, 2, 4], 50)
attn = torch.tensor([[False, True, False], [False, False, True], [True, False, False]])
pad = torch.tensor([[False, False, True], [False, False, False]])
out, w = m(x, x, x, attn_mask=attn, key_padding_mask=pad)
cases['mhaSelf'] = mha_entry(m, out, w, [x])

# Cross attention, batch first, a float mask, per-head weights.
m = torch.nn.MultiheadAttention(4, 2, batch_first=True)
set_params(m)
q, kv = filled([2, 2, 4], 51), filled([2, 3, 4], 52)
vv = filled([2, 3, 4], 53)
out, w = m(q, kv, vv, attn_mask=fill(6, 5).reshape(2, 3), average_attn_weights=False)
cases['mhaCross'] = mha_entry(m, out, w, [q, kv, vv])

# Unbatched, no bias, no weights.
m = torch.nn.MultiheadAttention(4, 1, bias=False)
set_params(m)
x = filled([3, 4], 54)
out, w = m(x, x, x, need_weights=False)
cases['mhaUnbatched'] = mha_entry(m, out, None, [x])

def enc_case(name, layer, shape, mask=None):
    set_params(layer)
    layer.eval()
    x = filled(shape, 60)
    out = layer(x, src_mask=mask)
    (out * out).sum().backward()
    cases[name] = {'out': vals(out), 'x_grad': vals(x.grad), 'grads': {n: vals(p.grad) for n, p in layer.named_parameters()}}

causal = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)
enc_case('encPost', torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0), [3, 2, 4], causal)
enc_case('encPreBatchFirst', torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, norm_first=True, batch_first=True), [2, 3, 4])

print(json.dumps(cases))
