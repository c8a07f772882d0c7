// The workloads in Skein's eager mode. Every call awaits its result (synchronize() or a read), so
// a sample times the computation on the pool, not just the queueing of launches.
import { noGrad, optim, synchronize, tensor, zeros, type Tensor } from '../src/index.js';
import { normalArray } from './data.js';
import type { MatmulShape, Runner, Spec, W1Sizes, W2Sizes } from './workloads.js';

/** A float32 tensor of the given shape holding these values. */
function fromArray(values: Float32Array, shape: number[]): Tensor {
  return tensor(values).reshape(shape);
}

/** A leaf tensor that autograd tracks. */
function parameter(values: Float32Array, shape: number[]): Tensor {
  return fromArray(values, shape).detach().requiresGrad_();
}

async function read(t: Tensor | null): Promise<Float32Array> {
  if (t === null) throw new Error('bench: output() called before step()');
  return (await t.data()) as Float32Array;
}

function matmul({ m, k, n, transA, transB }: MatmulShape): Runner {
  const A = fromArray(normalArray(m * k, 11), transA ? [k, m] : [m, k]);
  const B = fromArray(normalArray(k * n, 12), transB ? [n, k] : [k, n]);
  // Transposed operands stay views, as backward produces them.
  const a = transA ? A.t() : A;
  const b = transB ? B.t() : B;
  let out: Tensor | null = null;
  return {
    async step() {
      out = a.mm(b);
      await synchronize();
    },
    output: () => read(out),
    settle: synchronize,
    close() {},
  };
}

function elementwise(op: 'add' | 'relu', n: number): Runner {
  const a = fromArray(normalArray(n, 21), [n]);
  const b = fromArray(normalArray(n, 22), [n]);
  let out: Tensor | null = null;
  return {
    async step() {
      out = op === 'add' ? a.add(b) : a.relu();
      await synchronize();
    },
    output: () => read(out),
    settle: synchronize,
    close() {},
  };
}

/** The tutorial's loop body, as examples/two-layer-autograd.ts writes it. */
function w1({ N, Din, H, Dout, lr }: W1Sizes): Runner {
  const x = fromArray(normalArray(N * Din, 31), [N, Din]);
  const y = fromArray(normalArray(N * Dout, 32), [N, Dout]);
  const w1 = parameter(normalArray(Din * H, 33), [Din, H]);
  const w2 = parameter(normalArray(H * Dout, 34), [H, Dout]);
  return {
    async step() {
      const yPred = x.mm(w1).clamp({ min: 0 }).mm(w2);
      const loss = yPred.sub(y).pow(2).sum();
      const value = await loss.item();
      loss.backward();
      noGrad(() => {
        w1.sub_(w1.grad!.mul(lr));
        w2.sub_(w2.grad!.mul(lr));
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
      return value;
    },
    close() {},
  };
}

/** He-normal weights (std √(2/fan_in)) keep ReLU activations O(1) through the layers. */
function w2({ N, Din, H1, H2, Dout, lr }: W2Sizes, readEvery: number): Runner {
  const x = fromArray(normalArray(N * Din, 41), [N, Din]);
  const target = fromArray(normalArray(N * Dout, 42), [N, Dout]);
  const layers = [
    [Din, H1],
    [H1, H2],
    [H2, Dout],
  ].map(([fanIn, fanOut], i) => ({
    w: parameter(normalArray(fanIn * fanOut, 43 + i, Math.sqrt(2 / fanIn)), [fanIn, fanOut]),
    b: zeros([fanOut], { requiresGrad: true }),
  }));
  // SGD as a training script writes it: one fused pass per parameter, and gradients set to
  // none (the next backward hands its fresh gradient over instead of adding into zeros).
  const optimizer = new optim.SGD(layers.flatMap(({ w, b }) => [w, b]), { lr });
  const forward = () => {
    let h = x;
    layers.forEach(({ w, b }, i) => {
      h = h.mm(w).add(b);
      if (i < layers.length - 1) h = h.relu();
    });
    return h.sub(target).pow(2).mean();
  };
  if (readEvery > 1) {
    // A loop that logs every `readEvery` steps: nothing awaited until the last step's update is queued.
    return {
      async step() {
        let loss = forward();
        for (let t = 0; ; t++) {
          optimizer.zeroGrad();
          loss.backward();
          void optimizer.step();
          if (t === readEvery - 1) return loss.item();
          loss = forward();
        }
      },
      settle: synchronize,
      close() {},
    };
  }
  return {
    async step() {
      const loss = forward();
      const value = await loss.item();
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return value;
    },
    settle: synchronize,
    close() {},
  };
}

/**
 * `ops` tiny ops (100 × mul then add) on 1-element tensors that require gradients: what a call
 * costs the host from the method to a recorded launch. With `backward`, the chain's backward too.
 */
function opOverhead(ops: number, backward: boolean): Runner {
  const x = tensor([1.5]);
  const a = tensor([0.999]).requiresGrad_();
  const b = tensor([0.001]).requiresGrad_();
  return {
    async step() {
      let y = x;
      for (let i = 0; i < ops; i += 2) y = y.mul(a).add(b);
      if (backward) {
        y.sum().backward();
        a.grad = null;
        b.grad = null;
      }
      await synchronize();
    },
    settle: synchronize,
    close() {},
  };
}

export function skeinRunner(spec: Spec): Runner {
  switch (spec.kind) {
    case 'matmul':
      return matmul(spec.shape);
    case 'elementwise':
      return elementwise(spec.op, spec.n);
    case 'w1':
      return w1(spec.sizes);
    case 'w2':
      return w2(spec.sizes, spec.readEvery ?? 1);
    case 'op-overhead':
      return opOverhead(spec.ops, spec.backward);
    case 'cold':
      throw new Error('bench: the cold workload runs in a child process (bench/cold.ts), not as a runner');
  }
}
