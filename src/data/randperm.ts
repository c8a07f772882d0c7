// Seeded permutations for shuffling, computed on the host from the same counter-based generator
// (Philox) as Skein's random tensors: permutation k of a seed is a pure function of (seed, k).
import { optionsOf } from '../validate.js';
import { ValueError } from '../errors.js';
import { philox } from '../kernels/random.js';
import { Tensor } from '../tensor.js';
import { show } from '../validate.js';

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

export interface RandpermOptions {
  seed?: number;
  /** Which permutation of the seed's stream (an epoch number, say). */
  stream?: number;
}

/**
 * A uniformly random permutation of 0 … n−1 (int32) by Fisher–Yates, step i drawing
 * j ∈ [0, i] from Philox(key = seed, counter = (i, stream)).
 * @example randperm(5, { seed: 0 })
 */
export function randperm(n: number, options: RandpermOptions = {}): Tensor {
  const { seed = 0, stream = 0 } = optionsOf('randperm', options, ['seed', 'stream']) as RandpermOptions;
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 31) throw new ValueError(`randperm: got n ${show(n)}, expected an integer in [0, 2³¹)`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`randperm: got seed ${show(seed)}, expected a non-negative safe integer`);
  if (!Number.isSafeInteger(stream) || stream < 0 || stream >= TWO_32) throw new ValueError(`randperm: got stream ${show(stream)}, expected an integer in [0, 2³²)`);
  const t = Tensor.empty([n], 'int32');
  const out = t.storage.data as Int32Array;
  for (let i = 0; i < n; i++) out[i] = i;
  const words = new Uint32Array(4);
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / TWO_32) >>> 0;
  for (let i = n - 1; i > 0; i--) {
    philox(k0, k1, i, stream, words);
    // 53 random bits: the bias of ⌊u·(i+1)⌋ is below 2⁻²² for any n < 2³¹.
    const u = ((words[0] >>> 5) * 67108864 + (words[1] >>> 6)) / TWO_53;
    const j = Math.floor(u * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return t;
}
