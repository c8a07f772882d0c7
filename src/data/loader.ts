// DataLoader: batches of rows taken from tensors that share a first dim, shuffled per epoch
// by a seeded permutation. Batch k+1's rows are queued on the stream before batch k is handed
// over, so they are copied while step k runs, never waited for.
import { rand, tensor } from '../creation.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { Sampler } from './distributed-sampler.js';
import { randperm } from './randperm.js';
import { show } from '../validate.js';
import { optionsOf } from '../validate.js';

export interface DataLoaderOptions {
  batchSize?: number;
  /** A new order every epoch. */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /**
   * Epoch e's order is randperm(n, {seed, stream: e}), whatever else draws random numbers. Left
   * out, a seed is drawn from Skein's generator (so manualSeed decides it) the first epoch.
   */
  seed?: number;
  /** Which rows, in which order, each epoch (a DistributedSampler's shard); excludes shuffle. */
  sampler?: Sampler;
}

/**
 * @example
 * const loader = new DataLoader([x, y], { batchSize: 64, shuffle: true, seed: 0 });
 * for await (const [xb, yb] of loader) { … }
 */
export class DataLoader<T extends Tensor[] = Tensor[]> implements AsyncIterable<T> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** The next epoch to run; set it to resume a run's order. */
  epoch = 0;
  private seed: number | undefined;
  private readonly n: number;
  private readonly sampler: Sampler | undefined;

  constructor(
    readonly tensors: T,
    options: DataLoaderOptions = {},
  ) {
    const { batchSize = 1, shuffle = false, dropLast = false, seed, sampler } = optionsOf('DataLoader', options, ['batchSize', 'shuffle', 'dropLast', 'seed', 'sampler']) as DataLoaderOptions;
    if (!Array.isArray(tensors) || tensors.length === 0 || !tensors.every((t) => t instanceof Tensor)) {
      const bad = Array.isArray(tensors) && tensors.length > 0 ? tensors.findIndex((t) => !(t instanceof Tensor)) : -1;
      const got = bad >= 0 ? `${show(tensors[bad])} at position ${bad}` : show(tensors);
      throw new ValueError(`DataLoader: got ${got}, expected a non-empty array of tensors, one per field (e.g. [x, y])`);
    }
    const n = tensors[0].ndim === 0 ? NaN : tensors[0].shape[0];
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== n)) {
      throw new ShapeError(`DataLoader: got shapes ${tensors.map((t) => fmtShape(t.shape)).join(', ')}, expected the same first dim (one row per sample)`);
    }
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ValueError(`DataLoader: got batchSize ${show(batchSize)}, expected a positive integer`);
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) throw new ValueError(`DataLoader: got seed ${show(seed)}, expected a non-negative safe integer`);
    if (sampler !== undefined && (typeof sampler?.indices !== 'function' || !Number.isInteger(sampler.length))) {
      throw new ValueError('DataLoader: got a sampler without indices() and length, expected a Sampler such as data.DistributedSampler');
    }
    if (sampler !== undefined && shuffle) throw new ValueError('DataLoader: got both sampler and shuffle: true; expected one of them (the sampler decides the order)');
    this.sampler = sampler;
    this.n = sampler?.length ?? n;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    // Contiguous sources let every batch be one indexSelect copy.
    this.tensors = tensors.map((t) => t.contiguous()) as T;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.n / this.batchSize) : Math.ceil(this.n / this.batchSize);
  }

  /** The rows of each epoch, in order. */
  private async order(epoch: number): Promise<Tensor | null> {
    if (this.sampler !== undefined) return tensor(this.sampler.indices());
    if (!this.shuffle) return null;
    this.seed ??= Math.floor((await rand([1], { dtype: 'float64' }).item()) * 2 ** 48);
    return randperm(this.n, { seed: this.seed, stream: epoch });
  }

  private batch(order: Tensor | null, k: number): T {
    const start = k * this.batchSize;
    const end = Math.min(this.n, start + this.batchSize);
    if (order === null) return this.tensors.map((t) => t.narrow(0, start, end - start)) as T;
    const rows = tensor((order.storage.data as Int32Array).subarray(start, end));
    return this.tensors.map((t) => t.indexSelect(0, rows)) as T;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const epoch = this.epoch++;
    const order = await this.order(epoch);
    const count = this.length;
    let next = count > 0 ? this.batch(order, 0) : null;
    for (let k = 0; k < count; k++) {
      const current = next as T;
      next = k + 1 < count ? this.batch(order, k + 1) : null;
      yield current;
    }
  }
}
