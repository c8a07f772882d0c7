// Tensor storage: the only place tensor memory is handed out. Views share a Storage, so the
// version counter (bumped by in-place ops) and the failure mark live here.
//
// Storages are blocks of the tensor heap (heap.ts): one shared WebAssembly memory, so the WASM
// kernels compute on tensors where they live, on every thread. Blocks are recycled: when the
// garbage collector finalises a Storage, its block goes to a free list keyed by block size, and
// the next Storage of that size takes it. A queued launch holds the Storages it reads and writes,
// so a block is never recycled while a kernel may still touch it. Where the heap is missing or
// full, a Storage gets a SharedArrayBuffer of its own, which the garbage collector frees.
//
// V8 does not count SharedArrayBuffer memory towards its GC heuristics (measured on Node 20:
// 4 GB of written SABs before one full GC), and finalisers run only after a full GC. So every
// GC_BUDGET_BYTES of storage handed out, Skein asks for a full GC itself (≈ 2–10 ms with a small
// heap); the freed blocks then refill the free list and the heap stops growing. Blocks their
// owner gives back (Storage.release: backward's temporaries) are not garbage and do not count.
// A minor GC would be cheaper, but V8 (11.3) processes FinalizationRegistry cells only in a full
// one (measured: no finaliser ran after gc({ type: 'minor' })). 128 MB, not 64: on W1 the forced
// collections cost about half as much (≈ 10% → 4–5% of wall time, on a loaded machine).
//
// Finalisers normally run as tasks of the event loop, so a loop that never awaits would see none
// and grow the heap without bound. Where V8 has FinalizationRegistry.prototype.cleanupSome (a
// staged feature Node 20 ships behind a flag, installed in contexts created after the flag is
// set), the registry lives in such a context and each forced collection runs its finalisers at
// once: the blocks come back before the next one is handed out.
import v8 from 'node:v8';
import vm from 'node:vm';
import { ARRAY_OF, type DType } from './dtype.js';
import { heapBlock, heapBuffer } from './heap.js';
import type { DataArray } from './kernels/types.js';

export const GC_BUDGET_BYTES = 128 * 1024 * 1024;
let bytesSinceCollect = 0;

function exposeGc(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}
const collect = exposeGc();

interface Registry<T> {
  register(target: object, held: T, token?: object): void;
  unregister(token: object): boolean;
  cleanupSome?(): void;
}

/** A FinalizationRegistry with cleanupSome where this V8 has it (see the header), else a plain one. */
function registry<T>(cleanup: (held: T) => void): Registry<T> {
  try {
    const r = vm.runInNewContext('new FinalizationRegistry((held) => cleanup(held))', { cleanup }) as Registry<T>;
    if (typeof r.cleanupSome === 'function') return r;
  } catch {
    // fall through to this context's registry
  }
  return new FinalizationRegistry<T>(cleanup);
}

const counters = { allocations: 0, allocatedBytes: 0, reuses: 0, collections: 0, releases: 0, liveStorages: 0, liveBytes: 0, peakLiveBytes: 0, cachedBytes: 0 };

/** Free heap blocks, by block size: offsets into the heap. */
const freeBlocks = new Map<number, number[]>();

/**
 * Block sizes: multiples of 64 bytes up to 4 KiB, then eight steps per power of two, so a block
 * wastes at most 12.5% and a program whose sizes drift still reuses blocks. 64-byte alignment
 * keeps SIMD loads aligned and two threads' outputs off one cache line.
 */
export function blockSize(bytes: number): number {
  if (bytes <= 4096) return Math.ceil(bytes / 64) * 64;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

/** A finalised Storage: its heap block (offset ≥ 0) goes back to the free list. */
interface Held {
  offset: number;
  size: number;
}

function free({ offset, size }: Held): void {
  counters.liveStorages -= 1;
  counters.liveBytes -= size;
  if (offset < 0) return;
  let list = freeBlocks.get(size);
  if (list === undefined) {
    list = [];
    freeBlocks.set(size, list);
  }
  list.push(offset);
  counters.cachedBytes += size;
}

const finalizer = registry<Held>(free);

/** A heap offset for `size` bytes (recycled or fresh), or -1 when the heap is full. */
function takeBlock(size: number, zeroed: boolean): number {
  // Every block handed out counts, reused or new: the garbage that can pile up between two
  // collections (and so the free list it refills) stays within one budget. Counting only new
  // blocks let a reusing program go without a collection while its dead storages piled up in
  // the old generation; each late collection then grew the free list.
  bytesSinceCollect += size;
  if (collect !== null && bytesSinceCollect > GC_BUDGET_BYTES) {
    bytesSinceCollect = 0;
    counters.collections += 1;
    collect();
    finalizer.cleanupSome?.();
  }
  const offset = freeBlocks.get(size)?.pop();
  if (offset === undefined) {
    const fresh = heapBlock(size);
    if (fresh >= 0) {
      counters.allocations += 1;
      counters.allocatedBytes += size;
    }
    return fresh;
  }
  counters.reuses += 1;
  counters.cachedBytes -= size;
  if (zeroed) new Uint8Array(heapBuffer(offset + size), offset, size).fill(0);
  return offset;
}

export class Storage {
  readonly data: DataArray;
  /** Whether data lies in the tensor heap, where the WASM kernels can reach it. */
  readonly onHeap: boolean;
  /** Bumped by every in-place write; autograd compares it with the version it saved. */
  version = 0;
  /** Set when the kernel that should have written this storage failed; reads reject with it. */
  error: Error | null = null;
  /** Where the block is, for release(); null once released. */
  private held: Held | null;

  /** Without `zeroed`, a recycled block keeps old values: the caller writes every element. */
  constructor(
    readonly dtype: DType,
    readonly numel: number,
    zeroed = false,
  ) {
    const Ctor = ARRAY_OF[dtype];
    const size = blockSize(Math.max(numel, 1) * Ctor.BYTES_PER_ELEMENT);
    const offset = takeBlock(size, zeroed);
    this.onHeap = offset >= 0;
    if (this.onHeap) {
      this.data = new Ctor(heapBuffer(offset + size), offset, numel);
    } else {
      counters.allocations += 1;
      counters.allocatedBytes += size;
      this.data = new Ctor(new SharedArrayBuffer(size), 0, numel);
    }
    counters.liveStorages += 1;
    counters.liveBytes += size;
    if (counters.liveBytes > counters.peakLiveBytes) counters.peakLiveBytes = counters.liveBytes;
    this.held = { offset, size };
    finalizer.register(this, this.held, this);
  }

  /**
   * Gives the block back now instead of at finalisation: for storages only their owner can reach
   * (backward's own temporaries). Safe because the stream runs launches in order: every launch
   * that touches this block was submitted before this call, every launch of its next owner after.
   * The caller must hold the only reference; the storage must not be read or written again.
   */
  release(): void {
    if (this.held === null) return;
    finalizer.unregister(this);
    free(this.held);
    // Not garbage: it does not count towards the next forced collection.
    bytesSinceCollect = Math.max(0, bytesSinceCollect - this.held.size);
    this.held = null;
    counters.releases += 1;
  }
}

export interface StorageStats {
  /** Fresh blocks (or SharedArrayBuffers, when the heap is full) handed out, and their bytes. */
  allocations: number;
  allocatedBytes: number;
  /** Storages served from the free list instead. */
  reuses: number;
  /** Full GCs Skein requested to find dead storages. */
  collections: number;
  /** Storages given back at once by their owner (backward's temporaries), with no GC. */
  releases: number;
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
// program may be leaking (a list of losses kept as tensors, say). Counting needs a finaliser per
// handle, and V8's scavenger keeps every registered object alive until a full collection: on a
// chain of tiny ops that took the time spent collecting from ≈ 20–25% to ≈ 30–40%. So handles
// are counted only from the first memoryStats() call on, by programs that look.
let liveTensors = 0;
let countingTensors = false;
const tensorFinalizer = new FinalizationRegistry<null>(() => {
  liveTensors -= 1;
});

/** Counts a tensor handle until the garbage collector finalises it; called by the Tensor constructor. */
export function trackTensor(tensor: object): void {
  if (!countingTensors) return;
  liveTensors += 1;
  tensorFinalizer.register(tensor, null);
}

export interface MemoryStats {
  /** Tensor handles made since the first memoryStats() call and not yet collected (views included). */
  liveTensors: number;
  /** Storages not yet collected, and their bytes. */
  liveStorages: number;
  liveBytes: number;
  peakLiveBytes: number;
  /** Bytes of freed blocks kept for reuse. */
  cachedBytes: number;
  /** Every byte of shared memory Skein holds for tensors: live plus cached. */
  sharedBytes: number;
}

/**
 * What Skein's tensors hold now. Counts fall when the garbage collector finalises tensors, so
 * they lag a little behind the program: users never dispose tensors. Tensor handles are counted
 * from the first call on (counting costs every op a finaliser), so call it once at the start.
 * @example const { liveTensors, liveBytes } = memoryStats()
 */
export function memoryStats(): MemoryStats {
  countingTensors = true;
  const { liveStorages, liveBytes, peakLiveBytes, cachedBytes } = counters;
  return { liveTensors, liveStorages, liveBytes, peakLiveBytes, cachedBytes, sharedBytes: liveBytes + cachedBytes };
}

export function resetPeakLiveBytes(): void {
  counters.peakLiveBytes = counters.liveBytes;
}
