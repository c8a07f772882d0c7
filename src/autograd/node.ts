// Graph nodes. An edge points at the node that made an input (or at a leaf's accumulator), so an
// in-place op can re-point a tensor at a new node without losing the old history.
import { AutogradError, fmtShape } from '../errors.js';
import type { OpDef } from '../ops/define.js';
import type { Tensor } from '../tensor.js';

export interface Edge {
  node: Node;
  index: number;
}

export abstract class Node {
  /** One edge per input; null where the input needs no gradient. */
  edges: (Edge | null)[] = [];
  /** Outputs whose .grad the user asked to keep (retainGrad). */
  retained: (Tensor | null)[] = [];
  released = false;
  /** Tensor.registerHook hooks, by output index (null until the first). */
  hooks: Map<number, Map<number, (g: Tensor) => Tensor | void>> | null = null;

  abstract readonly name: string;
  abstract readonly outputs: number;

  /** Gradients for each input from those for each output (null = zero). */
  abstract apply(grads: (Tensor | null)[]): (Tensor | null)[];

  /** Frees what was saved for backward; a second backward through this node then throws. */
  release(): void {
    this.released = true;
  }

  protected checkLive(): void {
    if (this.released) {
      throw new AutogradError(
        `${this.name}: trying to backward through the graph a second time (its saved values were freed by the first backward); ` +
          'expected backward({ retainGraph: true }) on the first call if you need to backward twice',
      );
    }
  }
}

/** A tensor saved for backward, with its version then: a later in-place write is caught. */
export class SavedTensor {
  readonly version: number;
  constructor(readonly tensor: Tensor) {
    this.version = tensor.storage.version;
  }

  unpack(owner: string): Tensor {
    if (this.tensor.storage.version !== this.version) {
      throw new AutogradError(
        `${owner}: a tensor of shape ${fmtShape(this.tensor.shape)} saved for backward was modified by an in-place operation ` +
          `(it is at version ${this.tensor.storage.version}; expected version ${this.version})`,
      );
    }
    return this.tensor;
  }
}

/** A node for one op of the table: its backward is the op's formula. */
export class OpNode extends Node {
  readonly outputs = 1;
  private saved: SavedTensor[] | null;

  constructor(
    readonly op: OpDef<any>,
    private inputs: Tensor[] | null,
    private out: Tensor | null,
    readonly attrs: object,
  ) {
    super();
    const saves = op.saves ?? 'inputs';
    const saved: SavedTensor[] = [];
    if (saves === 'inputs' || saves === 'inputsAndOutput') for (const x of inputs as Tensor[]) saved.push(new SavedTensor(x));
    if (saves === 'output' || saves === 'inputsAndOutput') saved.push(new SavedTensor(out as Tensor));
    this.saved = saved;
  }

  get name(): string {
    return this.op.name;
  }

  apply([g]: (Tensor | null)[]): (Tensor | null)[] {
    this.checkLive();
    const inputs = this.inputs as Tensor[];
    if (g === null) return inputs.map(() => null);
    if (this.op.grad === null) {
      throw new AutogradError(`${this.op.name}: has no gradient (it is declared non-differentiable), but a gradient path reaches it; expected detach() or noGrad() around it`);
    }
    for (const s of this.saved as SavedTensor[]) s.unpack(this.op.name);
    const grads: (Tensor | null)[] = this.op.grad(g, inputs, this.out, this.attrs, this.edges.map((e) => e !== null));
    return grads.map((d, i) => {
      if (d === null || d === undefined || this.edges[i] === null) return null;
      const x = inputs[i];
      if (d.shape.length !== x.shape.length || d.shape.some((s, k) => s !== x.shape[k])) {
        throw new AutogradError(`${this.op.name}: its backward formula gave a gradient of shape ${fmtShape(d.shape)} for an input of shape ${fmtShape(x.shape)}`);
      }
      return d.dtype === x.dtype ? d : d.to(x.dtype);
    });
  }

  override release(): void {
    super.release();
    this.inputs = null;
    this.saved = null;
    this.out = null;
  }
}

/** Where a leaf's gradient lands: accumulated into leaf.grad, as in PyTorch. */
export class AccumulateGrad extends Node {
  readonly outputs = 1;
  readonly name = 'AccumulateGrad';

  constructor(readonly leaf: Tensor) {
    super();
  }

  apply(): (Tensor | null)[] {
    return [];
  }
}
