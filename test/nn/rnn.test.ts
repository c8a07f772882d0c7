// Recurrent layers against PyTorch 1.13: outputs, final states and gradients for fixed weights
// (values from test/nn/torch/rnn_reference.py, float64), gradients against central differences,
// PyTorch's parameter names and shapes, its initialisation bounds, and errors for bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DTypeError, gradcheck, manualSeed, nn, noGrad, ShapeError, tensor, ValueError, zeros, type Tensor } from '../../src/index.js';

interface Reference {
  out?: number[];
  outShape?: number[];
  h: number[];
  c?: number[];
  x_grad: number[];
  grads: Record<string, number[]>;
}
const REF = JSON.parse(readFileSync(new URL('./torch/rnn-reference.json', import.meta.url), 'utf8')) as Record<string, Reference>;

/** float64 throughout: only the order of sums differs from PyTorch's. */
const F64 = 1e-10;
const GRADCHECK = { eps: 1e-6, atol: 1e-6, rtol: 1e-4 };

/** The fill of rnn_reference.py: exact in float64, so both sides start from the same bits. */
function fill(shape: number[], salt: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => (((i * 37 + salt * 11) % 17) - 8) / 16), { dtype: 'float64' }).reshape(shape);
}

function setParams(m: nn.Module): void {
  noGrad(() => m.namedParameters().forEach(([, p], k) => p.copy_(fill([...p.shape] as number[], k + 1))));
}

async function expectValues(t: Tensor, want: number[], what: string): Promise<void> {
  const got = Array.from(await t.data());
  expect(got.length, `${what}: element count`).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `${what}[${i}]: ${v} vs PyTorch's ${want[i]}`).toBeLessThan(F64 * (1 + Math.abs(want[i]))));
}

type SeqModule = nn.RNN | nn.LSTM | nn.GRU;
const f64 = { dtype: 'float64' as const };

const SEQ_CASES: [string, () => SeqModule, number[], number[] | null][] = [
  ['lstm2bi', () => new nn.LSTM(3, 2, { numLayers: 2, bidirectional: true, ...f64 }), [3, 2, 3], [4, 2, 2]],
  ['lstmNoBiasBatchFirst', () => new nn.LSTM(3, 2, { bias: false, batchFirst: true, ...f64 }), [2, 4, 3], null],
  ['gruBatchFirst', () => new nn.GRU(3, 2, { batchFirst: true, numLayers: 2, ...f64 }), [2, 3, 3], [2, 2, 2]],
  ['gruBiUnbatched', () => new nn.GRU(3, 2, { bidirectional: true, ...f64 }), [4, 3], [2, 2]],
  ['rnnRelu', () => new nn.RNN(3, 2, { nonlinearity: 'relu', numLayers: 2, ...f64 }), [3, 2, 3], [2, 2, 2]],
  ['rnnTanhBi', () => new nn.RNN(3, 2, { bidirectional: true, ...f64 }), [3, 2, 3], null],
];

describe.each(SEQ_CASES)('%s', (name, make, xShape, hShape) => {
  const ref = REF[name];
  const isLstm = name.startsWith('lstm');

  it("has PyTorch's parameter names, in PyTorch's order", () => {
    expect(make().namedParameters().map(([n]) => n)).toEqual(Object.keys(ref.grads));
  });

  it("matches PyTorch's output, final state and gradients for fixed weights", async () => {
    const m = make();
    setParams(m);
    const x = fill(xShape, 50).requiresGrad_();
    let loss: Tensor;
    if (isLstm) {
      const hx = hShape === null ? undefined : ([fill(hShape, 60), fill(hShape, 70)] as [Tensor, Tensor]);
      const [out, [h, c]] = (m as nn.LSTM).forward(x, hx);
      expect(out.shape).toEqual(ref.outShape);
      await expectValues(out, ref.out as number[], 'output');
      await expectValues(h, ref.h, 'hN');
      await expectValues(c, ref.c as number[], 'cN');
      loss = out.mul(out).sum().add(h.sum()).add(c.sum().mul(2));
    } else {
      const [out, h] = (m as nn.GRU).forward(x, hShape === null ? undefined : fill(hShape, 60));
      expect(out.shape).toEqual(ref.outShape);
      await expectValues(out, ref.out as number[], 'output');
      await expectValues(h, ref.h, 'hN');
      loss = out.mul(out).sum().add(h.sum());
    }
    loss.backward();
    await expectValues(x.grad as Tensor, ref.x_grad, 'x.grad');
    for (const [n, p] of m.namedParameters()) await expectValues(p.grad as Tensor, ref.grads[n], `${n}.grad`);
  });
});

describe('gradients against central differences (float64)', () => {
  /** Parameter names, read once: the tensors gradcheck passes in are not registered parameters. */
  const NAMES = new WeakMap<nn.Module, string[]>();
  /** Runs m with its parameters replaced by ps, so gradcheck can perturb them. */
  function withParams(m: nn.Module, ps: Tensor[]): void {
    if (!NAMES.has(m)) NAMES.set(m, m.namedParameters().map(([n]) => n));
    const names = NAMES.get(m) as string[];
    expect(names.length).toBe(ps.length);
    names.forEach((n, i) => ((m as unknown as Record<string, Tensor>)[n] = ps[i]));
  }

  it('holds for a 2-layer bidirectional LSTM in its input, initial state and every parameter', async () => {
    manualSeed(1);
    const m = new nn.LSTM(2, 2, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    const params = m.parameters();
    const x = fill([3, 1, 2], 5).requiresGrad_();
    const h0 = fill([4, 1, 2], 6).requiresGrad_();
    const c0 = fill([4, 1, 2], 7).requiresGrad_();
    await gradcheck((xx, hh, cc, ...ps) => {
      withParams(m, ps);
      const [out, [h, c]] = m.forward(xx, [hh, cc]);
      return out.mul(out).sum().add(h.sum()).add(c.mul(c).sum());
    }, [x, h0, c0, ...params], GRADCHECK);
  }, 120_000);

  it('holds for a GRU with dropout 0 between 2 layers, batch first, in its input and parameters', async () => {
    manualSeed(2);
    const m = new nn.GRU(2, 3, { numLayers: 2, batchFirst: true, dtype: 'float64' });
    const x = fill([2, 3, 2], 8).requiresGrad_();
    await gradcheck((xx, ...ps) => {
      withParams(m, ps);
      const [out, h] = m.forward(xx);
      return out.mul(out).sum().add(h.sum());
    }, [x, ...m.parameters()], GRADCHECK);
  }, 120_000);

  it('holds for the three cells', async () => {
    manualSeed(3);
    const x = fill([2, 3], 9).requiresGrad_();
    const h = fill([2, 2], 10).requiresGrad_();
    const c = fill([2, 2], 11).requiresGrad_();
    const lstm = new nn.LSTMCell(3, 2, f64);
    await gradcheck((xx, hh, cc, ...ps) => {
      withParams(lstm, ps);
      const [h1, c1] = lstm.forward(xx, [hh, cc]);
      return h1.mul(c1).sum();
    }, [x, h, c, ...lstm.parameters()], GRADCHECK);
    const gru = new nn.GRUCell(3, 2, f64);
    await gradcheck((xx, hh, ...ps) => {
      withParams(gru, ps);
      return gru.forward(xx, hh);
    }, [x, h, ...gru.parameters()], GRADCHECK);
    const rnn = new nn.RNNCell(3, 2, f64);
    await gradcheck((xx, hh, ...ps) => {
      withParams(rnn, ps);
      return rnn.forward(xx, hh);
    }, [x, h, ...rnn.parameters()], GRADCHECK);
  }, 120_000);
});

describe('cells', () => {
  const CELLS: [string, () => nn.Module][] = [
    ['lstmCell', () => new nn.LSTMCell(3, 2, f64)],
    ['gruCell', () => new nn.GRUCell(3, 2, f64)],
    ['rnnCell', () => new nn.RNNCell(3, 2, f64)],
    ['rnnCellRelu', () => new nn.RNNCell(3, 2, { nonlinearity: 'relu', ...f64 })],
  ];
  it.each(CELLS)("%s matches PyTorch's step and gradients for fixed weights", async (name, make) => {
    const ref = REF[name];
    const m = make();
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(ref.grads));
    setParams(m);
    const x = fill([2, 3], 50).requiresGrad_();
    const h0 = fill([2, 2], 60);
    let loss: Tensor;
    if (m instanceof nn.LSTMCell) {
      const [h, c] = m.forward(x, [h0, fill([2, 2], 70)]);
      await expectValues(h, ref.h, 'h');
      await expectValues(c, ref.c as number[], 'c');
      loss = h.mul(h).sum().add(c.sum().mul(2));
    } else {
      const h = (m as nn.GRUCell).forward(x, h0);
      await expectValues(h, ref.h, 'h');
      loss = h.mul(h).sum();
    }
    loss.backward();
    await expectValues(x.grad as Tensor, ref.x_grad, 'x.grad');
    for (const [n, p] of m.namedParameters()) await expectValues(p.grad as Tensor, ref.grads[n], `${n}.grad`);
  });

  it('take unbatched inputs and start from zeros without a state', async () => {
    const cell = new nn.LSTMCell(3, 2, f64);
    const [h, c] = cell.forward(fill([3], 1));
    expect(h.shape).toEqual([2]);
    expect(c.shape).toEqual([2]);
    const [hb] = cell.forward(fill([3], 1).unsqueeze(0), [zeros([1, 2], f64), zeros([1, 2], f64)]);
    expect(Array.from(await hb.data())).toEqual(Array.from(await h.data()));
  });
});

describe('modules', () => {
  it("have PyTorch's weight shapes, gates stacked along dim 0", () => {
    const lstm = new nn.LSTM(10, 20, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(shapes.weight_ih_l0).toEqual([80, 10]);
    expect(shapes.weight_hh_l0).toEqual([80, 20]);
    expect(shapes.bias_ih_l0_reverse).toEqual([80]);
    expect(shapes.weight_ih_l1).toEqual([80, 40]);
    expect(shapes.weight_hh_l1_reverse).toEqual([80, 20]);
    expect(Object.keys(shapes)).toHaveLength(16);
    expect(new nn.GRU(4, 5).stateDict().weight_ih_l0.shape).toEqual([15, 4]);
    expect(new nn.RNNCell(4, 5, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight_ih', 'weight_hh']);
  });

  it('start uniform in ±1/√hidden, as PyTorch', async () => {
    manualSeed(0);
    const hidden = 64;
    const bound = 1 / Math.sqrt(hidden);
    for (const m of [new nn.LSTM(32, hidden), new nn.GRUCell(32, hidden)]) {
      for (const [n, p] of m.namedParameters()) {
        const v = Array.from(await p.data());
        expect(Math.max(...v), n).toBeLessThan(bound);
        expect(Math.min(...v), n).toBeGreaterThanOrEqual(-bound);
        // A uniform spread: the extremes come within 5% of the bounds (p.numel() ≥ 256 draws).
        expect(Math.max(...v), n).toBeGreaterThan(0.95 * bound);
      }
    }
  });

  it('load a state dict saved from another with the same names', async () => {
    const a = new nn.GRU(3, 4, { numLayers: 2 });
    const b = new nn.GRU(3, 4, { numLayers: 2 });
    b.loadStateDict(a.stateDict());
    const x = fill([5, 2, 3], 1).to('float32');
    expect(Array.from(await b.forward(x)[0].data())).toEqual(Array.from(await a.forward(x)[0].data()));
  });

  it('apply dropout between layers only while training', async () => {
    manualSeed(4);
    const m = new nn.LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
    const x = fill([4, 2, 3], 2).to('float32');
    const train1 = Array.from(await m.forward(x)[0].data());
    const train2 = Array.from(await m.forward(x)[0].data());
    expect(train1).not.toEqual(train2);
    m.eval();
    const eval1 = Array.from(await m.forward(x)[0].data());
    expect(Array.from(await m.forward(x)[0].data())).toEqual(eval1);
  });

  it('run without recording a graph under noGrad, with the same values', async () => {
    const m = new nn.LSTM(3, 4);
    const x = fill([4, 2, 3], 3).to('float32');
    const [a] = m.forward(x);
    const [b] = noGrad(() => m.forward(x));
    expect(b.requiresGrad).toBe(false);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
  });
});

describe('errors', () => {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
  it.each([
    ['an input of the wrong rank', () => lstm.forward(zeros([3])), ShapeError, /^LSTM: got an input of shape \[3\], expected \[seq, batch, features\]/],
    ['an input of the wrong size', () => lstm.forward(zeros([5, 2, 4])), ShapeError, /^LSTM: got an input of shape \[5, 2, 4\], expected a last dim of inputSize = 3/],
    ['an int32 input', () => lstm.forward(zeros([5, 2, 3], { dtype: 'int32' })), DTypeError, /^LSTM: got an input of dtype int32/],
    ['a mis-shaped h0', () => lstm.forward(zeros([5, 2, 3]), [zeros([1, 2, 4]), zeros([2, 2, 4])]), ShapeError, /^LSTM: got h0 of shape \[1, 2, 4\], expected \[2, 2, 4\]/],
    ['a lone tensor as hx', () => lstm.forward(zeros([5, 2, 3]), zeros([2, 2, 4]) as never), ValueError, /^LSTM: got hx of type object, expected \[h0, c0\]/],
    ['a GRU state for the wrong batch', () => new nn.GRU(3, 4).forward(zeros([5, 2, 3]), zeros([1, 3, 4])), ShapeError, /^GRU: got hx of shape \[1, 3, 4\], expected \[1, 2, 4\]/],
    ['a cell input of the wrong size', () => new nn.GRUCell(3, 4).forward(zeros([2, 5])), ShapeError, /^GRUCell: got an input of shape \[2, 5\], expected \[batch, 3\] or \[3\]/],
    ['a cell state of the wrong size', () => new nn.LSTMCell(3, 4).forward(zeros([2, 3]), [zeros([2, 4]), zeros([2, 5])]), ShapeError, /^LSTMCell: got c of shape \[2, 5\], expected \[2, 4\]/],
    ['a zero hidden size', () => new nn.LSTM(3, 0), ValueError, /^LSTM: got hiddenSize 0, expected a positive integer/],
    ['an unknown nonlinearity', () => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as never }), ValueError, /^RNN: got nonlinearity "sigmoid", expected 'tanh' or 'relu'/],
    ['a dropout above 1', () => new nn.GRU(3, 4, { dropout: 1.5 }), ValueError, /^GRU: got dropout 1.5, expected a probability in \[0, 1\]/],
  ])('%s throws before running', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
