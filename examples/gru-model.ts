// The character-level GRU of char-rnn-graph and of the `rnn` bench, written once with tensor
// methods, so the same functions build eager tensors and graph nodes. No import of Skein itself:
// the example (through 'skein') and the bench (through its sources) pass their own tensors in.
export const HIDDEN = 64;
export const EMBED = 16;
export const SEQ = 32;
export const BATCH = 16;
export const LR = 0.01;
export const CLIP = 5;

/** The pieces of the model, written with tensor methods, for eager tensors and graph nodes alike. */
interface Ops<T> {
  add(o: T | number): T;
  sub(o: T | number): T;
  mul(o: T | number): T;
  neg(): T;
  tanh(): T;
  sigmoid(): T;
  matmul(o: T): T;
  narrow(dim: number, start: number, length: number): T;
  reshape(shape: readonly (number | null)[]): T;
  indexSelect(dim: number, index: T): T;
  logSoftmax(dim: number): T;
  gather(dim: number, index: T): T;
  mean(): T;
}

/**
 * GRU (PyTorch's form), with the input projection xW + b computed for all steps before the loop:
 *   z = σ(x_z + h·U_z)   r = σ(x_r + h·U_r)   n = tanh(x_n + r·(h·U_n + b_n))   h' = (1 − z)·n + z·h
 */
export function gruStep<T extends Ops<T>>(h: T, xw: T, u: T, bn: T): T {
  const hu = h.matmul(u);
  const part = (x: T, k: number) => x.narrow(1, k * HIDDEN, HIDDEN);
  const z = part(xw, 0).add(part(hu, 0)).sigmoid();
  const r = part(xw, 1).add(part(hu, 1)).sigmoid();
  const n = part(xw, 2).add(r.mul(part(hu, 2).add(bn))).tanh();
  return z.neg().add(1).mul(n).add(z.mul(h));
}

/** Inputs [SEQ, BATCH] → every step's projected input [SEQ, BATCH, 3H]. */
export function projectInputs<T extends Ops<T>>(inputs: T, [emb, w, b]: T[]): T {
  return emb.indexSelect(0, inputs.reshape([-1])).matmul(w).add(b).reshape([SEQ, BATCH, 3 * HIDDEN]);
}

/** Mean cross-entropy of the readout of every step's state [SEQ, BATCH, H] against the next characters. */
export function sequenceLoss<T extends Ops<T>>(states: T, targets: T, wo: T, bo: T): T {
  const logits = states.reshape([SEQ * BATCH, HIDDEN]).matmul(wo).add(bo);
  return logits.logSoftmax(1).gather(1, targets).neg().mean();
}

/** Embedding, GRU input and recurrent weights, biases, readout, drawn with the caller's randn. */
export function initialWeights<T extends Ops<T>>(vocab: number, randn: (shape: number[]) => T): T[] {
  const s = 1 / Math.sqrt(HIDDEN);
  return [randn([vocab, EMBED]).mul(0.5), randn([EMBED, 3 * HIDDEN]).mul(s), randn([HIDDEN, 3 * HIDDEN]).mul(s), randn([3 * HIDDEN]).mul(0.1), randn([HIDDEN]).mul(0.1), randn([HIDDEN, vocab]).mul(s), randn([vocab]).mul(0.1)];
}
