// Tensor storage: the only place a SharedArrayBuffer is allocated. Views share a Storage, so
// the version counter (bumped by in-place ops) and the failure mark live here.
import { ARRAY_OF, type DType } from './dtype.js';
import type { DataArray } from './kernels/types.js';

const counters = { allocations: 0, allocatedBytes: 0, liveStorages: 0, liveBytes: 0, peakLiveBytes: 0 };

// Live bytes fall when the garbage collector finalises a storage: users never dispose tensors.
const finalizer = new FinalizationRegistry<number>((bytes) => {
  counters.liveStorages -= 1;
  counters.liveBytes -= bytes;
});

export class Storage {
  readonly data: DataArray;
  /** Bumped by every in-place write; autograd compares it with the version it saved. */
  version = 0;
  /** Set when the kernel that should have written this storage failed; reads reject with it. */
  error: Error | null = null;

  constructor(
    readonly dtype: DType,
    readonly numel: number,
  ) {
    const Ctor = ARRAY_OF[dtype];
    const bytes = Math.max(numel, 1) * Ctor.BYTES_PER_ELEMENT;
    this.data = new Ctor(new SharedArrayBuffer(bytes), 0, numel);
    counters.allocations += 1;
    counters.allocatedBytes += bytes;
    counters.liveStorages += 1;
    counters.liveBytes += bytes;
    if (counters.liveBytes > counters.peakLiveBytes) counters.peakLiveBytes = counters.liveBytes;
    finalizer.register(this, bytes);
  }
}

export interface StorageStats {
  allocations: number;
  allocatedBytes: number;
  liveStorages: number;
  liveBytes: number;
  peakLiveBytes: number;
}

export function storageStats(): StorageStats {
  return { ...counters };
}

export function resetPeakLiveBytes(): void {
  counters.peakLiveBytes = counters.liveBytes;
}
