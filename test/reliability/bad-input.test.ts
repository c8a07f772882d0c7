// Hand-picked bad input across the public API, one row each: the SkeinError subclass, a message
// naming the op and what it got, and — for errors found at call time — no kernel launched before
// the throw. Out-of-range index values live on the device, so those reject at the read instead.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  DTypeError,
  full,
  IndexError,
  ones,
  randn,
  runtimeStats,
  setInlineLimit,
  setLaneLimit,
  setNumThreads,
  ShapeError,
  synchronize,
  tensor,
  ValueError,
  zeros,
  type SkeinError,
} from '../../src/index.js';

type ErrorClass = new (...args: any[]) => SkeinError;

const x = () => tensor([[1, 2, 3], [4, 5, 6]]);
const idx = (values: number[]) => tensor(values, { dtype: 'int32' });

const AT_CALL: [string, () => unknown, ErrorClass, RegExp][] = [
  ['a negative size', () => zeros([2, -1]), ShapeError, /^zeros: got size \[2, -1\]/],
  ['a fractional size', () => ones([1.5]), ShapeError, /^ones: got size \[1\.5\]/],
  ['a NaN size', () => randn([2, NaN]), ShapeError, /^randn: /],
  ['ragged nested arrays', () => tensor([[1, 2], [3]]), ShapeError, /^tensor: got ragged/],
  ['a string among the values', () => tensor([1, 'a' as unknown as number]), ValueError, /^tensor: got an element "a"/],
  ['NaN as a clamp bound', () => x().clamp({ min: NaN }), ValueError, /^clamp: got min NaN/],
  ['NaN as an in-place clamp bound', () => x().clamp_({ max: NaN }), ValueError, /^clamp_: got min -Infinity and max NaN/],
  ['Infinity filled into int32', () => full([2], Infinity, { dtype: 'int32' }), ValueError, /^full: got fill value Infinity for an int32 tensor/],
  ['NaN filled in place into int32', () => idx([1, 2]).fill_(NaN), ValueError, /^fill_: got fill value NaN/],
  ['a string where a tensor is needed', () => x().add('x' as never), ValueError, /^add: got string, expected a tensor/],
  ['null where a tensor is needed', () => x().mul(null as never), ValueError, /^mul: got null/],
  ['a number in a list of tensors', () => import('../../src/index.js').then(({ cat }) => cat([x(), 3 as never])), ValueError, /^cat: got a number at position 1/],
  ['mismatched shapes', () => x().add(ones([3, 2])), ShapeError, /^add: shapes \[2, 3\] and \[3, 2\] do not broadcast/],
  ['a matmul with unequal inner dims', () => x().matmul(ones([2, 2])), ShapeError, /^matmul: got shapes \[2, 3\] and \[2, 2\]/],
  ['an integer matmul', () => idx([1, 2]).reshape([1, 2]).matmul(idx([1, 2]).reshape([2, 1])), DTypeError, /^matmul: got dtypes int32 and int32/],
  ['a dim out of range', () => x().sum(2), IndexError, /^sum: got dim 2, expected an integer in \[-2, 1\]/],
  ['a fractional dim', () => x().softmax(0.5), IndexError, /got dim 0\.5/],
  ['dims that are not dims', () => x().sum('0' as never), IndexError, /^sum: got dims "0", expected a dim/],
  ['two -1 in a reshape', () => x().reshape([-1, -1]), ShapeError, /^reshape: got shape \[-1, -1\]/],
  ['a narrow past the end', () => x().narrow(1, 2, 5), ShapeError, /^narrow: got start 2 and length 5/],
  ['an expand to a negative size', () => ones([1]).expand([-3]), ShapeError, /^expand: cannot expand shape \[1\] to \[-3\]/],
  ['a float index', () => x().indexSelect(0, tensor([0])), DTypeError, /^indexSelect: got an index of dtype float32, expected int32/],
  ['a float condition', () => x().where(x(), 0), DTypeError, /^where: got a condition of dtype float32, expected bool/],
  ['an unknown dtype', () => x().to('float16' as never), DTypeError, /^to: got dtype "float16"/],
  ['backward from a non-scalar', () => x().requiresGrad_().mul(2).backward(), AutogradError, /^backward: got an output of shape \[2, 3\]/],
  ['zero threads', () => setNumThreads(0), ValueError, /^setNumThreads: got 0, expected an integer from 1 to \d+ \(4 × the \d+ cores/],
  ['a fractional thread count', () => setNumThreads(1.5), ValueError, /^setNumThreads: got 1\.5/],
  ['a negative inline limit', () => setInlineLimit(-1), ValueError, /^setInlineLimit: got -1, expected a non-negative number of nanoseconds/],
  ['a NaN lane limit', () => setLaneLimit(NaN), ValueError, /^setLaneLimit: got NaN, expected a non-negative number of nanoseconds/],
];

describe('bad input found at call time', () => {
  it.each(AT_CALL)('%s raises the right SkeinError, naming the op, before any kernel is launched', async (_, call, kind, message) => {
    const inputsReady = x();
    await synchronize();
    void inputsReady;
    const before = runtimeStats();
    let err: unknown = null;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(kind);
    expect((err as Error).message).toMatch(message);
    const after = runtimeStats();
    // The table's own inputs (x(), idx()) may launch; the failing op must not add a pool job.
    expect(after.poolLaunches).toBe(before.poolLaunches);
  });
});

const AT_READ: [string, () => { read(): Promise<unknown> }, RegExp][] = [
  ['indexSelect with an index past the end', () => x().indexSelect(1, idx([0, 7])).sum(), /^indexSelect: index 7 is out of range for a dim of size 3/],
  ['indexSelect with an index before the start', () => x().indexSelect(0, idx([-3])), /^indexSelect: index -3 is out of range for a dim of size 2/],
  ['gather with an index past the end', () => x().gather(1, idx([5, 0, 0, 0, 0, 0]).reshape([2, 3])), /^gather: index 5 is out of range for a dim of size 3/],
  ['indexAdd with an index past the end', () => x().indexAdd(0, idx([2]), ones([1, 3])), /^indexAdd: index 2 is out of range for a dim of size 2/],
  ['scatterAdd with an index past the end', () => x().scatterAdd(0, idx([0, 9, 0]).reshape([1, 3]), ones([1, 3])), /^scatterAdd: index 9 is out of range/],
].map(([name, make, message]) => [name as string, () => ({ read: () => (make as () => { data(): Promise<unknown> })().data() }), message as RegExp]);

describe('bad int32 indices, found when the kernel reads them', () => {
  it.each(AT_READ)('%s makes the read reject with an IndexError naming the op', async (_, make, message) => {
    const err = await make().read().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(IndexError);
    expect((err as Error).message).toMatch(message);
    // The failure was reported by the read; the stream is healthy afterwards.
    await expect(synchronize()).resolves.toBeUndefined();
    expect(await x().sum().item()).toBe(21);
  });
});

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

function runner(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'dist/examples/run.js'), ...args], { cwd: root, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err === null ? 0 : ((err as NodeJS.ErrnoException & { code?: number }).code as number | null), stderr });
    });
  });
}

describe('the example runner', { timeout: 60_000 }, () => {
  it.each([
    [['two-layer-autograd', '--threads', '0'], /--threads: got "0", expected an integer ≥ 1/],
    [['two-layer-autograd', '--threads', 'abc'], /--threads: got "abc", expected an integer ≥ 1/],
    [['no-such-example'], /unknown example "no-such-example"/],
    [['two-layer-autograd', '--steps', '-5'], /--steps: got "-5"/],
  ])('rejects %j with usage and exit code 2, before any training', async (args, message) => {
    const run = await runner(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
  });
});
