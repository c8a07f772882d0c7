// autograd.grad, as torch.autograd.grad: the gradients of outputs with respect to chosen inputs,
// returned rather than accumulated into .grad; with createGraph they can be differentiated again.
import { AutogradError, ValueError } from '../errors.js';
import { isTensor, type Tensor } from '../tensor.js';
import { show } from '../validate.js';
import { edgeOf, seedFor, walk } from './engine.js';
import type { Edge, Node } from './node.js';

export interface GradOptions {
  /** d(loss)/d(each output): needed for outputs of more than one element. */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] | null;
  /** Keep saved values for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the gradient computation, for higher-order gradients. */
  createGraph?: boolean;
  /** An input that the outputs do not depend on gets null instead of an error. */
  allowUnused?: boolean;
}

const GRAD_OPTIONS = new Set(['gradOutputs', 'retainGraph', 'createGraph', 'allowUnused']);

function tensorList(what: string, x: unknown): Tensor[] {
  const list = isTensor(x) ? [x] : Array.isArray(x) ? x : null;
  if (list === null || list.length === 0) throw new ValueError(`grad: got ${what} ${show(x)}, expected a tensor or a non-empty array of tensors`);
  list.forEach((t, i) => {
    if (!isTensor(t)) throw new ValueError(`grad: got ${show(t)} at ${what}[${i}], expected a tensor`);
  });
  return list as Tensor[];
}

/**
 * The sum over outputs of gradOutputs[i]·d(outputs[i])/d(inputs), one gradient per input.
 * @example const [dx] = autograd.grad(y, [x], { createGraph: true }); dx.sum().backward()
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  if (options === null || typeof options !== 'object') throw new ValueError(`grad: got options ${show(options)}, expected an object`);
  for (const k of Object.keys(options)) if (!GRAD_OPTIONS.has(k)) throw new ValueError(`grad: got an unknown option ${show(k)}, expected one of ${[...GRAD_OPTIONS].join(', ')}`);
  const outs = tensorList('outputs', outputs);
  const ins = tensorList('inputs', inputs);
  const { gradOutputs = null, createGraph = false, allowUnused = false } = options;
  const retainGraph = options.retainGraph ?? createGraph;
  const given = gradOutputs === null ? outs.map(() => null) : isTensor(gradOutputs) ? [gradOutputs] : gradOutputs;
  if (!Array.isArray(given) || given.length !== outs.length) {
    throw new ValueError(`grad: got gradOutputs ${show(gradOutputs)} for ${outs.length} outputs, expected one gradient (or null) per output`);
  }
  const starts: Edge[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((o, i) => {
    const e = edgeOf(o);
    if (e === null) throw new AutogradError(`grad: output ${i} (shape [${o.shape.join(', ')}]) does not require grad and has no gradFn; expected the result of ops on a tensor with requiresGrad`);
    starts.push(e);
    seeds.push(seedFor('grad', o, given[i]));
  });
  const edges = ins.map((x, i) => {
    const e = edgeOf(x);
    if (e === null) throw new AutogradError(`grad: input ${i} (shape [${x.shape.join(', ')}]) does not require grad; expected tensors that require grad`);
    return e;
  });
  const result: (Tensor | null)[] = ins.map(() => null);
  const capture = new Map<Node, (index: number, g: Tensor | null) => void>();
  edges.forEach((e, i) => {
    const before = capture.get(e.node);
    capture.set(e.node, (index, g) => {
      before?.(index, g);
      if (index === e.index && g !== null) result[i] = g;
    });
  });
  walk(starts, seeds, { retainGraph, createGraph, capture });
  result.forEach((g, i) => {
    if (g === null && !allowUnused) {
      throw new AutogradError(`grad: input ${i} (shape [${ins[i].shape.join(', ')}]) was not used in computing the outputs; expected allowUnused: true if that is intended`);
    }
  });
  // A gradient that is an input's own tensor (y = x gives dy/dx = the seed) is copied, as the
  // user may write into what grad returns.
  return result.map((g, i) => (g !== null && !createGraph && given.includes(g) ? g.clone() : g === null ? null : g.dtype === ins[i].dtype ? g : g.to(ins[i].dtype)));
}
