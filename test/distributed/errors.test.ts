// skein/distributed without MPI (importing works; init() says what to install) and with bad
// input (a SkeinError naming the op, what was passed and what was expected).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mpirun, requireMpi } from './mpirun.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('skein/distributed without the MPI addon', () => {
  it('imports, and init() throws a DistributedError that says what to install', () => {
    const script = `
      import * as skein from './dist/src/index.js';
      import * as dist from './dist/src/distributed/index.js';
      console.log(dist.isInitialized());
      try { dist.init(); console.log('no error'); } catch (e) { console.log(e.name, e instanceof skein.SkeinError, e.message); }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, SKEIN_NATIVE: 'off' }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const [initialised, error] = run.stdout.trim().split('\n');
    expect(initialised).toBe('false');
    expect(error).toMatch(/^DistributedError true init: the MPI addon is not available \(SKEIN_NATIVE=off\); install Open MPI .*apt-get install openmpi-bin libopenmpi-dev.*mpirun -np N --bind-to none/);
  });
});

describe.runIf(requireMpi())('skein/distributed with bad input', () => {
  it('throws a SkeinError naming the op, what it got and what it expected', async () => {
    const run = await mpirun(1, 'errors.mjs');
    expect(run.code, run.stderr).toBe(0);
    const results = Object.fromEntries(run.stdout.trim().split('\n').filter((l) => l.startsWith('[')).map((l) => JSON.parse(l) as string[]).map(([c, name, msg]) => [c, `${name}: ${msg}`]));
    expect(results).toEqual({
      'getRank before init': 'DistributedError: getRank: skein/distributed is not initialised; expected await init() first',
      'allReduce before init': 'DistributedError: allReduce: skein/distributed is not initialised; expected await init() first',
      'allReduce of a bool tensor': 'DTypeError: allReduce: got a tensor of dtype bool, expected float32, float64 or int32',
      'allReduce of a non-contiguous tensor': 'ValueError: allReduce: got a non-contiguous tensor (shape [4, 3], strides [1, 4]); expected a contiguous one: contiguous() it first',
      'allReduce with an unknown op': `ValueError: allReduce: got op "prod", expected 'sum', 'avg', 'max' or 'min'`,
      'allReduce avg of int32': `DTypeError: allReduce: got op 'avg' on an int32 tensor, expected float32 or float64 (or op 'sum')`,
      'allReduce of a non-tensor': 'ValueError: allReduce: got an array, expected a Tensor',
      'broadcast from a rank out of range': 'ValueError: broadcast: got src 5, expected a rank in [0, 1)',
      'reduceScatter of a 0-d tensor': 'ValueError: reduceScatter: got shape [], expected a first dim divisible by the world size 1',
      'init twice gives the same promise': 'no error: ',
    });
  }, 30_000);
});
