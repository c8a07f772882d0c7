// A blocking read, for the few synchronous APIs that need values on the host (loadStateDict of
// optimizers and schedulers, as PyTorch's are synchronous): the stream is drained on the main
// thread first. Not for training loops: a read there should be awaited.
import { stream } from './runtime/stream.js';
import { forEachOffset } from './shape.js';
import type { Tensor } from './tensor.js';

export function readSync(t: Tensor): number[] {
  stream.flushSync();
  if (t.storage.error !== null) throw stream.reported(t.storage.error);
  const out: number[] = [];
  forEachOffset(t.shape, t.strides, t.offset, (o) => out.push(t.storage.data[o]));
  return out;
}
