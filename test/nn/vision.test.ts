// Vision layers against PyTorch's documented semantics: running statistics, eval mode,
// parameter and buffer names and layouts, initialisation bounds, and values PyTorch 1.13 computed
// (test/nn/fixtures/vision-torch.py writes them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nn, noGrad, ShapeError, tensor, ValueError, type Tensor } from '../../src/index.js';

const torch = JSON.parse(readFileSync(new URL('./fixtures/vision-torch.json', import.meta.url), 'utf8'));
const F = nn.functional;

/** float64 throughout: differences are summation order only. */
const CLOSE = 1e-10;

/** The fixture's inputs: sin(i·a + b), as the generator builds them. */
function vals(shape: number[], a: number, b = 0): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Array.from({ length: n }, (_, i) => Math.sin(i * a + b)), { dtype: 'float64' }).reshape(shape);
}

async function expectValues(t: Tensor, expected: number[], tol = CLOSE): Promise<void> {
  const got = Array.from(await t.data());
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(Math.abs(v - expected[i]), `element ${i}: got ${v}, expected ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]))));
}

const shapes = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]));

describe('BatchNorm2d', () => {
  function make(): nn.BatchNorm2d {
    const bn = new nn.BatchNorm2d(3, { momentum: 0.2, dtype: 'float64' });
    noGrad(() => {
      bn.weight!.copy_(tensor([1.5, -0.5, 2.0], { dtype: 'float64' }));
      bn.bias!.copy_(tensor([0.1, 0.2, -0.3], { dtype: 'float64' }));
    });
    return bn;
  }
  const x1 = () => vals([2, 3, 2, 3], 0.37).mul(2).add(0.5);
  const x2 = () => vals([2, 3, 2, 3], 0.91, 1).mul(3).sub(1);

  it('normalises with batch statistics in training and moves the running ones (unbiased variance) as PyTorch', async () => {
    const bn = make();
    bn.forward(x1());
    const y2 = bn.forward(x2());
    await expectValues(y2, torch.bn_train_y2);
    await expectValues(bn.runningMean!, torch.bn_running_mean);
    await expectValues(bn.runningVar!, torch.bn_running_var);
    expect(await bn.num_batches_tracked!.item()).toBe(torch.bn_tracked);
  });

  it('uses the running statistics in eval mode and leaves them alone', async () => {
    const bn = make();
    bn.forward(x1());
    bn.forward(x2());
    bn.eval();
    await expectValues(bn.forward(x1()), torch.bn_eval_y);
    await expectValues(bn.runningMean!, torch.bn_running_mean);
    expect(await bn.num_batches_tracked!.item()).toBe(2);
  });

  it('saves weight, bias and the running statistics, with num_batches_tracked as an int32 buffer', () => {
    const bn = new nn.BatchNorm2d(3);
    const state = bn.stateDict();
    expect(Object.keys(state)).toEqual(Object.keys(torch.bn_keys));
    expect(state.num_batches_tracked.dtype).toBe('int32');
    expect(state.num_batches_tracked.shape).toEqual([]);
    expect(bn.parameters().length).toBe(2);
    expect(bn.buffers().length).toBe(3);
  });

  it('round-trips its running statistics through a state dict', async () => {
    const a = make();
    a.forward(x1());
    const b = new nn.BatchNorm2d(3, { momentum: 0.2, dtype: 'float64' });
    b.loadStateDict(a.stateDict());
    await expectValues(b.runningVar!, Array.from(await a.runningVar!.data()));
    expect(await b.num_batches_tracked!.item()).toBe(1);
  });

  it('rejects a 3-D input and a wrong channel count, naming the layer', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(() => bn.forward(vals([2, 3, 4], 0.1).to('float32'))).toThrow(ShapeError);
    expect(() => bn.forward(vals([2, 4, 2, 2], 0.1).to('float32'))).toThrow(/^BatchNorm2d: .*expected 3 channels/);
  });
});

describe('BatchNorm1d', () => {
  it('with momentum null keeps the plain average of every batch, as PyTorch', async () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    bn.forward(vals([4, 2], 0.5));
    bn.forward(vals([4, 2], 1.3).mul(2));
    bn.forward(vals([4, 2], 2.1).add(1));
    await expectValues(bn.runningMean!, torch.bnc_mean);
    await expectValues(bn.runningVar!, torch.bnc_var);
  });

  it('matches PyTorch on [N, C, L], forward and backward', async () => {
    const bn = new nn.BatchNorm1d(2, { dtype: 'float64' });
    const x = vals([3, 2, 4], 0.77).requiresGrad_();
    const y = bn.forward(x);
    y.mul(vals([3, 2, 4], 0.3)).sum().backward();
    await expectValues(y, torch.bn1_y);
    await expectValues(x.grad!, torch.bn1_grad, 1e-9);
  });

  it('refuses to train on one value per channel', () => {
    expect(() => new nn.BatchNorm1d(2).forward(vals([1, 2], 0.3).to('float32'))).toThrow(/^BatchNorm1d: .*more than 1 value per channel.*\(in batchNorm\)$/);
  });
});

describe('GroupNorm', () => {
  it('matches PyTorch, forward and backward', async () => {
    const gn = new nn.GroupNorm(2, 4, { dtype: 'float64' });
    noGrad(() => {
      gn.weight!.copy_(tensor([1, 2, 3, 4], { dtype: 'float64' }));
      gn.bias!.copy_(tensor([0, 1, 0, -1], { dtype: 'float64' }));
    });
    const x = vals([2, 4, 3], 0.41).mul(2).detach().requiresGrad_();
    const y = gn.forward(x);
    y.mul(vals([2, 4, 3], 0.6)).sum().backward();
    await expectValues(y, torch.gn_y);
    await expectValues(x.grad!, torch.gn_grad, 1e-9);
  });

  it('starts with weight 1 and bias 0, and rejects a group count that does not divide the channels', async () => {
    const gn = new nn.GroupNorm(2, 4);
    expect(Array.from(await gn.weight!.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(await gn.bias!.data())).toEqual([0, 0, 0, 0]);
    expect(() => new nn.GroupNorm(3, 4)).toThrow(ValueError);
  });
});

describe('Conv2d and ConvTranspose2d', () => {
  it("use PyTorch's parameter names and layouts", () => {
    expect(shapes(new nn.Conv2d(4, 6, [3, 2], { groups: 2 }))).toEqual(torch.conv_keys);
    expect(shapes(new nn.ConvTranspose2d(4, 6, 3, { groups: 2 }))).toEqual(torch.convt_keys);
    expect(shapes(new nn.Conv1d(4, 6, 5))).toEqual({ weight: [6, 4, 5], bias: [6] });
    expect(Object.keys(new nn.Conv2d(1, 2, 3, { bias: false }).stateDict())).toEqual(['weight']);
  });

  it('initialise weight and bias within ±1/√fanIn (kaiming_uniform with a = √5), filling the range', async () => {
    // fanIn = (in / groups)·kH·kW = 16·9 = 144: bound 1/12.
    const conv = new nn.Conv2d(32, 64, 3, { groups: 2 });
    const bound = 1 / 12;
    const w = Array.from(await conv.weight.data());
    const b = Array.from(await conv.bias!.data());
    for (const xs of [w, b]) {
      expect(Math.max(...xs.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound);
    expect(Math.min(...w)).toBeLessThan(-0.95 * bound);
    // ConvTranspose2d's fanIn is weight.size(1)·k·k = (out / groups)·k·k, as PyTorch computes it.
    const up = new nn.ConvTranspose2d(8, 4, 2);
    expect(Math.max(...Array.from(await up.weight.data()).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(4 * 4));
  });

  it('compute what PyTorch computes with the same weights', async () => {
    const conv = new nn.Conv2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' });
    conv.loadStateDict({ weight: vals([3, 2, 3, 3], 0.23), bias: tensor([0.5, -0.5, 0.25], { dtype: 'float64' }) });
    await expectValues(conv.forward(vals([1, 2, 5, 5], 0.67)), torch.conv_y);
    const y = F.convTranspose2d(vals([1, 2, 5, 5], 0.67), vals([2, 3, 3, 3], 0.19), null, { stride: 2, padding: 1, outputPadding: 1 });
    expect(y.shape).toEqual(torch.ct_shape);
    await expectValues(y, torch.ct_y);
  });

  it('name the function the user called in their errors', () => {
    const x = vals([1, 3, 5, 5], 0.1).to('float32');
    expect(() => F.conv2d(x, vals([2, 2, 3, 3], 0.1).to('float32'))).toThrow(/^conv2d: .*channels/);
    expect(() => F.conv2d(x, vals([2, 3, 3, 3], 0.1).to('float32'), null, { padding: 'same', stride: 2 })).toThrow(ValueError);
    expect(() => F.conv1d(x, vals([2, 3, 3], 0.1).to('float32'))).toThrow(/^conv1d: /);
    expect(() => F.conv2d(x, vals([2, 3, 7, 7], 0.1).to('float32'))).toThrow(ShapeError);
    expect(() => F.convTranspose2d(x, vals([3, 2, 3, 3], 0.1).to('float32'), null, { outputPadding: 1 })).toThrow(/^convTranspose2d: .*outputPadding/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/^Conv2d: /);
  });
});

describe('pooling layers', () => {
  it('give PyTorch indices and values in ceil mode', async () => {
    const [y, at] = new nn.MaxPool2d(2, { stride: 2, ceilMode: true, returnIndices: true }).forward(vals([1, 2, 5, 5], 0.67)) as [Tensor, Tensor];
    expect(y.shape).toEqual(torch.mp_shape);
    await expectValues(y, torch.mp_y);
    expect(Array.from(await at.data())).toEqual(torch.mp_idx);
    expect(at.dtype).toBe('int32');
  });

  it('send the gradient of a tied window to its first maximum, as PyTorch', async () => {
    // One 2×2 window holding [1, 3; 3, 2]: the first 3 in scan order (index 1) takes it all.
    const x = tensor([1, 3, 3, 2], { dtype: 'float64' }).reshape([1, 1, 2, 2]).requiresGrad_();
    F.maxPool2d(x, 2).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 1, 0, 0]);
  });

  it('reject padding past half the kernel and a bad adaptive size', () => {
    const x = vals([1, 1, 4, 4], 0.2).to('float32');
    expect(() => F.maxPool2d(x, 2, { padding: 2 })).toThrow(/^maxPool2d: .*half the kernel/);
    expect(() => new nn.AdaptiveAvgPool2d(0).forward(x)).toThrow(/^AdaptiveAvgPool2d: got outputSize 0/);
    expect(() => F.avgPool1d(x, 2)).toThrow(/^avgPool1d: /);
  });

  it('pool globally with AdaptiveAvgPool2d(1) and keep the batch and channel dims', async () => {
    const x = vals([2, 3, 4, 4], 0.3);
    const y = new nn.AdaptiveAvgPool2d(1).forward(x);
    expect(y.shape).toEqual([2, 3, 1, 1]);
    await expectValues(y, Array.from(await x.mean([2, 3]).data()));
  });
});
