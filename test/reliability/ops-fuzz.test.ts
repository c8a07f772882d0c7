// Property-based fuzz of every op of the table through the tensor methods: random shapes, dtypes,
// layouts (transposed, narrowed, expanded views), values (NaN, ±Infinity, int32 extremes) and
// arguments (bad dims, sizes, indices, non-tensors). Each call must give the plain reference's
// answer or throw a SkeinError naming the op — never another error, a hang or a wrong value.
// Seeded and bounded for CI; `SKEIN_FUZZ_RUNS=20000 npx vitest run test/reliability/ops-fuzz.test.ts`
// (or `npm run test:fuzz`) runs long, and SKEIN_FUZZ_SEED picks another seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexError, OPS, ShapeError, SkeinError, type OpName, type Tensor } from '../../src/index.js';
import { coords, type Nd } from '../support/reference.js';
import { plainOf, makeTensor } from './fuzz/inputs.js';
import { BadIndex, Invalid, SPECS, type Call, type Expected, type OpSpec } from './fuzz/specs.js';

const RUNS = Number(process.env.SKEIN_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.SKEIN_FUZZ_SEED ?? 20261126);
/** One rounding of a float64 result into float32 (values stored as float32 differ by ≤ ½ ulp). */
const F32_ROUNDED = 2 ** -23;
/** Sums in float32: each of up to a few dozen additions may round; the error scales with Σ|terms|. */
const F32_SUM = 1e-5;
const F64_ROUNDED = 1e-15;
const F64_SUM = 1e-13;

type Outcome = { kind: 'value'; out: Tensor; values: ArrayLike<number> } | { kind: 'thrown'; err: unknown } | { kind: 'readFailed'; err: unknown };

async function attempt(spec: OpSpec, call: Call): Promise<Outcome> {
  let out: Tensor;
  try {
    out = spec.run(call.inputs.map(makeTensor), call.args);
  } catch (err) {
    return { kind: 'thrown', err };
  }
  try {
    return { kind: 'value', out, values: await out.data() };
  } catch (err) {
    return { kind: 'readFailed', err };
  }
}

function describeCall(call: Call): string {
  const inputs = call.inputs.map((s) => `${s.dtype}${JSON.stringify(s.shape)} ${s.layout} ${JSON.stringify(s.values)}`);
  return `inputs ${inputs.join(' | ')}; args ${JSON.stringify(call.args, (_, v) => (v === undefined ? 'undefined' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`;
}

function expectCleanError(err: unknown, spec: OpSpec, kind: typeof SkeinError = SkeinError): void {
  if (!(err instanceof kind)) throw new Error(`expected a ${kind.name}, got ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
  if (!spec.names.some((n) => err.message.includes(n))) throw new Error(`the error does not name the op (${spec.names.join('/')}): ${err.message}`);
}

function close(actual: number, expected: number, tolerance: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tolerance;
}

function expectValues(values: ArrayLike<number>, want: Expected): void {
  const f32 = want.dtype === 'float32';
  for (let i = 0; i < want.nd.data.length; i++) {
    const e = want.nd.data[i];
    let tol = 0;
    if (want.compare === 'rounded') tol = Math.abs(e) * (f32 ? F32_ROUNDED : want.dtype === 'float64' ? F64_ROUNDED : 0);
    if (want.compare === 'sum') tol = isFloatDtype(want.dtype) ? (want.scale as Nd).data[i] * (f32 ? F32_SUM : F64_SUM) : 0;
    // A sum of finite terms may overflow float32 in one order and not in another: compare to the scale.
    if (want.compare === 'sum' && f32 && !Number.isFinite(e) && Number.isFinite((want.scale as Nd).data[i])) continue;
    if (!close(values[i], e, tol)) {
      throw new Error(`element ${i} (at [${coords(want.nd.shape, i).join(', ')}]): got ${values[i]}, expected ${e} (tolerance ${tol})`);
    }
  }
}

const isFloatDtype = (d: string) => d === 'float32' || d === 'float64';

async function check(spec: OpSpec, call: Call): Promise<void> {
  let want: Expected | Invalid | BadIndex;
  try {
    want = spec.ref(call.inputs.map(plainOf), call.inputs.map((s) => s.dtype), call.args);
  } catch (err) {
    if (!(err instanceof Invalid || err instanceof BadIndex)) throw err;
    want = err;
  }
  const got = await attempt(spec, call);
  if (want instanceof Invalid) {
    if (got.kind === 'value') throw new Error(`expected a SkeinError (${want.message}), got a result of shape [${got.out.shape.join(', ')}]`);
    expectCleanError(got.err, spec);
    return;
  }
  if (got.kind === 'thrown' && want.mayRefuse && got.err instanceof ShapeError) return;
  if (got.kind === 'thrown') throw new Error(`expected a result, the call threw: ${got.err instanceof Error ? `${got.err.name}: ${got.err.message}\n${got.err.stack}` : String(got.err)}`);
  if (want instanceof BadIndex) {
    if (got.kind !== 'readFailed') throw new Error(`expected the read to reject with a ${want.error.name} (${want.message}), it resolved`);
    expectCleanError(got.err, spec, want.error);
    return;
  }
  if (got.kind === 'readFailed') throw new Error(`expected a result, the read rejected: ${String(got.err)}`);
  expect(got.out.shape, 'shape').toEqual(want.nd.shape);
  expect(got.out.dtype, 'dtype').toBe(want.dtype);
  expectValues(got.values, want);
}

describe('every op of the table, fuzzed through the tensor methods', () => {
  it('has a fuzz spec for each op', () => {
    expect(Object.keys(SPECS).sort()).toEqual(Object.keys(OPS).sort());
  });

  it.each(Object.keys(OPS) as OpName[])('%s gives the reference result or a SkeinError naming it, for random shapes, dtypes, layouts and values', async (name) => {
    const spec = SPECS[name];
    await fc.assert(
      fc.asyncProperty(spec.call, async (call) => {
        try {
          await check(spec, call);
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}\n  ${describeCall(call)}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
  }, 120_000);
});
