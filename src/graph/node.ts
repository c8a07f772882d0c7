// Symbolic tensors: graph nodes with a static shape (null = unknown until run time) and dtype.
// They subclass TensorOps, so every tensor method and every op of the table builds nodes here,
// with the op's own shape rule: a shape error is raised when the node is built.
import type { DType } from '../dtype.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import type { OpDef } from '../ops/define.js';
import { TensorOps } from '../ops/methods.js';
import { OPS } from '../ops/table.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, isRunSize, type Dim } from '../shape.js';
import { GraphMismatchError } from './errors.js';
import type { Graph } from './graph.js';

/**
 * What a node is. 'op': one entry of the op table. 'placeholder': fed at run time. 'variable':
 * session state. 'constant': an eager tensor. 'random': a fresh draw each run. 'assign': writes
 * a variable and yields its new value. 'group': runs its controls, yields nothing.
 * 'stopGradient': its input, with no gradient. 'scan' / 'scanArg' / 'scanOut': a graph-side loop,
 * the arguments its body is built on, and one of its results. 'while': a loop run until its
 * condition is false (forward only). 'cond': one of two branch plans, chosen at run time. 'sumTo': sums its input to the shape of its source, the dims
 * decided at compile time.
 */
export type NodeKind = 'op' | 'placeholder' | 'variable' | 'constant' | 'random' | 'assign' | 'group' | 'stopGradient' | 'scan' | 'scanArg' | 'scanOut' | 'while' | 'cond' | 'sumTo';

export interface NodeInit {
  kind: NodeKind;
  op?: OpDef<any> | null;
  inputs?: SymbolicTensor[];
  controls?: SymbolicTensor[];
  attrs?: any;
  shape: readonly Dim[];
  dtype: DType;
  name?: string;
  contiguous?: boolean;
  sources?: SymbolicTensor[];
}

/** Which node a shape array belongs to, so expand(a.shape) can learn a's unknown dims at run time. */
const owners = new WeakMap<readonly Dim[], SymbolicTensor>();
/** The operands an expand being built broadcasts against (set around elementwise and expand). */
let expandSources: readonly SymbolicTensor[] = [];

function withSources<R>(sources: readonly SymbolicTensor[], fn: () => R): R {
  const previous = expandSources;
  expandSources = sources;
  try {
    return fn();
  } finally {
    expandSources = previous;
  }
}

export class SymbolicTensor extends TensorOps<SymbolicTensor> {
  readonly id: number;
  readonly kind: NodeKind;
  readonly op: OpDef<any> | null;
  readonly inputs: readonly SymbolicTensor[];
  /** Nodes that must run before this one without feeding it a value (group, noOp). */
  readonly controls: readonly SymbolicTensor[];
  readonly attrs: any;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
  readonly name: string;
  /**
   * The nodes whose run-time shapes fill in its unknown sizes: for an expand to a shape with
   * unknown dims, the operands it broadcasts against (or the node whose shape it copies); for
   * an op with RunSize attrs (narrow, pad, fullLike), the nodes those sizes are computed from.
   */
  readonly sources: readonly SymbolicTensor[];
  /** Whether its run-time layout is plain row-major; decides whether reshape can be a view. */
  private readonly plain: boolean;

  constructor(
    readonly graph: Graph,
    init: NodeInit,
  ) {
    super();
    this.id = graph.nextId();
    this.kind = init.kind;
    this.op = init.op ?? null;
    this.inputs = init.inputs ?? [];
    this.controls = init.controls ?? [];
    this.attrs = init.attrs ?? {};
    this.shape = [...init.shape];
    this.dtype = init.dtype;
    this.name = init.name ?? `${this.op?.name ?? init.kind}_${this.id}`;
    this.plain = init.contiguous ?? true;
    this.sources = init.sources ?? [];
    owners.set(this.shape, this);
  }

  applyOp(op: OpDef<any>, inputs: SymbolicTensor[], attrs: object): SymbolicTensor {
    for (const x of inputs) this.graph.check(op.name, x);
    const meta = op.shape(inputs, attrs);
    const contiguous = op.view === undefined ? true : inputs[0].plain && viewStaysPlain(op, inputs[0].shape, attrs);
    const sources = (op === OPS.expand || op === OPS.reshape) && (attrs as { shape: Dim[] }).shape.includes(null) ? [...expandSources] : [];
    for (const value of Object.values(attrs)) if (isRunSize(value)) sources.push(...(value.of as SymbolicTensor[]));
    return this.graph.add(new SymbolicTensor(this.graph, { kind: 'op', op, inputs, attrs, shape: meta.shape, dtype: meta.dtype, contiguous, sources }));
  }

  /**
   * An unknown dim may be 1 in one input and not in another at run time, so each input with an
   * unknown dim is expanded (a view, a no-op where the sizes agree) to the broadcast shape, which
   * the compiler fills in from all the inputs.
   */
  protected override elementwise(op: OpDef<any>, inputs: SymbolicTensor[], attrs: object = {}): SymbolicTensor {
    return withSources(inputs, () => {
      const shape = broadcastShapes(op.name, inputs.map((x) => x.shape));
      if (!shape.includes(null)) return super.elementwise(op, inputs, attrs);
      const xs = inputs.map((x) => (x.shape.includes(null) ? x.applyOp(OPS.expand, [x], { shape }) : x.expand(shape)));
      return this.applyOp(op, xs, attrs);
    });
  }

  override expand(shape: readonly Dim[]): SymbolicTensor {
    const owner = owners.get(shape);
    return owner === undefined ? super.expand(shape) : withSources([owner], () => super.expand(shape));
  }

  /** reshape(a.shape) fills several unknown dims from a's run-time shape. */
  override reshape(shape: readonly Dim[]): SymbolicTensor {
    const owner = owners.get(shape);
    return owner === undefined ? super.reshape(shape) : withSources([owner], () => super.reshape(shape));
  }

  /**
   * sumTo(a.shape) where a has an unknown dim that this one has not (a broadcast operand fed as
   * 1, or not): which dims to sum is known only at run time, so the compiler decides.
   */
  override sumTo(shape: readonly Dim[]): SymbolicTensor {
    const owner = owners.get(shape);
    const lead = this.ndim - shape.length;
    const open = shape.some((d, i) => d === null && this.shape[lead + i] !== 1 && lead >= 0);
    if (owner === undefined || !open) return super.sumTo(shape);
    return this.graph.add(new SymbolicTensor(this.graph, { kind: 'sumTo', inputs: [this], shape, dtype: this.dtype, sources: [owner] }));
  }

  protected scalar(value: number, dtype: DType): SymbolicTensor {
    return this.graph.scalar(value, dtype);
  }

  /** An nn module called on this node uses this graph's variable for each of its tensors. */
  liftModuleTensor(t: Tensor, options: { trainable: boolean; name: string }): SymbolicTensor {
    return this.graph.variableFor(t, options);
  }

  protected isSameKind(x: unknown): x is SymbolicTensor {
    if (!(x instanceof SymbolicTensor)) return false;
    if (x.graph !== this.graph) throw new GraphMismatchError(`${x.name}: belongs to another graph; expected nodes of one graph in one op`);
    return true;
  }

  protected canView(): boolean {
    return this.plain;
  }

  isContiguous(): boolean {
    return this.plain;
  }

  override toString(): string {
    return `SymbolicTensor(${this.name}, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
  }
}

/**
 * Whether a view of a plain input is plain too, decided on a stand-in layout with every unknown
 * dim set to 7: a layout that is plain for sizes > 1 stays plain when some sizes turn out to be 1.
 */
function viewStaysPlain(op: OpDef<any>, shape: readonly Dim[], attrs: object): boolean {
  const sizes = shape.map((d) => d ?? 7);
  const strides = new Array<number>(sizes.length);
  let s = 1;
  for (let i = sizes.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= sizes[i];
  }
  const standIn = { ...attrs } as { shape?: Dim[] };
  if (Array.isArray(standIn.shape)) standIn.shape = standIn.shape.map((d) => d ?? 7);
  // A size known only at run time stands in as 1: a narrowed dim that may be shorter than its input's.
  for (const [k, v] of Object.entries(standIn)) if (isRunSize(v)) (standIn as Record<string, unknown>)[k] = 1;
  try {
    const out = (op.view as NonNullable<OpDef['view']>)({ shape: sizes, strides, offset: 0 }, standIn);
    let expect = 1;
    for (let i = out.shape.length - 1; i >= 0; i--) {
      if (out.shape[i] !== 1 && out.strides[i] !== expect) return false;
      expect *= out.shape[i];
    }
    return true;
  } catch {
    return false;
  }
}

/** A variable: session state with an initial value; assign and friends build the writes. */
export class Variable extends SymbolicTensor {
  /** The assign that sets the initial value; globalVariablesInitializer() groups these. */
  initializer!: SymbolicTensor;

  constructor(
    graph: Graph,
    readonly initialValue: SymbolicTensor,
    readonly trainable: boolean,
    name: string | undefined,
  ) {
    super(graph, { kind: 'variable', shape: initialValue.shape, dtype: initialValue.dtype, name });
    if (initialValue.shape.includes(null)) {
      throw new ShapeError(`variable ${this.name}: got an initial value of shape ${fmtShape(initialValue.shape)}, expected a fully known shape`);
    }
  }

  /** this ← value; the node yields the new value. */
  assign(value: SymbolicTensor | number): SymbolicTensor {
    return this.graph.assign(this, value, 'set');
  }

  /** this ← this + value. */
  assignAdd(value: SymbolicTensor | number): SymbolicTensor {
    return this.graph.assign(this, value, 'add');
  }

  /** this ← this − value. */
  assignSub(value: SymbolicTensor | number): SymbolicTensor {
    return this.graph.assign(this, value, 'sub');
  }
}

/** Checks a value can be stored in a variable of shape `shape` and dtype `dtype`. */
export function checkAssignable(op: string, target: { name: string; shape: readonly Dim[]; dtype: DType }, value: { shape: readonly Dim[]; dtype: DType }): void {
  const fits = value.shape.length === target.shape.length && value.shape.every((d, i) => d === null || d === target.shape[i]);
  if (!fits) throw new ShapeError(`${op}: got a value of shape ${fmtShape(value.shape)} for variable ${target.name} of shape ${fmtShape(target.shape)}, expected equal shapes`);
  if (value.dtype !== target.dtype) throw new DTypeError(`${op}: got a value of dtype ${value.dtype} for variable ${target.name} of dtype ${target.dtype}, expected equal dtypes`);
}

/** The eager tensor a constant node holds. */
export function constantValue(node: SymbolicTensor): Tensor {
  return node.attrs.value as Tensor;
}
