// The workloads in TensorFlow.js, on its pure-JS CPU backend and its WASM (XNNPACK) backend.
// Both backends run each kernel synchronously inside the op call, so when an op returns its
// result is computed: a sample ends there, with no copy out (Skein's samples do not copy either).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build ships no gradient functions: the union package registers them on the
// same tfjs-core instance (its CPU backend too).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { normalArray } from './data.js';
import type { MatmulShape, Runner, Spec, W1Sizes, W2Sizes } from './workloads.js';

export type TfjsBackend = 'cpu' | 'wasm';

let pathsSet = false;

/** Switches TensorFlow.js to a backend; the .wasm files load from node_modules, never the network. */
export async function useTfjsBackend(backend: TfjsBackend): Promise<void> {
  if (!pathsSet) {
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(join(dirname(pkg), 'dist') + '/');
    // Production mode: no per-op NaN checks and no console banner suggesting tfjs-node.
    tf.enableProdMode();
    pathsSet = true;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`bench: the TensorFlow.js ${backend} backend failed to initialise`);
  await tf.ready();
}

export function tfjsVersion(): string {
  return tf.version_core;
}

function matrix(values: Float32Array, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(values, [rows, cols], 'float32');
}

function matmul({ m, k, n, transA, transB }: MatmulShape): Runner {
  const a = transA ? matrix(normalArray(m * k, 11), k, m) : matrix(normalArray(m * k, 11), m, k);
  const b = transB ? matrix(normalArray(k * n, 12), n, k) : matrix(normalArray(k * n, 12), k, n);
  let out: tf.Tensor | null = null;
  return {
    async step() {
      out?.dispose();
      out = tf.matMul(a, b, transA, transB);
    },
    output: async () => (await out!.data()) as Float32Array,
    close() {
      tf.dispose([a, b]);
      out?.dispose();
    },
  };
}

function elementwise(op: 'add' | 'relu', n: number): Runner {
  const a = tf.tensor1d(normalArray(n, 21), 'float32');
  const b = tf.tensor1d(normalArray(n, 22), 'float32');
  let out: tf.Tensor | null = null;
  return {
    async step() {
      out?.dispose();
      out = op === 'add' ? tf.add(a, b) : tf.relu(a);
    },
    output: async () => (await out!.data()) as Float32Array,
    close() {
      tf.dispose([a, b]);
      out?.dispose();
    },
  };
}

/** A trainable variable holding the tensor's values; the tensor itself is disposed. */
function variable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

/** One SGD step: gradients of `loss` for every variable, then w ← w − lr·g. Returns the loss. */
async function sgdStep(loss: () => tf.Scalar, variables: tf.Variable[], lr: number): Promise<number> {
  const { value, grads } = tf.variableGrads(loss, variables);
  const result = (await value.data())[0];
  tf.tidy(() => {
    for (const v of variables) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
  });
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

function w1({ N, Din, H, Dout, lr }: W1Sizes): Runner {
  const x = matrix(normalArray(N * Din, 31), N, Din);
  const y = matrix(normalArray(N * Dout, 32), N, Dout);
  const w1 = variable(matrix(normalArray(Din * H, 33), Din, H));
  const w2 = variable(matrix(normalArray(H * Dout, 34), H, Dout));
  const loss = () => tf.sum(tf.square(tf.sub(tf.matMul(tf.relu(tf.matMul(x, w1)), w2), y))) as tf.Scalar;
  return {
    step: () => sgdStep(loss, [w1, w2], lr),
    close: () => tf.dispose([x, y, w1, w2]),
  };
}

function w2({ N, Din, H1, H2, Dout, lr }: W2Sizes): Runner {
  const x = matrix(normalArray(N * Din, 41), N, Din);
  const target = matrix(normalArray(N * Dout, 42), N, Dout);
  const layers = [
    [Din, H1],
    [H1, H2],
    [H2, Dout],
  ].map(([fanIn, fanOut], i) => ({
    w: variable(matrix(normalArray(fanIn * fanOut, 43 + i, Math.sqrt(2 / fanIn)), fanIn, fanOut)),
    b: variable(tf.zeros([fanOut], 'float32')),
  }));
  const variables = layers.flatMap(({ w, b }) => [w, b]);
  const loss = () => {
    let h: tf.Tensor = x;
    layers.forEach(({ w, b }, i) => {
      h = tf.add(tf.matMul(h as tf.Tensor2D, w), b);
      if (i < layers.length - 1) h = tf.relu(h);
    });
    return tf.mean(tf.square(tf.sub(h, target))) as tf.Scalar;
  };
  return {
    step: () => sgdStep(loss, variables, lr),
    close: () => tf.dispose([x, target, ...variables]),
  };
}

/** Call after useTfjsBackend: tensors live on the backend that was current when they were made. */
export function tfjsRunner(spec: Spec): Runner {
  switch (spec.kind) {
    case 'matmul':
      return matmul(spec.shape);
    case 'elementwise':
      return elementwise(spec.op, spec.n);
    case 'w1':
      return w1(spec.sizes);
    case 'w2':
      if ((spec.readEvery ?? 1) !== 1) throw new Error('bench: TensorFlow.js runs w2 reading every step only');
      return w2(spec.sizes);
    default:
      throw new Error(`bench: no TensorFlow.js runner for ${spec.kind}`);
  }
}

/** Live tensors, to check that runners dispose what they make. */
export function tfjsLiveTensors(): number {
  return tf.memory().numTensors;
}
