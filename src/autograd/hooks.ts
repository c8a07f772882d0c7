// Post-accumulate gradient hooks (PyTorch's register_post_accumulate_grad_hook): called with the
// leaf once backward has added this pass's gradient into leaf.grad. DDP uses them to start a
// bucket's all-reduce as soon as its last gradient is written.
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type PostAccumulateGradHook = (leaf: Tensor) => void;

export interface RemovableHandle {
  remove(): void;
}

const hooks = new WeakMap<Tensor, Set<PostAccumulateGradHook>>();

export function registerPostAccumulateGradHook(leaf: Tensor, hook: PostAccumulateGradHook): RemovableHandle {
  if (typeof hook !== 'function') throw new ValueError(`registerPostAccumulateGradHook: got ${typeof hook}, expected a function (leaf) => void`);
  if (!leaf.isLeaf || !leaf.requiresGrad) {
    throw new ValueError('registerPostAccumulateGradHook: got a tensor that is not a leaf requiring grad; expected a parameter (gradients accumulate only into leaves)');
  }
  let set = hooks.get(leaf);
  if (set === undefined) {
    set = new Set();
    hooks.set(leaf, set);
  }
  const own = hook.bind(null);
  set.add(own);
  return { remove: () => set.delete(own) };
}

/** Called by the engine right after it accumulated into leaf.grad. */
export function runPostAccumulateGradHooks(leaf: Tensor): void {
  const set = hooks.get(leaf);
  if (set !== undefined) for (const hook of set) hook(leaf);
}
