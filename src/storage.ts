// Tensor storage: the only place a SharedArrayBuffer is allocated. Views share a Storage, so
// the version counter (bumped by in-place ops) and the failure mark live here.
//
// Buffers are recycled: a new SharedArrayBuffer costs 25–350 µs here, several times the kernel
// that fills it at the tutorial's sizes. When the garbage collector finalises a Storage, its
// buffer goes to a free list keyed by byte size, and the next Storage of that size takes it. A
// queued launch holds the Storages it reads and writes, so a buffer is never recycled while a
// kernel may still touch it.
//
// V8 does not count SharedArrayBuffer memory towards its GC heuristics (measured on Node 20:
// 4 GB of written SABs before one full GC), and finalisers run only after a full GC. So every
// GC_BUDGET_BYTES of new buffers, Skein asks for a full GC itself (≈ 2–10 ms with a small heap);
// the freed buffers then refill the free list and new allocations stop.
import v8 from 'node:v8';
import vm from 'node:vm';
import { ARRAY_OF, type DType } from './dtype.js';
import type { DataArray } from './kernels/types.js';

const GC_BUDGET_BYTES = 64 * 1024 * 1024;
let bytesSinceCollect = 0;

function exposeGc(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}
const collect = exposeGc();

const counters = { allocations: 0, allocatedBytes: 0, reuses: 0, collections: 0, liveStorages: 0, liveBytes: 0, peakLiveBytes: 0, cachedBytes: 0 };

/** Free buffers kept for reuse, by byte length. */
const freeBuffers = new Map<number, SharedArrayBuffer[]>();
/**
 * Beyond this, finalised buffers are left to the garbage collector. One GC budget is all a cycle
 * between two collections can hand out; a larger cache only keeps buffers of sizes a program has
 * stopped using (512 MB here kept the two-layer program's SharedArrayBuffer bytes creeping up).
 */
const CACHE_LIMIT_BYTES = GC_BUDGET_BYTES;

const finalizer = new FinalizationRegistry<SharedArrayBuffer>((buffer) => {
  counters.liveStorages -= 1;
  counters.liveBytes -= buffer.byteLength;
  if (counters.cachedBytes + buffer.byteLength > CACHE_LIMIT_BYTES) return;
  let list = freeBuffers.get(buffer.byteLength);
  if (list === undefined) {
    list = [];
    freeBuffers.set(buffer.byteLength, list);
  }
  list.push(buffer);
  counters.cachedBytes += buffer.byteLength;
});

function takeBuffer(bytes: number, zeroed: boolean): SharedArrayBuffer {
  // Every buffer handed out counts, reused or new: the garbage that can pile up between two
  // collections (and so the free list it refills) stays within one budget. Counting only new
  // buffers let a reusing program go without a collection while its dead storages piled up in
  // the old generation; each late collection then grew the free list, until the cache limit.
  bytesSinceCollect += bytes;
  if (collect !== null && bytesSinceCollect > GC_BUDGET_BYTES) {
    bytesSinceCollect = 0;
    counters.collections += 1;
    collect();
  }
  const buffer = freeBuffers.get(bytes)?.pop();
  if (buffer === undefined) {
    counters.allocations += 1;
    counters.allocatedBytes += bytes;
    return new SharedArrayBuffer(bytes);
  }
  counters.reuses += 1;
  counters.cachedBytes -= bytes;
  if (zeroed) new Uint8Array(buffer).fill(0);
  return buffer;
}

export class Storage {
  readonly data: DataArray;
  /** Bumped by every in-place write; autograd compares it with the version it saved. */
  version = 0;
  /** Set when the kernel that should have written this storage failed; reads reject with it. */
  error: Error | null = null;

  /** Without `zeroed`, a recycled buffer keeps old values: the caller writes every element. */
  constructor(
    readonly dtype: DType,
    readonly numel: number,
    zeroed = false,
  ) {
    const Ctor = ARRAY_OF[dtype];
    const bytes = Math.max(numel, 1) * Ctor.BYTES_PER_ELEMENT;
    const buffer = takeBuffer(bytes, zeroed);
    this.data = new Ctor(buffer, 0, numel);
    counters.liveStorages += 1;
    counters.liveBytes += bytes;
    if (counters.liveBytes > counters.peakLiveBytes) counters.peakLiveBytes = counters.liveBytes;
    finalizer.register(this, buffer);
  }
}

export interface StorageStats {
  /** SharedArrayBuffers created, and their bytes. */
  allocations: number;
  allocatedBytes: number;
  /** Storages served from the free list instead. */
  reuses: number;
  /** Full GCs Skein requested to find dead storages. */
  collections: number;
  liveStorages: number;
  liveBytes: number;
  peakLiveBytes: number;
  /** Bytes waiting in the free list. */
  cachedBytes: number;
}

export function storageStats(): StorageStats {
  return { ...counters };
}

// Tensor handles are counted apart from storages: views share one storage but each is a handle a
// program may be leaking (a list of losses kept as tensors, say).
let liveTensors = 0;
const tensorFinalizer = new FinalizationRegistry<null>(() => {
  liveTensors -= 1;
});

/** Counts a tensor handle until the garbage collector finalises it; called by the Tensor constructor. */
export function trackTensor(tensor: object): void {
  liveTensors += 1;
  tensorFinalizer.register(tensor, null);
}

export interface MemoryStats {
  /** Tensor handles not yet collected (views included). */
  liveTensors: number;
  /** Storages not yet collected, and their bytes. */
  liveStorages: number;
  liveBytes: number;
  peakLiveBytes: number;
  /** Bytes of freed buffers kept for reuse. */
  cachedBytes: number;
  /** Every SharedArrayBuffer byte Skein holds: live plus cached. */
  sharedBytes: number;
}

/**
 * What Skein's tensors hold now. Counts fall when the garbage collector finalises tensors, so
 * they lag a little behind the program: users never dispose tensors.
 * @example const { liveTensors, liveBytes } = memoryStats()
 */
export function memoryStats(): MemoryStats {
  const { liveStorages, liveBytes, peakLiveBytes, cachedBytes } = counters;
  return { liveTensors, liveStorages, liveBytes, peakLiveBytes, cachedBytes, sharedBytes: liveBytes + cachedBytes };
}

export function resetPeakLiveBytes(): void {
  counters.peakLiveBytes = counters.liveBytes;
}

/** Drops the free list (tests that count fresh allocations start from here). */
export function emptyStorageCache(): void {
  freeBuffers.clear();
  counters.cachedBytes = 0;
}
