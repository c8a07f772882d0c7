// W1 and W2 as static graphs (src/graph): built once, then one Session.run per step that fetches
// the loss and runs the SGD assigns, fed the same data and initial weights as the eager runners.
import { Graph, gradients, Session, type SymbolicTensor } from '../src/graph/index.js';
import { tensor, type Tensor } from '../src/index.js';
import { normalArray } from './data.js';
import type { Runner, Spec, W1Sizes, W2Sizes } from './workloads.js';

function fromArray(values: Float32Array, shape: number[]): Tensor {
  return tensor(values).reshape(shape);
}

interface Built {
  graph: Graph;
  loss: SymbolicTensor;
  updates: SymbolicTensor[];
  feeds: [SymbolicTensor, Tensor][];
}

/** x, y placeholders; w1, w2 variables; loss; w ← w − lr·∂loss/∂w as assigns (the tutorial's graph). */
function buildW1({ N, Din, H, Dout, lr }: W1Sizes): Built {
  const graph = new Graph();
  const x = graph.placeholder('float32', [null, Din], 'x');
  const y = graph.placeholder('float32', [null, Dout], 'y');
  const w1 = graph.variable(fromArray(normalArray(Din * H, 33), [Din, H]), { name: 'w1' });
  const w2 = graph.variable(fromArray(normalArray(H * Dout, 34), [H, Dout]), { name: 'w2' });
  const loss = x.mm(w1).clamp({ min: 0 }).mm(w2).sub(y).pow(2).sum();
  const grads = gradients(loss, [w1, w2]);
  const updates = [w1, w2].map((w, i) => w.assign(w.sub(grads[i]!.mul(lr))));
  const feeds: [SymbolicTensor, Tensor][] = [
    [x, fromArray(normalArray(N * Din, 31), [N, Din])],
    [y, fromArray(normalArray(N * Dout, 32), [N, Dout])],
  ];
  return { graph, loss, updates, feeds };
}

/** The MLP of skein.ts's w2, as one graph: forward, mean squared error, gradients, assigns. */
function buildW2({ N, Din, H1, H2, Dout, lr }: W2Sizes): Built {
  const graph = new Graph();
  const x = graph.placeholder('float32', [null, Din], 'x');
  const target = graph.placeholder('float32', [null, Dout], 'target');
  const layers = [
    [Din, H1],
    [H1, H2],
    [H2, Dout],
  ].map(([fanIn, fanOut], i) => ({
    w: graph.variable(fromArray(normalArray(fanIn * fanOut, 43 + i, Math.sqrt(2 / fanIn)), [fanIn, fanOut]), { name: `w${i + 1}` }),
    b: graph.variable(new Float32Array(fanOut), { name: `b${i + 1}` }),
  }));
  let h = x;
  layers.forEach(({ w, b }, i) => {
    h = h.mm(w).add(b);
    if (i < layers.length - 1) h = h.relu();
  });
  const loss = h.sub(target).pow(2).mean();
  const params = layers.flatMap(({ w, b }) => [w, b]);
  const grads = gradients(loss, params);
  const updates = params.map((p, i) => p.assign(p.sub(grads[i]!.mul(lr))));
  const feeds: [SymbolicTensor, Tensor][] = [
    [x, fromArray(normalArray(N * Din, 41), [N, Din])],
    [target, fromArray(normalArray(N * Dout, 42), [N, Dout])],
  ];
  return { graph, loss, updates, feeds };
}

export interface GraphRunner extends Runner {
  /** The session's compiled plan for one step, as text. */
  explain(): Promise<string>;
}

export async function graphRunner(spec: Spec): Promise<GraphRunner> {
  if (spec.kind !== 'w1' && spec.kind !== 'w2') throw new Error(`bench: graph mode runs w1 and w2, not ${spec.kind}`);
  const { graph, loss, updates, feeds } = spec.kind === 'w1' ? buildW1(spec.sizes) : buildW2(spec.sizes);
  const session = new Session(graph);
  await session.run(graph.globalVariablesInitializer());
  // One group for the assigns, as an optimizer's minimize() would give: fetching the assigns
  // themselves would also copy each new weight out.
  const fetches = [loss, graph.group(...updates)];
  return {
    async step() {
      const [value] = await session.run(fetches, feeds);
      return (value as Tensor).item();
    },
    explain: () => session.explain(fetches, feeds),
    close: () => session.close(),
  };
}
