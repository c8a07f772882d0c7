// Tensor.registerPostAccumulateGradHook: called once per backward, after the pass's gradient is
// in leaf.grad (what DDP starts a bucket's all-reduce from).
import { describe, expect, it } from 'vitest';
import { tensor, ValueError, type Tensor } from '../src/index.js';

describe('registerPostAccumulateGradHook', () => {
  it('runs once per backward, after the gradient was accumulated into .grad', async () => {
    const w = tensor([1, 2, 3]).requiresGrad_();
    const seen: number[][] = [];
    const pending: Promise<void>[] = [];
    w.registerPostAccumulateGradHook((leaf: Tensor) => {
      // clone() is queued right after the accumulation: it holds this pass's value.
      const now = leaf.grad!.clone();
      pending.push(now.data().then((g) => void seen.push(Array.from(g))));
    });
    // d/dw of sum(w·w + w) = 2w + 1 = [3, 5, 7]; used twice in one graph, still one call.
    w.mul(w).add(w).sum().backward();
    // A second backward accumulates: [3, 5, 7] + [3, 5, 7].
    w.mul(w).add(w).sum().backward();
    await Promise.all(pending);
    expect(seen).toEqual([
      [3, 5, 7],
      [6, 10, 14],
    ]);
  });

  it('stops after remove()', () => {
    const w = tensor([1]).requiresGrad_();
    let calls = 0;
    const handle = w.registerPostAccumulateGradHook(() => (calls += 1));
    w.sum().backward();
    handle.remove();
    w.sum().backward();
    expect(calls).toBe(1);
  });

  it('refuses a tensor that is not a leaf requiring grad', () => {
    const w = tensor([1]).requiresGrad_();
    expect(() => w.mul(2).registerPostAccumulateGradHook(() => undefined)).toThrow(ValueError);
    expect(() => tensor([1]).registerPostAccumulateGradHook(() => undefined)).toThrow(
      new ValueError('registerPostAccumulateGradHook: got a tensor that is not a leaf requiring grad; expected a parameter (gradients accumulate only into leaves)'),
    );
    expect(() => w.registerPostAccumulateGradHook(3 as never)).toThrow(ValueError);
  });
});
