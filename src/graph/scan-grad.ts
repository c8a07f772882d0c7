// Back-propagation through time: the gradient of a scan is another scan, running the other way.
//
// Forward, at each step:  c_t = f(c_{t−1}, x_t; captures),  e_t = h(c_{t−1}, x_t; captures).
// Backward, with λ the cotangent of the carry (λ = 0, or the final carry's cotangent):
//   λ_t = λ + Ḡc[t]   (when the carry is stacked)
//   (λ ← ∂c_{t−1}, ẋ_t, ċ) = vjp of (f, h) at step t with cotangents (λ_t, Ḡe[t])
//   ∂captures = Σ_t ċ_t   (summed in a fixed order: the bits do not depend on the thread count)
// The vjp body is built once from the same `grad` formulas, on the forward body's nodes. Each
// forward node it reads (h_{t−1}, a gate's activation …) is stacked by the forward scan as one
// more output, in a buffer sized once per plan, and fed back per step: nothing is recomputed.
import { isFloat } from '../dtype.js';
import { gradientsOf } from './gradients.js';
import type { SymbolicTensor } from './node.js';
import { buildLoop, saveStep, scanArg, type ScanSpec } from './scan.js';

/**
 * Gradients for the scan's inputs (elems, inits, captures) from the cotangents of its outputs
 * (null where no gradient arrives); `wanted` says which inputs need one.
 */
export function scanBackward(scan: SymbolicTensor, outGrads: readonly (SymbolicTensor | null)[], wanted: (x: SymbolicTensor) => boolean): [SymbolicTensor, SymbolicTensor][] {
  const graph = scan.graph;
  const spec = scan.attrs as ScanSpec;
  const nC = spec.inits.length;
  const mark = graph.nextId();

  // Cotangent arguments and the seeds of the body's vjp.
  const gElems: SymbolicTensor[] = [];
  const gElemArgs: SymbolicTensor[] = [];
  const perStep = (G: SymbolicTensor, name: string): SymbolicTensor => {
    const a = scanArg(graph, G.shape.slice(1), G.dtype, name);
    gElems.push(G);
    gElemArgs.push(a);
    return a;
  };
  const ys: SymbolicTensor[] = [];
  const seeds: SymbolicTensor[] = [];
  const lambdas: { k: number; arg: SymbolicTensor }[] = [];
  spec.carryOuts.forEach((out, k) => {
    const init = spec.inits[k];
    if (!isFloat(init.dtype)) return; // a counter carries no gradient
    const arg = scanArg(graph, init.shape, init.dtype, `grad_carry${k}`);
    lambdas.push({ k, arg });
    const G = outGrads[k];
    ys.push(out);
    seeds.push(G !== null && spec.stackCarry[k] ? arg.add(perStep(G, `grad_out${k}`)) : arg);
  });
  spec.extras.forEach((x, j) => {
    const G = outGrads[nC + j];
    if (G === null || !isFloat(x.dtype)) return;
    ys.push(x);
    seeds.push(perStep(G, `grad_extra${j}`));
  });

  const elemWanted = spec.elems.map((e, k) => wanted(e) && isFloat(spec.elemArgs[k].dtype));
  const capWanted = spec.captures.map((c) => wanted(c) && isFloat(c.dtype));
  const wrt = [...spec.carryArgs, ...spec.elemArgs, ...spec.captures];
  const grads = gradientsOf(ys, wrt, seeds, new Set(wrt));
  const dCarry = grads.slice(0, nC);
  const dElem = grads.slice(nC, nC + spec.elemArgs.length);
  const dCap = grads.slice(nC + spec.elemArgs.length);

  // The backward loop's carries: λ per float carry, then a running sum per captured input.
  const inits: SymbolicTensor[] = [];
  const carryArgs: SymbolicTensor[] = [];
  const carryOuts: SymbolicTensor[] = [];
  for (const { k, arg } of lambdas) {
    const G = outGrads[k];
    inits.push(G !== null && !spec.stackCarry[k] ? G : spec.inits[k].zerosLike());
    carryArgs.push(arg);
    carryOuts.push(dCarry[k] ?? arg.zerosLike());
  }
  const sums: number[] = [];
  dCap.forEach((d, j) => {
    if (d === null || !capWanted[j]) return;
    const c = spec.captures[j];
    const arg = scanArg(graph, c.shape, c.dtype, `grad_sum${j}`);
    inits.push(c.zerosLike());
    carryArgs.push(arg);
    carryOuts.push(arg.add(d));
    sums.push(j);
  });
  const extrasOf: number[] = [];
  const extras: SymbolicTensor[] = [];
  dElem.forEach((d, k) => {
    if (d === null || !elemWanted[k]) return;
    extras.push(d);
    extrasOf.push(k);
  });
  if (carryOuts.length === 0 && extras.length === 0) return [];

  // Forward nodes the vjp body reads become per-step elements of the backward loop.
  const elems = [...gElems];
  const elemArgs = [...gElemArgs];
  for (const x of forwardReads(mark, [...carryOuts, ...extras], spec.inLoop)) {
    const k = spec.elemArgs.indexOf(x);
    elems.push(k >= 0 ? spec.elems[k] : saveStep(scan, x));
    elemArgs.push(x);
  }
  if (elems.length === 0) {
    // Nothing per step (d(acc + x) needs none): the forward elems still give the length.
    elems.push(spec.elems[0]);
    elemArgs.push(scanArg(graph, spec.elems[0].shape.slice(1), spec.elems[0].dtype, 'step'));
  }
  const back = buildLoop(graph, 'gradients (scan)', { elems, elemArgs, inits, carryArgs, carryOuts, stackCarry: carryOuts.map(() => false), extras, reverse: !spec.reverse, condition: null });

  const out: [SymbolicTensor, SymbolicTensor][] = [];
  lambdas.forEach(({ k }, i) => {
    if (wanted(spec.inits[k])) out.push([spec.inits[k], back.outs[i]]);
  });
  sums.forEach((j, i) => out.push([spec.captures[j], back.outs[lambdas.length + i]]));
  extrasOf.forEach((k, i) => out.push([spec.elems[k], back.outs[carryOuts.length + i]]));
  return out;
}

/** The forward loop's nodes that nodes built since `mark` read directly. */
function forwardReads(mark: number, results: readonly SymbolicTensor[], inLoop: ReadonlySet<SymbolicTensor>): SymbolicTensor[] {
  const reads: SymbolicTensor[] = [];
  const seen = new Set<SymbolicTensor>();
  const stack = [...results];
  while (stack.length > 0) {
    const node = stack.pop() as SymbolicTensor;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.id < mark) {
      if (inLoop.has(node)) reads.push(node);
      continue;
    }
    stack.push(...node.inputs, ...node.controls, ...node.sources);
  }
  return reads.sort((a, b) => a.id - b.id);
}
