// The tensor heap's free blocks. A request takes a free block of its own size if there is one
// (the most recently freed, whose lines are likeliest in cache), else the front of the smallest
// larger one; and when even that fails, adjacent free blocks are merged and it looks again. So
// memory one shape gave back serves the next (the dead 1 MB outputs of one product make the 4 MB
// output of the next) instead of fresh pages, whose first touch costs ≈ 3.5 ms per MB here.
//
// As in PyTorch's caching allocator, small requests (under 1 MB) split only small blocks and large
// ones only large blocks: a long-lived small tensor carved from a big free run would keep that run
// from ever serving a big request again.

const LARGE = 1 << 20;
/** Below this, a missing block is cheaper to take fresh than a merging pass over the free blocks. */
const MERGE_MIN = 64 << 10;

export class FreeBlocks {
  /** Free bytes held. */
  bytes = 0;
  /** Offsets of free blocks by size, the most recently freed last. */
  private stacks = new Map<number, number[]>();
  /** The sizes with a non-empty stack, ascending. */
  private sizes: number[] = [];
  /** Whether a block came back since the last merging pass (else a pass could not find more). */
  private dirty = false;

  /** Gives back [offset, offset + size). */
  put(offset: number, size: number): void {
    this.bytes += size;
    this.dirty = true;
    this.file(offset, size);
  }

  /** An offset of `size` free bytes, or -1 when no free block (even merged with its neighbours) holds them. */
  take(size: number): number {
    let offset = this.fit(size);
    if (offset < 0 && this.dirty && size >= MERGE_MIN) {
      this.merge();
      offset = this.fit(size);
    }
    if (offset >= 0) this.bytes -= size;
    return offset;
  }

  /** The exact size's latest block, else the front of the smallest larger block of the same pool. */
  private fit(size: number): number {
    const exact = this.stacks.get(size);
    if (exact !== undefined) return this.pop(size, exact);
    const i = this.firstAbove(size);
    if (i === this.sizes.length) return -1;
    const larger = this.sizes[i];
    if (size < LARGE && larger >= LARGE) return -1;
    const offset = this.pop(larger, this.stacks.get(larger) as number[]);
    this.file(offset + size, larger - size);
    return offset;
  }

  private pop(size: number, stack: number[]): number {
    const offset = stack.pop() as number;
    if (stack.length === 0) {
      this.stacks.delete(size);
      this.sizes.splice(this.firstAbove(size - 1), 1);
    }
    return offset;
  }

  private file(offset: number, size: number): void {
    let stack = this.stacks.get(size);
    if (stack === undefined) {
      stack = [];
      this.stacks.set(size, stack);
      this.sizes.splice(this.firstAbove(size - 1), 0, size);
    }
    stack.push(offset);
  }

  /** Merges every run of adjacent free blocks into one block. */
  private merge(): void {
    this.dirty = false;
    const blocks: [number, number][] = [];
    for (const [size, stack] of this.stacks) for (const offset of stack) blocks.push([offset, size]);
    blocks.sort((a, b) => a[0] - b[0]);
    this.stacks = new Map();
    this.sizes = [];
    let i = 0;
    while (i < blocks.length) {
      const [start] = blocks[i];
      let end = start + blocks[i][1];
      for (i += 1; i < blocks.length && blocks[i][0] === end; i += 1) end += blocks[i][1];
      this.file(start, end - start);
    }
  }

  /** The index of the first size in `sizes` above `size`. */
  private firstAbove(size: number): number {
    let lo = 0;
    let hi = this.sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sizes[mid] <= size) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
