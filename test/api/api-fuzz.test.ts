// Property-based fuzz of the whole public API, not only the ops: random wrong-typed arguments
// (null, undefined, strings, BigInts, nested objects, arrays of junk, huge, negative, NaN and
// fractional numbers, sometimes a valid tensor) thrown at creation, tensor methods, nn, optim,
// io, data, graph and runtime functions. Each call must return (and a returned tensor must read
// back, or reject with a SkeinError) or throw a SkeinError: never a TypeError, RangeError or
// another JavaScript error. SKEIN_FUZZ_RUNS and SKEIN_FUZZ_SEED as in ops-fuzz.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as skein from '../../src/index.js';
import { getInlineLimit, getLaneLimit, getNumThreads, graph, nn, optim, SkeinError, Tensor, tensor } from '../../src/index.js';

const RUNS = Number(process.env.SKEIN_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.SKEIN_FUZZ_SEED ?? 20261203);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skein-api-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Small valid tensors, so a call sometimes gets past its first check. */
const someTensor = fc.constantFrom(
  () => tensor([1, 2, 3]),
  () => tensor([[1, 2], [3, 4]]),
  () => tensor(2.5),
  () => tensor([0, 1], { dtype: 'int32' }),
  () => tensor([true, false]),
  () => tensor([1, 2], { dtype: 'float64', requiresGrad: true }),
);

const junkLeaf = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('float32', 'int32', 'bool', 'mean', '0', '-1', ''),
  fc.bigInt({ min: -10n, max: 10n }),
  fc.boolean(),
  fc.integer({ min: -4, max: 6 }),
  fc.constantFrom(1e12, -1e12, 2 ** 31, 1e300, Number.MAX_SAFE_INTEGER, 0.5, -0.5, 1.5, NaN, Infinity, -Infinity, -0),
  fc.double({ noNaN: false }),
  fc.constant(() => 1),
  someTensor.map((make) => make()),
);

/** A wrong-typed (or occasionally right) argument, nested up to two levels. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: junkLeaf },
  { weight: 1, arbitrary: fc.array(junkLeaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.array(junkLeaf, { maxLength: 3 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('dtype', 'lr', 'requiresGrad', 'bias', 'reduction', 'shape', 'x', '__proto__'), junkLeaf, { maxKeys: 3 }) },
);

type Target = (args: unknown[]) => unknown;

const model = () => new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU());
const anyFn = (f: unknown) => f as (...a: unknown[]) => unknown;
/** A path argument: junk, but any string lands in the test's own directory. */
const pathOf = (x: unknown) => (typeof x === 'string' ? join(dir, x.replace(/[^a-z0-9]/gi, '_') || 'f') : x);

const METHODS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'lt', 'eq', 'neg', 'exp', 'log', 'abs', 'clamp', 'where', 'maskedFill', 'sum', 'max', 'argmax',
  'mean', 'logsumexp', 'softmax', 'logSoftmax', 'matmul', 'mm', 'bmm', 'reshape', 'view', 'flatten', 'transpose', 't', 'permute', 'expand',
  'expandAs', 'sumTo', 'unsqueeze', 'squeeze', 'narrow', 'pad', 'contiguous', 'clone', 'to', 'fullLike', 'indexSelect', 'indexAdd', 'gather',
  'scatterAdd', 'size', 'add_', 'mul_', 'clamp_', 'fill_', 'copy_', 'maskedFill_', 'backward', 'registerHook', 'requiresGrad_', 'item', 'toArray',
] as const;

const TARGETS: Record<string, Target> = {
  tensor: ([a, b]) => skein.tensor(a as never, b as never),
  zeros: ([a, b]) => skein.zeros(a as never, b as never),
  ones: ([a, b]) => skein.ones(a as never, b as never),
  full: ([a, b, c]) => skein.full(a as never, b as never, c as never),
  zerosLike: ([a, b]) => skein.zerosLike(a as never, b as never),
  onesLike: ([a, b]) => skein.onesLike(a as never, b as never),
  arange: ([a, b, c, d]) => skein.arange(a as never, b as never, c as never, d as never),
  linspace: ([a, b, c, d]) => skein.linspace(a as never, b as never, c as never, d as never),
  eye: ([a, b, c]) => skein.eye(a as never, b as never, c as never),
  rand: ([a, b]) => skein.rand(a as never, b as never),
  randn: ([a, b]) => skein.randn(a as never, b as never),
  randLike: ([a]) => skein.randLike(a as never),
  manualSeed: ([a]) => skein.manualSeed(a as never),
  cat: ([a, b]) => skein.cat(a as never, b as never),
  stack: ([a, b]) => skein.stack(a as never, b as never),
  where: ([a, b, c]) => skein.where(a as never, b as never, c as never),
  ...Object.fromEntries(METHODS.map((m) => [`Tensor.${m}`, ([a, b, c]: unknown[]) => anyFn((tensor([[1, -2], [3, 4]]) as unknown as Record<string, unknown>)[m]).call(tensor([[1, -2], [3, 4]]), a, b, c)])),
  'Tensor.backward of a graph': ([a, b]) => tensor([1, 2], { requiresGrad: true }).mul(2).backward(a as never, b as never),
  'nn.Linear': ([a, b, c]) => new nn.Linear(a as never, b as never, c as never),
  'nn.Embedding': ([a, b, c]) => new nn.Embedding(a as never, b as never, c as never),
  'nn.LayerNorm': ([a, b]) => new nn.LayerNorm(a as never, b as never),
  'nn.Dropout': ([a]) => new nn.Dropout(a as never),
  'nn.Sequential': ([a, b]) => new nn.Sequential(a as never, b as never),
  'Module.forward': ([a, b]) => model().forward(a as never, b as never),
  'Module.loadStateDict': ([a, b]) => model().loadStateDict(a as never, b as never),
  'Module.registerForwardHook': ([a]) => model().registerForwardHook(a as never),
  'nn.mseLoss': ([a, b, c]) => nn.mseLoss(a as never, b as never, c as never),
  'nn.crossEntropy': ([a, b, c]) => nn.crossEntropy(a as never, b as never, c as never),
  'nn.nllLoss': ([a, b, c]) => nn.nllLoss(a as never, b as never, c as never),
  'nn.binaryCrossEntropyWithLogits': ([a, b]) => nn.binaryCrossEntropyWithLogits(a as never, b as never),
  'nn.functional.linear': ([a, b, c]) => nn.functional.linear(a as never, b as never, c as never),
  'nn.functional.layerNorm': ([a, b]) => nn.functional.layerNorm(a as never, b as never),
  'nn.functional.gelu': ([a]) => nn.functional.gelu(a as never),
  'nn.functional.dropout': ([a, b]) => nn.functional.dropout(a as never, b as never),
  'optim.SGD': ([a, b]) => new optim.SGD(a as never, b as never),
  'optim.SGD on real params': ([a]) => new optim.SGD(model().parameters(), a as never),
  'optim.Adam on real params': ([a]) => new optim.Adam(model().parameters(), a as never),
  'optim.AdamW': ([a, b]) => new optim.AdamW(a as never, b as never),
  'optim.RMSprop on real params': ([a]) => new optim.RMSprop(model().parameters(), a as never),
  'Optimizer.step with a junk grad': ([a]) => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    (m.parameters()[0] as { grad: unknown }).grad = a;
    opt.step();
  },
  'Optimizer.loadStateDict': ([a]) => new optim.SGD(model().parameters(), { lr: 0.1 }).loadStateDict(a as never),
  'optim.clipGradNorm': ([a, b, c]) => optim.clipGradNorm(a as never, b as never, c as never),
  'optim.StepLR': ([a, b]) => new optim.StepLR(new optim.SGD(model().parameters(), { lr: 0.1 }), a as never, b as never),
  'optim.CosineAnnealingLR': ([a, b]) => new optim.CosineAnnealingLR(new optim.SGD(model().parameters(), { lr: 0.1 }), a as never, b as never),
  'optim.LinearLR': ([a, b, c]) => new optim.LinearLR(new optim.SGD(model().parameters(), { lr: 0.1 }), a as never, b as never, c as never),
  'optim.SequentialLR': ([a, b]) => new optim.SequentialLR(new optim.SGD(model().parameters(), { lr: 0.1 }), a as never, b as never),
  'optim.ChainedScheduler': ([a]) => new optim.ChainedScheduler(a as never),
  'LRScheduler.loadStateDict': ([a]) => new optim.StepLR(new optim.SGD(model().parameters(), { lr: 0.1 }), 2).loadStateDict(a as never),
  save: ([a, b, c]) => skein.save(a as never, pathOf(b) as never, c as never),
  load: ([a]) => skein.load(pathOf(a) as never),
  withPrefix: ([a, b]) => skein.withPrefix(a as never, b as never),
  DataLoader: ([a, b]) => new skein.DataLoader(a as never, b as never),
  randperm: ([a, b]) => skein.randperm(a as never, b as never),
  'graph.placeholder': ([a, b]) => new graph.Graph().placeholder(a as never, b as never),
  'graph.constant': ([a, b]) => new graph.Graph().constant(a as never, b as never),
  'graph.variable': ([a, b]) => new graph.Graph().variable(a as never, b as never),
  'graph.zeros': ([a, b]) => new graph.Graph().zeros(a as never, b as never),
  'graph.Session.run': async ([a, b]) => {
    const g = new graph.Graph();
    const x = g.placeholder('float32', [2]);
    return new graph.Session(g).run(a === undefined ? [x.mul(2)] : (a as never), b as never);
  },
  'autograd.grad': ([a, b, c]) => skein.autograd.grad(a as never, b as never, c as never),
  gradcheck: ([a, b, c]) => skein.gradcheck(a as never, b as never, c as never),
  noGrad: ([a]) => skein.noGrad(a as never),
  setNumThreads: ([a]) => skein.setNumThreads(a as never),
  setInlineLimit: ([a]) => skein.setInlineLimit(a as never),
  setPrintOptions: ([a]) => skein.setPrintOptions(a as never),
};

/** A call's outcome: fine if it returned, or threw/rejected with a SkeinError. */
async function outcome(target: Target, args: unknown[]): Promise<void> {
  let result: unknown;
  try {
    result = target(args);
    if (result instanceof Promise) result = await result;
    if (result instanceof Tensor) await result.data();
  } catch (err) {
    if (err instanceof SkeinError) return;
    throw new Error(`not a SkeinError: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
  }
}

describe('the public API under random wrong-typed arguments', () => {
  const threads = getNumThreads();
  const inline = getInlineLimit();
  const lane = getLaneLimit();
  afterAll(() => {
    skein.setNumThreads(threads);
    skein.setInlineLimit(inline);
    skein.setLaneLimit(lane);
    skein.setPrintOptions({ threshold: 1000, edgeitems: 3, precision: null });
  });

  it.each(Object.keys(TARGETS))('%s gives a result or a SkeinError', async (name) => {
    const target = TARGETS[name];
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { minLength: 0, maxLength: 4 }), async (args) => {
        try {
          await outcome(target, args);
        } finally {
          // A fuzzed call may have changed a global setting; put it back for the next.
          skein.setNumThreads(threads);
          skein.setInlineLimit(inline);
          skein.setPrintOptions({ threshold: 1000, edgeitems: 3, precision: null });
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('covers every function the package exports', () => {
    const skip = new Set(['Tensor', 'OPS', 'DTYPES', 'FunctionCtx', 'GradcheckError', 'nn', 'optim', 'graph', 'autograd', 'SkeinError', 'ShapeError', 'DTypeError', 'IndexError', 'ValueError', 'AutogradError', 'DeviceError', 'CheckpointError']);
    const exported = Object.keys(skein).filter((k) => !skip.has(k));
    expect(exported.length).toBeGreaterThan(20);
  });
});
