// nn.Module: registration by field, naming, modes, gradients and state dicts.
import { describe, expect, it } from 'vitest';
import { nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';

class Block extends nn.Module {
  fc = new nn.Linear(3, 2);
  scale = nn.Parameter(ones([2]));
  notAParameter = ones([2]);
  forward(x: Tensor): Tensor {
    return this.fc.forward(x).mul(this.scale);
  }
}

class Net extends nn.Module {
  first = new Block();
  heads = [new nn.Linear(2, 1), new nn.Linear(2, 1)];
  drop = new nn.Dropout(0.5);
  constructor() {
    super();
    this.registerBuffer('steps', zeros([1]));
  }
  forward(x: Tensor): Tensor {
    return this.heads[0].forward(this.drop.forward(this.first.forward(x)));
  }
}

describe('Module', () => {
  it('finds parameters, submodules, arrays of modules and buffers by walking its fields, module by module as PyTorch', () => {
    const net = new Net();
    // Each module's own parameters come before its submodules' (named_modules order).
    expect(net.namedParameters().map(([n]) => n)).toEqual(['first.scale', 'first.fc.weight', 'first.fc.bias', 'heads.0.weight', 'heads.0.bias', 'heads.1.weight', 'heads.1.bias']);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['steps']);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'first', 'first.fc', 'heads.0', 'heads.1', 'drop']);
    expect(net.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('lists a parameter shared by two modules once, under its first name', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.Linear(2, 2);
    (b as unknown as { weight: Tensor }).weight = a.weight;
    const seq = new nn.Sequential(a, b);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.bias']);
  });

  it('sets training mode on every submodule with train() and eval()', () => {
    const net = new Net().eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it('drops gradients with zeroGrad() and zeroes them in place with setToNone false', async () => {
    const net = new Block();
    net.forward(ones([4, 3])).sum().backward();
    const grad = net.scale.grad as Tensor;
    net.zeroGrad({ setToNone: false });
    expect(net.scale.grad).toBe(grad);
    expect(await grad.toArray()).toEqual([0, 0]);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('round-trips its state dict into a fresh module of the same shape', async () => {
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    for (const [name, t] of Object.entries(b.stateDict())) expect(await t.toArray(), name).toEqual(await a.stateDict()[name].toArray());
  });

  const rejections: [string, (sd: Record<string, Tensor>) => void, RegExp][] = [
    ['a missing key', (sd) => delete sd['first.scale'], /missing keys: first\.scale/],
    ['an unexpected key', (sd) => (sd['first.extra'] = zeros([1])), /unexpected keys: first\.extra/],
    ['a mis-shaped key', (sd) => (sd['first.fc.weight'] = zeros([3, 2])), /first\.fc\.weight: got shape \[3, 2\], expected \[2, 3\]/],
    ['a key of another dtype', (sd) => (sd['first.scale'] = zeros([2], { dtype: 'float64' })), /first\.scale: got dtype float64, expected float32/],
    ['a value that is not a tensor', (sd) => ((sd as Record<string, unknown>)['steps'] = [0]), /steps: got object, expected a Tensor/],
  ];
  it.each(rejections)('rejects a state dict with %s, naming the key, and changes nothing', async (_, spoil, message) => {
    const net = new Net();
    const before = await net.first.scale.toArray();
    const sd = new Net().stateDict();
    sd['first.scale'] = tensor([5, 6]);
    spoil(sd);
    expect(() => net.loadStateDict(sd)).toThrow(nn.StateDictError);
    expect(() => net.loadStateDict(sd)).toThrow(message);
    expect(await net.first.scale.toArray()).toEqual(before);
  });

  it('reports missing and unexpected keys instead of throwing when strict is false', () => {
    const sd = new Block().stateDict();
    delete sd['scale'];
    sd.extra = zeros([1]);
    expect(new Block().loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['scale'], unexpectedKeys: ['extra'] });
  });
});
