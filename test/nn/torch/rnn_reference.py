# Reference values for test/nn/rnn.test.ts, from PyTorch 1.13 (float64):
#   /usr/bin/python3 test/nn/torch/rnn_reference.py > test/nn/torch/rnn-reference.json
# Every parameter and input is filled with fill(n, salt) below, which the test reproduces exactly.
import json, torch
torch.set_default_dtype(torch.float64)

def fill(n, salt):
    return torch.tensor([((i * 37 + salt * 11) % 17 - 8) / 16 for i in range(n)])

def set_params(m):
    for p, (name, t) in enumerate(m.named_parameters()):
        with torch.no_grad():
            t.copy_(fill(t.numel(), p + 1).reshape(t.shape))

def vals(t):
    return [round(v, 15) for v in t.detach().reshape(-1).tolist()]

def run(m, x, hx):
    out = m(x, hx) if hx is not None else m(x)
    return out

cases = {}

def seq_case(name, m, xshape, hshape, lstm=False):
    set_params(m)
    x = fill(int(torch.tensor(xshape).prod()), 50).reshape(xshape).requires_grad_()
    hx = None
    if hshape is not None:
        h0 = fill(int(torch.tensor(hshape).prod()), 60).reshape(hshape)
        hx = (h0, fill(h0.numel(), 70).reshape(hshape)) if lstm else h0
    out, hn = run(m, x, hx)
    if lstm:
        h, c = hn
        loss = (out * out).sum() + h.sum() + 2 * c.sum()
    else:
        loss = (out * out).sum() + hn.sum()
    loss.backward()
    entry = {'out': vals(out), 'outShape': list(out.shape), 'x_grad': vals(x.grad), 'grads': {n: vals(p.grad) for n, p in m.named_parameters()}}
    if lstm:
        entry['h'] = vals(hn[0]); entry['c'] = vals(hn[1])
    else:
        entry['h'] = vals(hn)
    cases[name] = entry

seq_case('lstm2bi', torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True), [3, 2, 3], [4, 2, 2], lstm=True)
seq_case('lstmNoBiasBatchFirst', torch.nn.LSTM(3, 2, bias=False, batch_first=True), [2, 4, 3], None, lstm=True)
seq_case('gruBatchFirst', torch.nn.GRU(3, 2, batch_first=True, num_layers=2), [2, 3, 3], [2, 2, 2])
seq_case('gruBiUnbatched', torch.nn.GRU(3, 2, bidirectional=True), [4, 3], [2, 2])
seq_case('rnnRelu', torch.nn.RNN(3, 2, nonlinearity='relu', num_layers=2), [3, 2, 3], [2, 2, 2])
seq_case('rnnTanhBi', torch.nn.RNN(3, 2, bidirectional=True), [3, 2, 3], None)

def cell_case(name, m, lstm=False):
    set_params(m)
    x = fill(6, 50).reshape(2, 3).requires_grad_()
    h0 = fill(4, 60).reshape(2, 2)
    if lstm:
        h, c = m(x, (h0, fill(4, 70).reshape(2, 2)))
        loss = (h * h).sum() + 2 * c.sum()
        entry = {'h': vals(h), 'c': vals(c)}
    else:
        h = m(x, h0)
        loss = (h * h).sum()
        entry = {'h': vals(h)}
    loss.backward()
    entry['x_grad'] = vals(x.grad)
    entry['grads'] = {n: vals(p.grad) for n, p in m.named_parameters()}
    cases[name] = entry

cell_case('lstmCell', torch.nn.LSTMCell(3, 2), lstm=True)
cell_case('gruCell', torch.nn.GRUCell(3, 2))
cell_case('rnnCell', torch.nn.RNNCell(3, 2))
cell_case('rnnCellRelu', torch.nn.RNNCell(3, 2, nonlinearity='relu'))

print(json.dumps(cases))
