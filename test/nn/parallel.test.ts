// DistributedDataParallel without a job: it refuses to wrap before distributed.init() (the
// training itself is tested under mpirun in test/distributed/ddp.test.ts).
import { describe, expect, it } from 'vitest';
import { DistributedError, nn, ValueError } from '../../src/index.js';

describe('DistributedDataParallel', () => {
  it('throws a DistributedError before distributed.init()', () => {
    expect(() => new nn.parallel.DistributedDataParallel(new nn.Linear(2, 2))).toThrow(
      new DistributedError('DistributedDataParallel: skein/distributed is not initialised; expected await distributed.init() before wrapping the model'),
    );
  });

  it('names a bad argument', () => {
    expect(() => new nn.parallel.DistributedDataParallel({} as nn.Module)).toThrow(new ValueError('DistributedDataParallel: got object, expected an nn.Module'));
    expect(() => new nn.parallel.DistributedDataParallel(new nn.Linear(2, 2), { bucketCapMB: 0 })).toThrow(new ValueError('DistributedDataParallel: got bucketCapMB 0, expected a positive number'));
  });
});
