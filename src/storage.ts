// Tensor storage: the only place tensor memory is handed out. Views share a Storage, so the
// version counter (bumped by in-place ops) and the failure mark live here.
//
// Storages are blocks of the tensor heap (heap.ts): one shared WebAssembly memory, so the WASM
// kernels compute on tensors where they live, on every thread. Blocks are recycled: when the
// garbage collector finalises a Storage, its block goes back to the free blocks (free-blocks.ts),
// and the next Storage of that size takes it, or a larger one splits it, or merged neighbours
// serve it. A queued launch holds the Storages it reads and writes,
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
import { FreeBlocks } from './free-blocks.js';
import { heapBlock, heapBuffer, heapMemory } from './heap.js';
import { releaseGate } from './release-gate.js';
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

/** Free heap blocks (free-blocks.ts: taken by size, split and merged). */
const freeBlocks = new FreeBlocks();

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

/**
 * A finalised Storage or slab: its heap block (offset ≥ 0) goes back to the free list.
 * `storages`: the live storages it holds (1, or a slab's slots in use).
 */
interface Held {
  offset: number;
  size: number;
  storages: number;
}

function free({ offset, size, storages }: Held): void {
  counters.liveStorages -= storages;
  counters.liveBytes -= size;
  if (offset < 0) return;
  freeBlocks.put(offset, size);
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
  const offset = freeBlocks.take(size);
  if (offset < 0) {
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

// Small storages share slabs. A finaliser per storage costs more than a tiny op's whole budget:
// registering one is ≈ 1–2 µs with the collections it brings (V8 keeps a registered object alive
// through scavenges, so every storage reached the old generation: 25% of a chain of 1-element ops
// went to the collector, mostly mark-compacts). So a storage of up to SLAB_SLOT_MAX bytes is a
// slot of a SLAB_BYTES block: it holds its slab, only the slab has a finaliser, and the block goes
// back to the free list once every storage in it is garbage. A long-lived small tensor pins at
// most one slab; a released slot is reused, by the next small storage of its size, first.
const SLAB_BYTES = 4096;
const SLAB_SLOT_MAX = 512;

class Slab {
  /** Heap offset of the next slot never handed out. */
  next: number;
  readonly end: number;
  constructor(readonly held: Held) {
    this.next = held.offset;
    this.end = held.offset + held.size;
  }
}

/** Per slot size (index size / 64 − 1): the slab handing out fresh slots, and released slots with their slabs. */
const openSlabs: (Slab | null)[] = Array.from({ length: SLAB_SLOT_MAX / 64 }, () => null);
const freeSlots = Array.from({ length: SLAB_SLOT_MAX / 64 }, () => ({ slabs: [] as Slab[], offsets: [] as number[] }));
/** The slab of the slot takeSlot() returned last (a second return value, without an object per call). */
let slotSlab: Slab | null = null;

/** A heap offset for a small storage of `size` bytes, its slab in slotSlab; -1 when the heap is full. */
function takeSlot(size: number, zeroed: boolean): number {
  const k = size / 64 - 1;
  const free = freeSlots[k];
  let offset: number;
  if (free.offsets.length > 0) {
    slotSlab = free.slabs.pop() as Slab;
    offset = free.offsets.pop() as number;
    counters.reuses += 1;
  } else {
    let slab = openSlabs[k];
    if (slab === null || slab.next + size > slab.end) {
      const block = takeBlock(SLAB_BYTES, false);
      if (block < 0) return -1;
      const held: Held = { offset: block, size: SLAB_BYTES, storages: 0 };
      slab = new Slab(held);
      finalizer.register(slab, held);
      openSlabs[k] = slab;
      counters.liveBytes += SLAB_BYTES;
      if (counters.liveBytes > counters.peakLiveBytes) counters.peakLiveBytes = counters.liveBytes;
    }
    offset = slab.next;
    slab.next += size;
    slotSlab = slab;
  }
  slotSlab.held.storages += 1;
  counters.liveStorages += 1;
  // A fresh block is zero-filled, but a recycled slab or slot keeps old values.
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
  /** Where the block is, for release(); null once released, and for a slot of a slab. */
  private held: Held | null;
  /** The slab this storage is a slot of (kept alive by it); null for a block of its own, and once released. */
  private slab: Slab | null;
  /** Set by release(), which may give the block back later (see there). */
  private releasing = false;
  /** Its block or slot size in bytes. */
  private readonly size: number;

  /** Without `zeroed`, a recycled block keeps old values: the caller writes every element. */
  constructor(
    readonly dtype: DType,
    readonly numel: number,
    zeroed = false,
  ) {
    const Ctor = ARRAY_OF[dtype];
    const size = blockSize(Math.max(numel, 1) * Ctor.BYTES_PER_ELEMENT);
    this.size = size;
    let offset = size <= SLAB_SLOT_MAX && heapMemory() !== null ? takeSlot(size, zeroed) : -1;
    if (offset >= 0) {
      this.slab = slotSlab;
      this.held = null;
      slotSlab = null;
    } else {
      offset = takeBlock(size, zeroed);
      this.slab = null;
      this.held = { offset, size, storages: 1 };
      counters.liveStorages += 1;
      counters.liveBytes += size;
      if (counters.liveBytes > counters.peakLiveBytes) counters.peakLiveBytes = counters.liveBytes;
      finalizer.register(this, this.held, this);
    }
    this.onHeap = offset >= 0;
    if (this.onHeap) {
      this.data = new Ctor(heapBuffer(offset + size), offset, numel);
    } else {
      counters.allocations += 1;
      counters.allocatedBytes += size;
      this.data = new Ctor(new SharedArrayBuffer(size), 0, numel);
    }
  }

  /**
   * Gives the block back instead of waiting for finalisation: for storages only their owner can
   * reach (backward's own temporaries). Every launch that touches this block was submitted before
   * this call; the block returns to the free list once they have all finished (at once when the
   * stream is idle), so neither its next owner's launches nor host writes can overtake them.
   * The caller must hold the only reference; the storage must not be read or written again.
   */
  release(): void {
    if (this.releasing || (this.slab === null && this.held === null)) return;
    this.releasing = true;
    // "Submitted" is not "run": while launches wait in the queue, a block handed out again could
    // be written by the host (a zero fill, tensor()'s copy) before a queued launch has read it.
    // The stream gives it back once every launch submitted so far has finished.
    const gate = releaseGate();
    if (gate !== null && gate.busy()) {
      gate.defer(() => this.releaseNow());
      return;
    }
    this.releaseNow();
  }

  private releaseNow(): void {
    const slab = this.slab;
    if (slab !== null) {
      this.slab = null;
      slab.held.storages -= 1;
      counters.liveStorages -= 1;
      const free = freeSlots[this.size / 64 - 1];
      free.slabs.push(slab);
      free.offsets.push(this.data.byteOffset);
      counters.releases += 1;
      return;
    }
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
