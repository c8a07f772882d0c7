// A graph of symbolic tensors, built once and run many times by a Session (TensorFlow 1.x style):
// placeholders, variables, constants, random draws, assigns, groups and scan.
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../creation.js';
import { checkDType, type DType } from '../dtype.js';
import { ShapeError, ValueError } from '../errors.js';
import type { Dim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkOptions, checkShape, show } from '../validate.js';
import { GraphMismatchError } from './errors.js';
import { checkAssignable, SymbolicTensor, Variable } from './node.js';
import { cond, scan, whileLoop, type ScanOptions, type WhileOptions } from './control.js';
import type { Nest } from './scan.js';

/** What a constant or a variable's initial value may be given as. */
export type Value = Tensor | SymbolicTensor | number | boolean | readonly unknown[] | Float32Array | Float64Array | Int32Array | Uint8Array;

export interface VariableOptions {
  name?: string;
  /** Whether trainableVariables() lists it (default true). */
  trainable?: boolean;
  dtype?: DType;
}

export interface RandomOptions {
  dtype?: DType;
  mean?: number;
  stddev?: number;
}

export type AssignMode = 'set' | 'add' | 'sub';

export class Graph {
  private count = 0;
  /** Every variable, in creation order (the order their initializers run). */
  readonly variables: Variable[] = [];
  private readonly scalars = new Map<string, SymbolicTensor>();
  /** An nn module's parameters and buffers, each with the variable that stands in for it here. */
  private readonly moduleVariables = new Map<Tensor, Variable>();

  /** @internal */
  nextId(): number {
    return this.count++;
  }

  /** @internal Registers a node (the hook for graph-wide bookkeeping). */
  add<T extends SymbolicTensor>(node: T): T {
    return node;
  }

  /** @internal Throws unless x is a node of this graph. */
  check(op: string, x: unknown): asserts x is SymbolicTensor {
    if (!(x instanceof SymbolicTensor)) {
      throw new ValueError(`${op}: got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name : typeof x}, expected a node of this graph`);
    }
    if (x.graph !== this) throw new GraphMismatchError(`${op}: got node ${x.name} of another graph, expected nodes of this graph`);
  }

  /**
   * A value fed at run time; null dims take any size.
   * @example const x = g.placeholder('float32', [null, 1000])
   */
  placeholder(dtype: DType, shape: readonly Dim[], name?: string): SymbolicTensor {
    checkDType(dtype, 'placeholder');
    if (!Array.isArray(shape)) throw new ShapeError(`placeholder: got shape ${show(shape)}, expected an array of sizes (null for a size known at run time)`);
    if (shape.some((d) => d !== null && !(typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))) {
      throw new ShapeError(`placeholder: got shape ${show(shape)}, expected non-negative integers or null`);
    }
    return this.add(new SymbolicTensor(this, { kind: 'placeholder', shape, dtype, name }));
  }

  /**
   * A fixed value: an eager tensor (copied), nested arrays, a typed array or a number.
   * @example const lr = g.constant(1e-6)
   */
  constant(value: Exclude<Value, SymbolicTensor>, options: { dtype?: DType; name?: string } = {}): SymbolicTensor {
    checkOptions('constant', options, ['dtype', 'name']);
    const t = toEager('constant', value, options.dtype);
    return this.add(new SymbolicTensor(this, { kind: 'constant', attrs: { value: t }, shape: t.shape, dtype: t.dtype, name: options.name }));
  }

  /** @internal One number as a 0-d constant, shared by every use in this graph. */
  scalar(value: number, dtype: DType): SymbolicTensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let node = this.scalars.get(key);
    if (node === undefined) {
      node = this.constant(value, { dtype });
      this.scalars.set(key, node);
    }
    return node;
  }

  zeros(shape: readonly number[], dtype: DType = 'float32'): SymbolicTensor {
    return this.constant(noGrad(() => Tensor.empty(checkShape('zeros', shape), checkDType(dtype, 'zeros'), true)));
  }

  ones(shape: readonly number[], dtype: DType = 'float32'): SymbolicTensor {
    return this.zeros(shape, dtype).fullLike(1);
  }

  /** Normal draws from Skein's seeded generator, fresh on every run that needs them. */
  randomNormal(shape: readonly number[], options: RandomOptions = {}): SymbolicTensor {
    return this.random('normal', shape, options);
  }

  /** Uniform draws in [0, 1) scaled by stddev and shifted by mean (defaults 1 and 0). */
  randomUniform(shape: readonly number[], options: RandomOptions = {}): SymbolicTensor {
    return this.random('uniform', shape, options);
  }

  private random(distribution: 'normal' | 'uniform', shape: readonly number[], { dtype = 'float32', mean = 0, stddev = 1 }: RandomOptions): SymbolicTensor {
    const op = distribution === 'normal' ? 'randomNormal' : 'randomUniform';
    checkShape(op, shape);
    if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError(`${op}: got dtype ${show(dtype)}, expected float32 or float64`);
    let out = this.add(new SymbolicTensor(this, { kind: 'random', attrs: { distribution }, shape, dtype }));
    if (stddev !== 1) out = out.mul(stddev);
    if (mean !== 0) out = out.add(mean);
    return out;
  }

  /**
   * Session state with an initial value (a node of this graph, an eager tensor, arrays, or a
   * function returning one); its initializer runs with globalVariablesInitializer().
   * @example const w1 = g.variable(g.randomNormal([1000, 100]))
   */
  variable(initial: Value | (() => Value), options: VariableOptions = {}): Variable {
    checkOptions('variable', options, ['dtype', 'trainable', 'name']);
    const given = typeof initial === 'function' ? initial() : initial;
    const init = given instanceof SymbolicTensor ? given : this.constant(given, { dtype: options.dtype });
    this.check('variable', init);
    const v = this.add(new Variable(this, init, options.trainable ?? true, options.name));
    v.initializer = this.assign(v, init, 'set');
    this.variables.push(v);
    return v;
  }

  /**
   * The variable standing in for an nn module's parameter or buffer in this graph, made at the
   * first call on this graph's tensors from the tensor's values then (see nn/symbolic.ts).
   */
  variableFor(t: Tensor, { trainable, name }: { trainable: boolean; name?: string }): Variable {
    let v = this.moduleVariables.get(t);
    if (v === undefined) {
      v = this.variable(t, { trainable, name });
      this.moduleVariables.set(t, v);
    }
    return v;
  }

  /** The variable standing in for a module's tensor t, if a module call on this graph made one. */
  variableOf(t: Tensor): Variable | null {
    return this.moduleVariables.get(t) ?? null;
  }

  /** @internal The node behind assign, assignAdd and assignSub. */
  assign(v: Variable, value: SymbolicTensor | number, mode: AssignMode): SymbolicTensor {
    const op = mode === 'set' ? 'assign' : mode === 'add' ? 'assignAdd' : 'assignSub';
    const x = typeof value === 'number' ? this.scalar(value, v.dtype).expand(v.shape) : value;
    this.check(op, x);
    checkAssignable(op, v, x);
    return this.add(new SymbolicTensor(this, { kind: 'assign', inputs: [v, x], attrs: { mode }, shape: v.shape, dtype: v.dtype, name: `${op}_${v.name}` }));
  }

  /** A node that runs all of `nodes` and yields nothing (TensorFlow's tf.group). */
  group(...nodes: SymbolicTensor[]): SymbolicTensor {
    const list = nodes.flat();
    for (const n of list) this.check('group', n);
    return this.add(new SymbolicTensor(this, { kind: 'group', controls: list, shape: [], dtype: 'bool' }));
  }

  noOp(): SymbolicTensor {
    return this.group();
  }

  /** Runs every variable's initializer (the variables that exist now). */
  globalVariablesInitializer(): SymbolicTensor {
    return this.group(...this.variables.map((v) => v.initializer));
  }

  trainableVariables(): Variable[] {
    return this.variables.filter((v) => v.trainable);
  }

  /** x itself, through which gradients() does not pass. */
  stopGradient(x: SymbolicTensor): SymbolicTensor {
    this.check('stopGradient', x);
    return this.add(new SymbolicTensor(this, { kind: 'stopGradient', inputs: [x], shape: x.shape, dtype: x.dtype, contiguous: x.isContiguous() }));
  }

  /**
   * A loop inside the graph (tf.scan): acc ← fn(acc, elems[t]) for t along dim 0 (from the end
   * when reverse), starting from initializer; yields every acc stacked, [T, ...acc.shape]. elems
   * and the accumulator may be tensors or nested arrays of tensors (the result nests as the
   * accumulator does). Nodes fn uses that depend on neither are computed once per run, outside
   * the loop. T may be an unknown dim. gradients() runs back through it.
   * @example const sums = g.scan((acc, x) => acc.add(x), xs, g.zeros([4]))
   * @example const [hs, cs] = g.scan(([h, c], x) => lstmCell(h, c, x), xs, [h0, c0])
   */
  scan<S extends Nest<SymbolicTensor>, E extends Nest<SymbolicTensor>>(fn: (acc: S, element: E) => S, elems: E, initializer: S | number, options: ScanOptions = {}): S {
    return scan(this, fn, elems, initializer, options);
  }

  /**
   * TF1's tf.while_loop: loopVars ← body(loopVars) while cond(loopVars). With maximumIterations
   * it is differentiable (a scan of that many masked steps); without, forward only.
   * @example const [i, x] = g.whileLoop(([i]) => i.lt(10), ([i, x]) => [i.add(1), x.mul(2)], [g.constant(0, { dtype: 'int32' }), x0])
   */
  whileLoop<S extends Nest<SymbolicTensor>>(cond: (vars: S) => SymbolicTensor, body: (vars: S) => S, loopVars: S, options: WhileOptions = {}): S {
    return whileLoop(this, cond, body, loopVars, options);
  }

  /**
   * TF1's tf.cond: trueFn()'s results where pred (a 0-d bool) is true, else falseFn()'s; only the
   * chosen branch runs (each is compiled once), and gradients() runs back through it.
   * @example const y = g.cond(x.sum().gt(0), () => x.mul(2), () => x.neg())
   */
  cond<S extends Nest<SymbolicTensor>>(pred: SymbolicTensor, trueFn: () => S, falseFn: () => S): S {
    return cond(this, pred, trueFn, falseFn);
  }
}

/** Any accepted value as an eager tensor of its own (a given tensor is copied). */
export function toEager(op: string, value: unknown, dtype?: DType): Tensor {
  if (value instanceof Tensor) {
    const copy = noGrad(() => value.detach().clone());
    return dtype === undefined || dtype === copy.dtype ? copy : noGrad(() => copy.to(dtype));
  }
  if (value instanceof SymbolicTensor) throw new ValueError(`${op}: got the symbolic tensor ${value.name}, expected a concrete value`);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const t = tensor(Number(value), { dtype: dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32') });
    return t;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return tensor(value as never, dtype === undefined ? undefined : { dtype });
  throw new ValueError(`${op}: got ${value === null ? 'null' : typeof value}, expected a tensor, nested arrays, a typed array or a number`);
}
