// api: the old bits of in-place targets whose launch runs off the main thread (lane or pool).
// A fault mid-launch, or shutdown() while it is in flight, leaves tiles half-applied; the target
// then gets these bits back and stays readable (the failure is still reported by synchronize()).
// Costs one copy of the target per such launch (optimizer updates of large parameters): the price
// of "updated or unchanged, never half-written". The copies are heap blocks, released as soon as
// the launch ends: copies on the JS heap (slice()) cost W2 a third of its speed in the garbage
// collections they brought.
import { Storage } from '../storage.js';

interface Writer {
  inPlace: boolean;
  writes: readonly Storage[];
}

export class InPlaceBackups<L extends Writer> {
  private saved = new Map<L, Storage[]>();
  /** In-place launches shutdown() caught in flight: restored once the pool has stopped. */
  private abandoned: L[] = [];

  /** Copies an in-place launch's targets before it runs; a fresh output needs none. */
  take(launch: L): void {
    if (!launch.inPlace) return;
    this.saved.set(launch, launch.writes.map((s) => {
      const copy = new Storage(s.dtype, s.numel);
      copy.data.set(s.data);
      return copy;
    }));
  }

  has(launch: L): boolean {
    return this.saved.has(launch);
  }

  /** The launch ended with its target written: its backup goes back to the free list. */
  drop(launch: L): void {
    const saved = this.saved.get(launch);
    if (saved === undefined) return;
    this.saved.delete(launch);
    for (const copy of saved) copy.release();
  }

  /** Puts an in-place target's old bits back; false if there were none (a fresh output). */
  restore(launch: L): boolean {
    const saved = this.saved.get(launch);
    if (saved === undefined) return false;
    launch.writes.forEach((s, i) => s.data.set(saved[i].data));
    this.drop(launch);
    return true;
  }

  /** shutdown() caught this launch in flight: restore it once no worker can still write. */
  abandon(launch: L): void {
    this.abandoned.push(launch);
  }

  /** After shutdown's pool teardown: in-flight in-place targets get their old bits. */
  restoreAbandoned(): void {
    for (const launch of this.abandoned) this.restore(launch);
    this.abandoned = [];
  }
}
