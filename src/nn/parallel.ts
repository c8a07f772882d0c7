// nn.parallel.DistributedDataParallel, as PyTorch's: one model replica per process, gradients
// averaged across processes during backward.
//
// Gradients live in buckets: one contiguous tensor per group of parameters, filled in reverse
// parameter order (backward reaches the last layers first), each parameter's .grad a view into
// its bucket. A bucket's all-reduce is queued (skein/distributed, in the stream's order) by the
// post-accumulate hook of its last parameter to get a gradient, while backward goes on recording
// the layers before it. The optimizer's step is queued after every all-reduce, so it waits for
// them by the stream's order alone.
import { isFloat, type DType } from '../dtype.js';
import { DistributedError, ValueError } from '../errors.js';
import { allReduce, broadcast, getWorldSize, isInitialized } from '../distributed/index.js';
import { contiguousStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from './module.js';

/** PyTorch's default cap, and its first bucket of 1 MB: the last layers' gradients start early. */
const DEFAULT_BUCKET_CAP_MB = 25;
const FIRST_BUCKET_MB = 1;
const MB = 1024 * 1024;

export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (default 25); the first bucket is at most 1 MiB. */
  bucketCapMB?: number;
  /** Broadcast buffers (running statistics) from rank 0 before each forward (default true). */
  broadcastBuffers?: boolean;
}

interface Slot {
  param: Tensor;
  view: Tensor;
  bucket: Bucket;
  /** Its gradient was accumulated in the current backward. */
  done: boolean;
}

interface Bucket {
  flat: Tensor;
  slots: Slot[];
  /** Gradients accumulated into the bucket in the current backward. */
  ready: number;
}

/**
 * Wraps a module for data-parallel training: parameters and buffers are copied from rank 0 now,
 * and every backward averages the gradients across ranks.
 * @example
 * await distributed.init();
 * const ddp = new nn.parallel.DistributedDataParallel(model);
 * const loss = lossFn(ddp.forward(x), y); loss.backward(); opt.step();
 */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  readonly module: M;
  private readonly buckets: Bucket[] = [];
  private readonly slots = new Map<Tensor, Slot>();
  private readonly broadcastBuffers: boolean;
  private syncing = true;
  /** Whether this forward's backward all-reduces (false inside noSync). */
  private reduceThisBackward = true;

  constructor(module: M, { bucketCapMB = DEFAULT_BUCKET_CAP_MB, broadcastBuffers = true }: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new ValueError(`DistributedDataParallel: got ${typeof module}, expected an nn.Module`);
    if (typeof bucketCapMB !== 'number' || !(bucketCapMB > 0)) throw new ValueError(`DistributedDataParallel: got bucketCapMB ${String(bucketCapMB)}, expected a positive number`);
    if (!isInitialized()) throw new DistributedError('DistributedDataParallel: skein/distributed is not initialised; expected await distributed.init() before wrapping the model');
    this.module = module;
    this.broadcastBuffers = broadcastBuffers;
    const params = module.parameters();
    for (const t of [...params, ...module.buffers()]) {
      if (!t.isContiguous()) throw new ValueError('DistributedDataParallel: got a non-contiguous parameter or buffer; expected contiguous ones');
    }
    // Every replica starts from rank 0's values (queued: later ops see them).
    noGrad(() => {
      for (const t of [...params, ...module.buffers()]) if (isCollectiveDType(t.dtype)) broadcast(t, 0);
    });
    this.makeBuckets(params, bucketCapMB * MB);
    for (const p of params) p.registerPostAccumulateGradHook((leaf) => this.onGradient(leaf));
  }

  /** Reverse parameter order, one dtype per bucket; the first bucket is small so its all-reduce starts early. */
  private makeBuckets(params: Tensor[], capBytes: number): void {
    const open = new Map<DType, Tensor[]>();
    const sizes = new Map<DType, number>();
    const caps = new Map<DType, number>();
    const close = (dtype: DType) => {
      const members = open.get(dtype);
      if (members === undefined || members.length === 0) return;
      this.addBucket(dtype, members);
      open.set(dtype, []);
      sizes.set(dtype, 0);
      caps.set(dtype, capBytes);
    };
    for (const p of [...params].reverse()) {
      if (!isFloat(p.dtype)) continue;
      const bytes = p.numel() * (p.dtype === 'float64' ? 8 : 4);
      const cap = caps.get(p.dtype) ?? Math.min(capBytes, FIRST_BUCKET_MB * MB);
      caps.set(p.dtype, cap);
      if ((sizes.get(p.dtype) ?? 0) > 0 && (sizes.get(p.dtype) as number) + bytes > cap) close(p.dtype);
      if (!open.has(p.dtype)) open.set(p.dtype, []);
      (open.get(p.dtype) as Tensor[]).push(p);
      sizes.set(p.dtype, (sizes.get(p.dtype) ?? 0) + bytes);
    }
    for (const dtype of [...open.keys()]) close(dtype);
  }

  private addBucket(dtype: DType, members: Tensor[]): void {
    const total = members.reduce((n, p) => n + p.numel(), 0);
    const flat = Tensor.empty([total], dtype);
    const bucket: Bucket = { flat, slots: [], ready: 0 };
    let offset = 0;
    for (const param of members) {
      const view = new Tensor(flat.storage, param.shape, contiguousStrides(param.shape), offset);
      offset += param.numel();
      const slot = { param, view, bucket, done: false };
      bucket.slots.push(slot);
      this.slots.set(param, slot);
    }
    this.buckets.push(bucket);
  }

  /** The buckets' sizes in elements, in the order they are all-reduced (for tests and tuning). */
  bucketSizes(): number[] {
    return this.buckets.map((b) => b.flat.numel());
  }

  forward(...inputs: unknown[]): any {
    this.prepareForBackward();
    return (this.module.forward as (...args: unknown[]) => unknown)(...inputs);
  }

  /**
   * Runs fn without averaging gradients: backward of a forward inside it only accumulates them
   * locally, and the next synchronised backward averages the total (gradient accumulation).
   * @example await ddp.noSync(async () => { lossFn(ddp.forward(x1), y1).backward(); });
   */
  noSync<T>(fn: () => T): T {
    const before = this.syncing;
    this.syncing = false;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.syncing = before;
      throw err;
    }
    if (result instanceof Promise) return result.finally(() => (this.syncing = before)) as T;
    this.syncing = before;
    return result;
  }

  /**
   * Before each forward: every .grad is its bucket view again (zeroGrad drops them), the last
   * backward must have reduced every bucket, and buffers come from rank 0.
   */
  private prepareForBackward(): void {
    const unfinished = this.buckets.filter((b) => b.ready > 0 && b.ready < b.slots.length);
    if (unfinished.length > 0) {
      const missing = unfinished.flatMap((b) => b.slots.filter((s) => !s.done).map((s) => s.param));
      this.resetBuckets();
      const names = this.module.namedParameters().filter(([, p]) => missing.includes(p)).map(([n]) => n);
      throw new DistributedError(
        `DistributedDataParallel: the last backward gave gradients to only part of a bucket (parameters ${names.join(', ')}), so its all-reduce never ran and the ranks' gradients differ; expected every parameter to take part in the loss`,
      );
    }
    this.resetBuckets();
    this.reduceThisBackward = this.syncing;
    noGrad(() => {
      for (const bucket of this.buckets) {
        const fresh = bucket.slots.every((s) => s.param.grad === null);
        if (fresh) bucket.flat.zero_();
        for (const s of bucket.slots) {
          const g = s.param.grad;
          if (g === s.view) continue;
          if (g !== null) s.view.copy_(g);
          else if (!fresh) s.view.zero_();
          s.param.grad = s.view;
        }
      }
      if (this.broadcastBuffers && getWorldSize() > 1) for (const b of this.module.buffers()) if (isCollectiveDType(b.dtype)) broadcast(b, 0);
    });
  }

  private resetBuckets(): void {
    for (const b of this.buckets) {
      b.ready = 0;
      for (const s of b.slots) s.done = false;
    }
  }

  /** A parameter's gradient was accumulated: the bucket's all-reduce goes once all its gradients are in. */
  private onGradient(param: Tensor): void {
    const slot = this.slots.get(param);
    if (slot === undefined) return;
    if (param.grad !== slot.view) {
      // Someone replaced .grad (or backward ran without a forward through this wrapper).
      noGrad(() => slot.view.copy_(param.grad as Tensor));
      param.grad = slot.view;
    }
    const bucket = slot.bucket;
    if (slot.done) return; // a second backward through a retained graph: already counted
    slot.done = true;
    bucket.ready += 1;
    if (bucket.ready < bucket.slots.length) return;
    if (this.reduceThisBackward) allReduce(bucket.flat, { op: 'avg' });
  }
}

function isCollectiveDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'int32';
}
