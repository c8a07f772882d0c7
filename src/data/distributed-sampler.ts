// DistributedSampler, as torch.utils.data.distributed's: each rank draws a disjoint shard of the
// dataset, all ranks shuffling with the same seeded permutation per epoch, the order padded (by
// repeating its start) so every rank gets the same number of samples, hence the same steps.
import { getRank, getWorldSize } from '../distributed/index.js';
import { ValueError } from '../errors.js';
import { randperm } from './randperm.js';

export interface DistributedSamplerOptions {
  /** Ranks sharing the data (default: the world size of skein/distributed). */
  numReplicas?: number;
  /** This process's shard (default: its rank). */
  rank?: number;
  shuffle?: boolean;
  /** Same on every rank, so the ranks agree on the permutation. */
  seed?: number;
  /** Drop the tail instead of padding, so no sample is seen twice in an epoch. */
  dropLast?: boolean;
}

/** What DataLoader's `sampler` option takes: the sample indices of the current epoch. */
export interface Sampler {
  readonly length: number;
  indices(): Int32Array;
}

/**
 * @example
 * const sampler = new data.DistributedSampler(x.shape[0], { seed: 0 });
 * const loader = new DataLoader([x, y], { batchSize: 64, sampler });
 * for (let epoch = 0; epoch < 3; epoch++) { sampler.setEpoch(epoch); for await (const [xb, yb] of loader) … }
 */
export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Samples this rank gets per epoch. */
  readonly length: number;
  private epoch = 0;

  constructor(
    readonly datasetSize: number,
    { numReplicas, rank, shuffle = true, seed = 0, dropLast = false }: DistributedSamplerOptions = {},
  ) {
    if (!Number.isSafeInteger(datasetSize) || datasetSize < 0) throw new ValueError(`DistributedSampler: got datasetSize ${String(datasetSize)}, expected a non-negative integer`);
    const replicas = numReplicas ?? getWorldSize();
    const me = rank ?? getRank();
    if (!Number.isInteger(replicas) || replicas <= 0) throw new ValueError(`DistributedSampler: got numReplicas ${String(replicas)}, expected a positive integer`);
    if (!Number.isInteger(me) || me < 0 || me >= replicas) throw new ValueError(`DistributedSampler: got rank ${String(me)}, expected an integer in [0, ${replicas})`);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`DistributedSampler: got seed ${String(seed)}, expected a non-negative safe integer`);
    this.numReplicas = replicas;
    this.rank = me;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.length = dropLast ? Math.floor(datasetSize / replicas) : Math.ceil(datasetSize / replicas);
  }

  /** Picks the epoch's permutation; call it before each epoch, on every rank alike. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ValueError(`setEpoch: got ${String(epoch)}, expected a non-negative integer`);
    this.epoch = epoch;
  }

  /** This rank's samples: positions rank, rank + R, rank + 2R, … of the padded order. */
  indices(): Int32Array {
    const n = this.datasetSize;
    const order = this.shuffle ? (randperm(n, { seed: this.seed, stream: this.epoch }).storage.data as Int32Array) : Int32Array.from({ length: n }, (_, i) => i);
    const out = new Int32Array(this.length);
    // Padding repeats the order from its start (as PyTorch's), as often as needed when n < R.
    for (let k = 0; k < this.length; k++) out[k] = order[(this.rank + k * this.numReplicas) % Math.max(n, 1)];
    return out;
  }
}
