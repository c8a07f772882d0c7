// The bench's workloads: what each computes, how much work one call does, and the interface every
// implementation (Skein eager, Skein graph, TensorFlow.js) provides for it.

export type Impl = 'skein' | 'skein-graph' | 'torch' | 'tfjs-cpu' | 'tfjs-wasm';
/** Rates (work per second), except µs/op: a cost per unit of work, where lower is better. */
export type Unit = 'GFLOP/s' | 'GB/s' | 'steps/s' | 'samples/s' | 'µs/op' | string;

/** Units that are time per unit of work rather than work per unit of time. */
export function isCostUnit(unit: string): boolean {
  return unit.startsWith('µs/') || unit.startsWith('ms/');
}

/** C[m×n] = op(A)·op(B); a transposed operand is stored k×m (or n×k) and used as a view. */
export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

/** The tutorial's two-layer net: relu(x·w1)·w2, summed squared error, plain SGD. */
export interface W1Sizes {
  N: number;
  Din: number;
  H: number;
  Dout: number;
  lr: number;
}

/** A ReLU MLP Din→H1→H2→Dout with biases, mean squared error, plain SGD. */
export interface W2Sizes {
  N: number;
  Din: number;
  H1: number;
  H2: number;
  Dout: number;
  lr: number;
}

export interface MatmulSpec {
  kind: 'matmul';
  shape: MatmulShape;
}

export type Spec =
  | MatmulSpec
  | { kind: 'elementwise'; op: 'add' | 'relu'; n: number }
  | { kind: 'w1'; sizes: W1Sizes }
  | { kind: 'w2'; sizes: W2Sizes; readEvery?: number }
  /** The tutorial's first steps from a fresh process, as `npm run example -- two-layer-autograd` runs them. */
  | { kind: 'cold'; steps: number }
  /** A chain of tiny ops on 1-element tensors that require gradients, with or without backward. */
  | { kind: 'op-overhead'; ops: number; backward: boolean };

/** One implementation of one workload, built once and called many times. */
export interface Runner {
  /**
   * One call, finished when the promise resolves: Skein awaits the stream, so the time covers the
   * computation and not only its queueing. Training workloads resolve to the step's loss.
   */
  step(): Promise<number | void>;
  /** Resolves once everything the calls queued has run (Skein: synchronize()). */
  settle?(): Promise<void>;
  /** The last call's output values (matmul and elementwise), for the smoke test. */
  output?(): Promise<Float32Array>;
  close(): void;
}

export interface Workload {
  name: string;
  unit: Unit;
  spec: Spec;
  /** Work one call does, in the unit's numerator: GFLOP, GB, steps or samples. */
  work: number;
  /** Untimed calls before timing (each worker compiles its own kernels on its first call). */
  warmupCalls: number;
  /** Implementations that run this workload; the rest are absent from its row. */
  impls: readonly Impl[];
  /** Implementations left out, and why (printed under the table). */
  leftOut?: Partial<Record<Impl, string>>;
  /** The PyTorch twin: bench/torch/<script> with these arguments after `--seconds S`. */
  torch?: { script: string; args: string[] };
}

const EAGER: readonly Impl[] = ['skein', 'torch', 'tfjs-cpu', 'tfjs-wasm'];
const TRAINING: readonly Impl[] = ['skein', 'skein-graph', 'torch', 'tfjs-cpu', 'tfjs-wasm'];

export function matmulSpec(m: number, k: number, n: number, transA = false, transB = false): MatmulSpec {
  return { kind: 'matmul', shape: { m, k, n, transA, transB } };
}

/** A matmul does m·n·k multiply–adds: 2mnk floating-point operations. */
export function matmulFlops({ m, k, n }: MatmulShape): number {
  return 2 * m * n * k;
}

/** Bytes an elementwise op moves: each input read once, the output written once (float32). */
export function elementwiseBytes(op: 'add' | 'relu', n: number): number {
  return (op === 'add' ? 3 : 2) * 4 * n;
}

function matmulWorkload(name: string, spec: MatmulSpec, leftOut?: Workload['leftOut']): Workload {
  const impls = EAGER.filter((impl) => leftOut?.[impl] === undefined);
  const { m, k, n, transA, transB } = spec.shape;
  const args = ['--name', name, '--m', `${m}`, '--k', `${k}`, '--n', `${n}`, ...(transA ? ['--trans-a'] : []), ...(transB ? ['--trans-b'] : [])];
  return { name, unit: 'GFLOP/s', spec, work: matmulFlops(spec.shape) / 1e9, warmupCalls: 2, impls, leftOut, torch: { script: 'matmul.py', args } };
}

function square(n: number): Workload {
  const spec = matmulSpec(n, n, n);
  // The pure-JS backend runs ≈ 0.7 GFLOP/s: one 2048 call would take ≈ 25 s.
  const leftOut = n >= 2048 ? { 'tfjs-cpu': 'tfjs-cpu left out of matmul-2048: one call takes ≈ 25 s at its ≈ 0.7 GFLOP/s' } : undefined;
  return matmulWorkload(`matmul-${n}`, spec, leftOut);
}

const FOUR_M = 4 * 1024 * 1024;
/** The tutorial's step count. */
export const COLD_STEPS = 500;
/** Tiny ops per op-overhead call: 100 × (mul, add). */
export const OVERHEAD_OPS = 200;

function elementwiseWorkload(op: 'add' | 'relu', n: number): Workload {
  const torch = { script: 'elementwise.py', args: ['--op', op, '--n', `${n}`] };
  return { name: `${op}-4m`, unit: 'GB/s', spec: { kind: 'elementwise', op, n }, work: elementwiseBytes(op, n) / 1e9, warmupCalls: 3, impls: EAGER, torch };
}

/** µs per tiny op: host cost from a method call to a recorded (and run) launch, with autograd. */
function opOverhead(backward: boolean): Workload {
  const torch = { script: 'op_overhead.py', args: ['--ops', `${OVERHEAD_OPS}`, ...(backward ? ['--backward'] : [])] };
  return { name: backward ? 'op-overhead-fwd-bwd' : 'op-overhead-fwd', unit: 'µs/op', spec: { kind: 'op-overhead', ops: OVERHEAD_OPS, backward }, work: OVERHEAD_OPS, warmupCalls: 50, impls: ['skein', 'torch'], torch };
}

export const W1_SIZES: W1Sizes = { N: 64, Din: 1000, H: 100, Dout: 10, lr: 1e-6 };
export const W2_SIZES: W2Sizes = { N: 256, Din: 784, H1: 1024, H2: 1024, Dout: 10, lr: 0.01 };

export const WORKLOADS: readonly Workload[] = [
  square(128),
  square(256),
  square(512),
  square(1024),
  square(2048),
  // The tutorial's first layer, forward: x (64×1000) · w1 (1000×100).
  matmulWorkload('matmul-tutorial', matmulSpec(64, 1000, 100)),
  // Its backward for w1: xᵀ·dh = (1000×64)·(64×100), xᵀ a transposed view of x.
  matmulWorkload('matmul-tutorial-dw1', matmulSpec(1000, 64, 100, true, false)),
  // Its backward for x: dh·w1ᵀ = (64×100)·(100×1000), w1ᵀ a transposed view of w1.
  matmulWorkload('matmul-tutorial-dx', matmulSpec(64, 100, 1000, false, true)),
  elementwiseWorkload('add', FOUR_M),
  elementwiseWorkload('relu', FOUR_M),
  { name: 'w1', unit: 'steps/s', spec: { kind: 'w1', sizes: W1_SIZES }, work: 1, warmupCalls: 5, impls: TRAINING, torch: { script: 'w1.py', args: [] } },
  { name: 'w2', unit: 'samples/s', spec: { kind: 'w2', sizes: W2_SIZES }, work: W2_SIZES.N, warmupCalls: 5, impls: TRAINING, torch: { script: 'w2.py', args: [] } },
  // One call is ten W2 steps and one read of the last loss: the loop users write when they log.
  { name: 'w2-sync10', unit: 'samples/s', spec: { kind: 'w2', sizes: W2_SIZES, readEvery: 10 }, work: 10 * W2_SIZES.N, warmupCalls: 1, impls: ['skein', 'torch'], torch: { script: 'w2.py', args: ['--read-every', '10'] } },
  // One call is a fresh process running the tutorial's 500 steps; the figure is 500 ÷ their time.
  { name: 'cold', unit: 'steps/s', spec: { kind: 'cold', steps: COLD_STEPS }, work: COLD_STEPS, warmupCalls: 0, impls: ['skein', 'torch'], torch: { script: 'cold.py', args: [] } },
  opOverhead(false),
  opOverhead(true),
];
