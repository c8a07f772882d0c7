// W1 and W2 as static graphs (src/graph): built once, then one Session.run per step that fetches
// the loss and runs the SGD assigns. Loaded dynamically: the bench runs without graph mode.
import type { Runner, Spec } from './workloads.js';

// The graph API is typed loosely here so the bench compiles whether or not src/graph exists.
export type GraphModule = any;

export async function loadGraphMode(): Promise<{ module: GraphModule; reason: string }> {
  const path = '../src/graph/index.js';
  try {
    return { module: await import(path), reason: '' };
  } catch (err) {
    return { module: null, reason: `graph mode is not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
}

export async function graphRunner(graph: GraphModule, spec: Spec): Promise<Runner> {
  void graph;
  throw new Error(`bench: graph mode has no ${spec.kind} workload yet`);
}
