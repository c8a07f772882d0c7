# PyTorch's own values for test/torch-parity.test.ts: for every case below, the inputs, the
# outputs and the gradients of Σ out·cot (cot drawn here too), all in float64 from PyTorch 1.13.
#   /usr/bin/python3 test/torch/parity_reference.py > test/torch/parity-reference.json
# The test feeds the same inputs to Skein's call of the same name and compares. An input spec is
#   'f'        normal floats, differentiated
#   'pos'      floats in [0.5, 2.5), differentiated (log, sqrt, pow bases, …)
#   'unit'     floats in (0.05, 0.95), differentiated (probabilities)
#   'c'        normal floats, not differentiated (targets, constants)
#   'cpos', 'cunit'  as 'pos' and 'unit', not differentiated
#   ('i', k)   int64 in [0, k), not differentiated (indices, classes)
#   'b'        booleans
#   a list     those exact float values, differentiated
import json, math, sys
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.manual_seed(1234)

def make(spec, shape):
    if isinstance(spec, list):
        return torch.tensor(spec, dtype=torch.float64).reshape(shape).requires_grad_()
    if spec == 'f':
        return torch.randn(shape).requires_grad_()
    if spec == 'pos':
        return (torch.rand(shape) * 2 + 0.5).requires_grad_()
    if spec == 'unit':
        return (torch.rand(shape) * 0.9 + 0.05).requires_grad_()
    if spec == 'c':
        return torch.randn(shape)
    if spec == 'cpos':
        return torch.rand(shape) * 2 + 0.5
    if spec == 'cunit':
        return torch.rand(shape) * 0.9 + 0.05
    if spec == 'b':
        return torch.rand(shape) < 0.5
    if isinstance(spec, tuple) and spec[0] == 'i':
        return torch.randint(0, spec[1], shape)
    raise ValueError(spec)

def encode(t):
    kind = 'bool' if t.dtype == torch.bool else 'int' if not t.is_floating_point() else 'float'
    data = t.detach().reshape(-1).tolist()
    if kind == 'float':
        data = [v if math.isfinite(v) else repr(v) for v in data]
    return {'shape': list(t.shape), 'kind': kind, 'data': data}

def outputs_of(result):
    if isinstance(result, torch.Tensor):
        return [result]
    if hasattr(result, 'values') and hasattr(result, 'indices'):
        return [result.values, result.indices]
    return list(result)

CASES = []

def case(name, inputs, fn):
    CASES.append((name, inputs, fn))

# Elementwise, with PyTorch's conventions at the edges (round half to even, sign(0) = 0, …).
case('neg', [('f', [3, 4])], lambda x: -x)
case('exp', [('f', [3, 4])], torch.exp)
case('log', [('pos', [3, 4])], torch.log)
case('sqrt', [('pos', [3, 4])], torch.sqrt)
case('abs', [('f', [3, 4])], torch.abs)
case('sign', [([-2.0, 0.0, 3.0, -0.5], [4])], torch.sign)
case('tanh', [('f', [3, 4])], torch.tanh)
case('sigmoid', [('f', [3, 4])], torch.sigmoid)
case('relu', [('f', [3, 4])], torch.relu)
case('clamp', [('f', [3, 4])], lambda x: x.clamp(-0.5, 0.7))
case('clampMin', [('f', [3, 4])], lambda x: x.clamp(min=0.1))
case('powScalar', [('pos', [3, 4])], lambda x: x.pow(2.5))
case('powTensor', [('pos', [3, 4]), ('f', [4])], lambda x, y: x.pow(y))
case('addBroadcast', [('f', [3, 1, 4]), ('f', [2, 1])], lambda x, y: x + y)
case('subScalar', [('f', [3, 4])], lambda x: x - 1.5)
case('rsubScalar', [('f', [3, 4])], lambda x: 1.5 - x)
case('mulBroadcast', [('f', [2, 3]), ('f', [3])], lambda x, y: x * y)
case('div', [('f', [3, 4]), ('pos', [3, 4])], lambda x, y: x / y)
case('maximum', [('f', [3, 4]), ('f', [3, 4])], torch.maximum)
case('minimum', [('f', [3, 4]), ('f', [3, 4])], torch.minimum)
case('where', [('b', [3, 4]), ('f', [3, 4]), ('f', [4])], lambda c, x, y: torch.where(c, x, y))
case('sin', [('f', [3, 4])], torch.sin)
case('cos', [('f', [3, 4])], torch.cos)
case('erf', [('f', [3, 4])], torch.erf)
case('floor', [([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.2, -0.7], [8])], torch.floor)
case('ceil', [([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.2, -0.7], [8])], torch.ceil)
case('round', [([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.2, -0.7], [8])], torch.round)
case('trunc', [([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.2, -0.7], [8])], torch.trunc)
case('log1p', [('pos', [3, 4])], torch.log1p)
case('expm1', [('f', [3, 4])], torch.expm1)
case('rsqrt', [('pos', [3, 4])], torch.rsqrt)
case('reciprocal', [('pos', [3, 4])], torch.reciprocal)
case('square', [('f', [3, 4])], torch.square)
case('compare', [('f', [3, 4]), ('f', [4])], lambda x, y: [x < y, x <= y, x > y, x >= y, x == x, x != y])
case('isnan', [([1.0, float('nan'), float('inf'), -float('inf')], [4])], lambda x: [x.isnan(), x.isinf(), x.isfinite()])
case('maskedFill', [('f', [3, 4]), ('b', [4])], lambda x, m: x.masked_fill(m, -2.0))

# Reductions: the dims, keepdim, Bessel's correction and tie-breaking PyTorch uses.
case('sumAll', [('f', [3, 4])], lambda x: x.sum())
case('sumDims', [('f', [2, 3, 4])], lambda x: x.sum((0, 2), keepdim=True))
case('mean', [('f', [2, 3, 4])], lambda x: x.mean(1))
case('maxDim', [('f', [3, 5])], lambda x: x.max(1))
case('minDimKeep', [('f', [3, 5])], lambda x: x.min(0, keepdim=True))
case('maxTies', [([1.0, 3.0, 3.0, 2.0, 2.0, 0.0], [2, 3])], lambda x: x.max(1))
case('argmaxTies', [([1.0, 3.0, 3.0, 2.0, 2.0, 0.0], [2, 3])], lambda x: [x.argmax(1), x.argmin(1), x.argmax()])
case('amax', [('f', [3, 4, 2])], lambda x: x.amax((0, 2)))
case('var', [('f', [3, 5])], lambda x: x.var(1))
case('varPopulation', [('f', [3, 5])], lambda x: x.var(1, unbiased=False, keepdim=True))
case('stdAll', [('f', [3, 5])], lambda x: x.std())
case('prod', [('f', [3, 4])], lambda x: x.prod(1))
case('cumsum', [('f', [3, 4])], lambda x: x.cumsum(1))
case('cumprod', [('f', [3, 4])], lambda x: x.cumprod(0))
case('logsumexp', [('f', [3, 4])], lambda x: x.logsumexp(1))
case('norm2', [('f', [3, 4])], lambda x: x.norm())
case('norm1Dim', [('f', [3, 4])], lambda x: x.norm(1, 1))
case('softmax', [('f', [3, 4])], lambda x: x.softmax(1))
case('logSoftmax', [('f', [3, 4])], lambda x: x.log_softmax(0))
case('topk', [('f', [3, 6])], lambda x: x.topk(3, 1))
case('topkSmallest', [('f', [3, 6])], lambda x: x.topk(2, 0, largest=False))
case('sortDescending', [('f', [3, 6])], lambda x: x.sort(1, descending=True))
case('argsort', [('f', [3, 6])], lambda x: x.argsort(0))

# Ties and edges, where PyTorch's backward makes a choice: a full max/min and amax/amin share the
# gradient evenly among tied extremes, max(dim) sends it to the returned index, maximum splits a
# tie in half, clamp passes it at its bounds, relu and abs send none at 0, a zero norm has none.
case('maxAllTies', [([1.0, 3.0, 3.0, 2.0], [4])], lambda x: x.max())
case('minAllTies', [([1.0, 0.5, 3.0, 0.5, 0.5, 2.0], [2, 3])], lambda x: x.min())
case('amaxTies', [([1.0, 3.0, 3.0, 2.0, 2.0, 0.0], [2, 3])], lambda x: x.amax(1))
case('aminTiesAll', [([1.0, 3.0, 1.0, 2.0, 1.0, 4.0], [2, 3])], lambda x: x.amin())
case('minDimTies', [([1.0, 0.0, 0.0, 2.0, 2.0, 5.0], [2, 3])], lambda x: x.min(1))
case('maximumTies', [([1.0, 2.0, 3.0, -1.0], [4]), ([1.0, 0.0, 3.0, 2.0], [4])], torch.maximum)
case('minimumTies', [([1.0, 2.0, 3.0, -1.0], [4]), ([1.0, 0.0, 3.0, 2.0], [4])], torch.minimum)
case('clampBounds', [([-1.0, -0.5, 0.0, 0.7, 1.0], [5])], lambda x: x.clamp(-0.5, 0.7))
case('reluZero', [([-1.0, 0.0, 2.0], [3])], torch.relu)
case('absZero', [([-1.0, 0.0, 2.0], [3])], torch.abs)
case('normZero', [([0.0, 0.0, 0.0], [3])], lambda x: x.norm())
case('sortStableTies', [([2.0, 1.0, 2.0, 1.0, 3.0, 1.0], [6])], lambda x: x.sort(stable=True))
case('sortDescendingTies', [([2.0, 1.0, 2.0, 1.0, 3.0, 1.0], [6])], lambda x: x.sort(descending=True, stable=True))
case('maxPoolTies', [([1.0] * 16, [1, 1, 4, 4])], lambda x: F.max_pool2d(x, 2, return_indices=True))
case('logsumexpInf', [([0.0, float('-inf'), 1.0, float('-inf'), float('-inf'), 2.0], [2, 3])], lambda x: x.logsumexp(1))
case('softmaxInf', [([0.0, float('-inf'), 1.0], [3])], lambda x: x.softmax(0))

# Layout and indexing.
case('transpose', [('f', [2, 3, 4])], lambda x: x.transpose(0, 2) * 1)
case('permute', [('f', [2, 3, 4])], lambda x: x.permute(2, 0, 1) * 1)
case('expand', [('f', [3, 1])], lambda x: x.expand(3, 4) * 1)
case('flatten', [('f', [2, 3, 4])], lambda x: x.flatten(1))
case('repeat', [('f', [2, 3])], lambda x: x.repeat(2, 1, 2))
case('roll', [('f', [3, 4])], lambda x: x.roll(1, 1))
case('rollFlat', [('f', [3, 4])], lambda x: x.roll(5))
case('flip', [('f', [3, 4])], lambda x: x.flip(0, 1))
case('tril', [('f', [4, 4])], lambda x: x.tril(-1))
case('triu', [('f', [3, 5])], lambda x: x.triu(1))
case('narrow', [('f', [4, 5])], lambda x: x.narrow(1, 1, 3))
case('chunk', [('f', [5, 2])], lambda x: x.chunk(2, 0))
case('split', [('f', [5, 2])], lambda x: x.split([1, 4], 0))
case('gather', [('f', [3, 4]), (('i', 4), [3, 2])], lambda x, i: x.gather(1, i))
case('scatterAdd', [('f', [3, 4]), (('i', 3), [2, 4]), ('f', [2, 4])], lambda x, i, s: x.scatter_add(0, i, s))
case('indexSelect', [('f', [4, 3]), (('i', 4), [5])], lambda x, i: x.index_select(0, i))
case('indexAdd', [('f', [4, 3]), (('i', 4), [5]), ('f', [5, 3])], lambda x, i, s: x.index_add(0, i, s))
case('cat', [('f', [2, 3]), ('f', [4, 3])], lambda x, y: torch.cat([x, y], 0))
case('stack', [('f', [2, 3]), ('f', [2, 3])], lambda x, y: torch.stack([x, y], 1))
case('padConstant', [('f', [2, 3])], lambda x: F.pad(x, (1, 2), value=0.5))
case('padReflect', [('f', [1, 2, 4])], lambda x: F.pad(x, (2, 1), mode='reflect'))
case('padReplicate', [('f', [1, 2, 4])], lambda x: F.pad(x, (1, 2), mode='replicate'))

# Products.
case('mm', [('f', [3, 4]), ('f', [4, 2])], torch.mm)
case('bmm', [('f', [2, 3, 4]), ('f', [2, 4, 2])], torch.bmm)
case('matmulBroadcast', [('f', [2, 1, 3, 4]), ('f', [3, 4, 2])], torch.matmul)
case('matmulVector', [('f', [4]), ('f', [2, 4, 3])], torch.matmul)
case('outer', [('f', [3]), ('f', [4])], torch.outer)

# nn.functional, with PyTorch's defaults.
case('linear', [('f', [3, 4]), ('f', [2, 4]), ('f', [2])], F.linear)
case('conv2d', [('f', [2, 4, 6, 5]), ('f', [6, 2, 3, 2]), ('f', [6])],
     lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2))
case('conv2dSame', [('f', [1, 2, 5, 5]), ('f', [3, 2, 4, 3])], lambda x, w: F.conv2d(x, w, padding='same'))
case('conv1d', [('f', [2, 3, 7]), ('f', [4, 3, 3]), ('f', [4])], lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1))
case('convTranspose2d', [('f', [2, 4, 3, 3]), ('f', [4, 3, 3, 2]), ('f', [6])],
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2))
case('maxPool2dCeil', [('f', [1, 2, 5, 5])], lambda x: F.max_pool2d(x, 2, ceil_mode=True))
case('maxPool2dIndices', [('f', [1, 2, 6, 5])], lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True))
case('avgPool2d', [('f', [1, 2, 5, 5])], lambda x: F.avg_pool2d(x, 3, stride=2, padding=1))
case('avgPool2dNoPad', [('f', [1, 2, 5, 5])], lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False, ceil_mode=True))
case('adaptiveAvgPool2d', [('f', [1, 2, 5, 7])], lambda x: F.adaptive_avg_pool2d(x, (3, 2)))
case('batchNormTraining', [('f', [4, 3, 2, 2]), ('f', [3]), ('f', [3])],
     lambda x, w, b: F.batch_norm(x, torch.zeros(3), torch.ones(3), w, b, training=True, momentum=0.1, eps=1e-5))
case('batchNormEval', [('f', [4, 3]), ('cpos', [3]), ('f', [3]), ('f', [3])],
     lambda x, rv, w, b: F.batch_norm(x, torch.full((3,), 0.2), rv, w, b, training=False))
case('layerNorm', [('f', [3, 2, 4]), ('f', [2, 4]), ('f', [2, 4])], lambda x, w, b: F.layer_norm(x, (2, 4), w, b))
case('groupNorm', [('f', [2, 4, 3]), ('f', [4]), ('f', [4])], lambda x, w, b: F.group_norm(x, 2, w, b))
case('gelu', [('f', [3, 4])], F.gelu)
case('geluTanh', [('f', [3, 4])], lambda x: F.gelu(x, approximate='tanh'))
case('elu', [('f', [3, 4])], lambda x: F.elu(x, alpha=0.7))
case('leakyRelu', [('f', [3, 4])], lambda x: F.leaky_relu(x, 0.2))
case('silu', [('f', [3, 4])], F.silu)
case('softplus', [('f', [3, 4])], lambda x: F.softplus(x * 10, beta=2, threshold=5))
case('hardtanh', [('f', [3, 4])], lambda x: F.hardtanh(x, -0.6, 0.8))
case('logSigmoid', [('f', [3, 4])], F.logsigmoid)
case('crossEntropy', [('f', [5, 4]), (('i', 4), [5])], F.cross_entropy)
case('crossEntropySmoothing', [('f', [5, 4]), (('i', 4), [5])], lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2))
case('crossEntropyIgnore', [('f', [5, 4]), (('i', 4), [5])], lambda x, t: F.cross_entropy(x, t, ignore_index=1))
case('crossEntropySpatial', [('f', [2, 3, 2, 2]), (('i', 3), [2, 2, 2])], lambda x, t: F.cross_entropy(x, t, reduction='sum'))
case('nllLoss', [('f', [5, 4]), (('i', 4), [5])], lambda x, t: F.nll_loss(x.log_softmax(1), t, reduction='none'))
case('mseLoss', [('f', [3, 4]), ('c', [3, 4])], F.mse_loss)
case('l1Loss', [('f', [3, 4]), ('c', [3, 4])], lambda x, t: F.l1_loss(x, t, reduction='sum'))
case('smoothL1Loss', [('f', [3, 4]), ('c', [3, 4])], lambda x, t: F.smooth_l1_loss(x, t, beta=0.5))
case('huberLoss', [('f', [3, 4]), ('c', [3, 4])], lambda x, t: F.huber_loss(x, t, delta=0.5))
case('binaryCrossEntropy', [('unit', [3, 4]), ('cunit', [3, 4])], lambda x, t: F.binary_cross_entropy(x, t))
case('bceWithLogits', [('f', [3, 4]), ('cunit', [3, 4])], lambda x, t: F.binary_cross_entropy_with_logits(x, t))
case('klDivBatchmean', [('f', [3, 4]), ('cunit', [3, 4])], lambda x, t: F.kl_div(x.log_softmax(1), t, reduction='batchmean'))
case('klDivLogTarget', [('f', [3, 4]), ('c', [3, 4])], lambda x, t: F.kl_div(x.log_softmax(1), t.log_softmax(1), log_target=True))
case('oneHot', [(('i', 5), [4])], lambda i: F.one_hot(i, 6))
case('attentionCausal', [('f', [2, 3, 4]), ('f', [2, 3, 4]), ('f', [2, 3, 4])],
     lambda q, k, v: (q @ k.transpose(-2, -1) / math.sqrt(4)).masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), float('-inf')).softmax(-1) @ v)
case('embedding', [('f', [5, 3]), (('i', 5), [2, 4])], lambda w, i: F.embedding(i, w))

out = {}
for name, specs, fn in CASES:
    xs = [make(spec, shape) for spec, shape in specs]
    outs = outputs_of(fn(*xs))
    floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
    cots = [torch.randn(o.shape) for o in floats]
    grads = [None] * len(xs)
    if floats:
        wrt = [x for x in xs if x.is_floating_point() and x.requires_grad]
        loss = sum((o * c).sum() for o, c in zip(floats, cots))
        got = iter(torch.autograd.grad(loss, wrt, allow_unused=True))
        for k, x in enumerate(xs):
            if x.is_floating_point() and x.requires_grad:
                g = next(got)
                grads[k] = encode(g if g is not None else torch.zeros_like(x))
    out[name] = {
        'inputs': [encode(x) for x in xs],
        'differentiated': [bool(x.is_floating_point() and x.requires_grad) for x in xs],
        'outputs': [encode(o) for o in outs],
        'cotangents': [encode(c) for c in cots],
        'grads': grads,
    }
json.dump(out, sys.stdout, indent=None, separators=(',', ':'))
sys.stdout.write('\n')
