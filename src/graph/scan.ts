// scan: a loop inside the graph. The body is built once on two argument nodes (the accumulator
// and one element); nodes it uses that depend on neither are captured and computed outside.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import type { Graph } from './graph.js';
import { SymbolicTensor } from './node.js';

export function buildScan(graph: Graph, fn: (acc: SymbolicTensor, element: SymbolicTensor) => SymbolicTensor, elems: SymbolicTensor, init: SymbolicTensor): SymbolicTensor {
  const accArg = graph.add(new SymbolicTensor(graph, { kind: 'scanArg', shape: init.shape, dtype: init.dtype, name: 'scan_acc' }));
  const elemArg = graph.add(new SymbolicTensor(graph, { kind: 'scanArg', shape: elems.shape.slice(1), dtype: elems.dtype, name: 'scan_element' }));
  const body = fn(accArg, elemArg);
  graph.check('scan', body);
  if (body.shape.length !== init.shape.length || body.shape.some((d, i) => d !== null && init.shape[i] !== null && d !== init.shape[i])) {
    throw new ShapeError(`scan: the body gave shape ${fmtShape(body.shape)} for an accumulator of shape ${fmtShape(init.shape)}, expected equal shapes`);
  }
  if (body.dtype !== init.dtype) throw new DTypeError(`scan: the body gave dtype ${body.dtype} for an accumulator of dtype ${init.dtype}, expected equal dtypes`);

  // Which nodes depend on an argument (iterative post-order from the body's result).
  const dependent = new Map<SymbolicTensor, boolean>([
    [accArg, true],
    [elemArg, true],
  ]);
  const captures: SymbolicTensor[] = [];
  const stack: [SymbolicTensor, number][] = [[body, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    const deps = [...node.inputs, ...node.controls, ...node.sources];
    if (dependent.has(node)) {
      stack.pop();
      continue;
    }
    if (next < deps.length) {
      top[1] += 1;
      if (!dependent.has(deps[next])) stack.push([deps[next], 0]);
      continue;
    }
    stack.pop();
    const inLoop = deps.some((x) => dependent.get(x) === true);
    if (inLoop && (node.kind === 'assign' || node.kind === 'random' || node.kind === 'scan')) {
      throw new ValueError(`scan: the body builds ${node.name} (${node.kind}) on the loop's arguments; expected pure ops of the table inside a scan body`);
    }
    dependent.set(node, inLoop);
    if (inLoop) for (const x of deps) if (dependent.get(x) === false && !captures.includes(x)) captures.push(x);
  }
  if (dependent.get(body) === false && !captures.includes(body)) captures.push(body);
  const shape = [elems.shape[0], ...init.shape];
  return graph.add(new SymbolicTensor(graph, { kind: 'scan', inputs: [elems, init, ...captures], attrs: { accArg, elemArg, body, captures }, shape, dtype: init.dtype }));
}
