// Map passes compiled from their JavaScript expression into WebAssembly, one function per
// (expression, body, dtypes), working on tensors in the tensor heap. The function computes what
// the JavaScript loop computes, element by element in the same order, in float64 as JavaScript
// does: +, −, ×, ÷, √, abs, min, max, comparisons and Math.fround are IEEE operations with one
// result, so the bits are the same. Expressions with anything else (Math.exp, Math.pow, bit
// operators …) are declined and stay in JavaScript.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { MapArgs } from './elementwise.js';
import type { DataArray } from './types.js';
import type { WasmMemory } from './wasm-module.js';

// ---- Parsing: the expression subset Skein's ops, fusion and optimizers generate. ----

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'input'; index: number }
  | { kind: 'param'; index: number }
  | { kind: 'temp'; name: string }
  | { kind: 'neg' | 'not' | 'sqrt' | 'abs' | 'fround'; arg: Node }
  | { kind: 'bin'; op: string; left: Node; right: Node }
  | { kind: 'cond'; test: Node; then: Node; else: Node };

const TOKEN = /\s*(===|!==|==|!=|<=|>=|[-+*/<>?:(),!&]|Math\.[a-z]+|[A-Za-z_$][\w$]*|\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)/gy;
const UNARY_CALLS: Record<string, 'sqrt' | 'abs' | 'fround'> = { 'Math.sqrt': 'sqrt', 'Math.abs': 'abs', 'Math.fround': 'fround' };
const BINARY_CALLS: Record<string, string> = { 'Math.max': 'max', 'Math.min': 'min' };
const PRECEDENCE: Record<string, number> = { '&': 1, '===': 2, '!==': 2, '==': 2, '!=': 2, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5 };
const COMPARISONS = new Set(['===', '!==', '==', '!=', '<', '<=', '>', '>=']);

class Unsupported extends Error {}

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (m === null) throw new Unsupported(src);
    tokens.push(m[1]);
  }
  return tokens;
}

function parse(src: string, temps: ReadonlySet<string>): Node {
  const tokens = tokenize(src);
  let at = 0;
  const peek = () => tokens[at];
  const take = (want?: string): string => {
    const t = tokens[at++];
    if (t === undefined || (want !== undefined && t !== want)) throw new Unsupported(src);
    return t;
  };
  const ternary = (): Node => {
    const test = binary(1);
    if (peek() !== '?') return test;
    take('?');
    const then = ternary();
    take(':');
    return { kind: 'cond', test, then, else: ternary() };
  };
  const binary = (min: number): Node => {
    let left = unary();
    for (let op = peek(); op !== undefined && (PRECEDENCE[op] ?? 0) >= min; op = peek()) {
      take();
      left = { kind: 'bin', op, left, right: binary(PRECEDENCE[op] + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t === '-') return take(), { kind: 'neg', arg: unary() };
    if (t === '+') return take(), unary();
    if (t === '!') return take(), { kind: 'not', arg: unary() };
    return primary();
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = ternary();
      take(')');
      return inner;
    }
    if (t in UNARY_CALLS) {
      take('(');
      const arg = ternary();
      take(')');
      return { kind: UNARY_CALLS[t], arg };
    }
    if (t in BINARY_CALLS) {
      take('(');
      const left = ternary();
      take(',');
      const right = ternary();
      take(')');
      return { kind: 'bin', op: BINARY_CALLS[t], left, right };
    }
    if (t === 'Infinity') return { kind: 'num', value: Infinity };
    if (/^[a-z]$/.test(t)) return { kind: 'input', index: t.charCodeAt(0) - 97 };
    if (/^p\d+$/.test(t)) return { kind: 'param', index: Number(t.slice(1)) };
    if (temps.has(t)) return { kind: 'temp', name: t };
    if (/^[\d.]/.test(t)) return { kind: 'num', value: Number(t) };
    throw new Unsupported(src);
  };
  const node = ternary();
  if (at !== tokens.length) throw new Unsupported(src);
  return node;
}

/** Whether JavaScript sees this node as a boolean (a comparison or a negation). */
function isBoolean(node: Node): boolean {
  return node.kind === 'not' || (node.kind === 'bin' && COMPARISONS.has(node.op));
}

/** The fused body's `const tN = …;` statements, in order. */
function parseBody(body: string): { name: string; node: Node }[] {
  const temps = new Set<string>();
  return body
    .split(';')
    .filter((s) => s.trim() !== '')
    .map((statement) => {
      const m = /^\s*const\s+(t\d+)\s*=\s*([\s\S]*)$/.exec(statement);
      if (m === null) throw new Unsupported(statement);
      const node = parse(m[2], temps);
      temps.add(m[1]);
      return { name: m[1], node };
    });
}

// ---- Code generation: WebAssembly binary, one exported function `run`. ----

type Elem = 'f32' | 'f64' | 'i32' | 'u8';
const SIZE: Record<Elem, number> = { f32: 4, f64: 8, i32: 4, u8: 1 };

function elemOf(a: DataArray): Elem {
  return a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'u8';
}

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, select: 0x1b,
  localGet: 0x20, localSet: 0x21,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, i32Load8u: 0x2d, i32Store: 0x36, f32Store: 0x38, f64Store: 0x39, i32Store8: 0x3a,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32GeS: 0x4e, i32Add: 0x6a, i32And: 0x71,
  f64Eq: 0x61, f64Ne: 0x62, f64Lt: 0x63, f64Gt: 0x64, f64Le: 0x65, f64Ge: 0x66,
  f64Abs: 0x99, f64Neg: 0x9a, f64Sqrt: 0x9f, f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3, f64Min: 0xa4, f64Max: 0xa5,
  f32DemoteF64: 0xb6, f64ConvertI32S: 0xb7, f64ConvertI32U: 0xb8, f64PromoteF32: 0xbb,
} as const;
const F64 = 0x7c;
const I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return out.concat(byte);
    out.push(byte | 0x80);
  }
}

function f64Bytes(value: number): number[] {
  return Array.from(new Uint8Array(new Float64Array([value]).buffer));
}

const bytesOf = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/**
 * The function `run(out, outStep, a, aStep, …, n, p0, p1, …)`: n elements, each pointer in bytes
 * and advanced by its step in bytes after each element (0: a broadcast value).
 */
function generate(expr: string, body: string | undefined, out: Elem, inputs: Elem[], paramCount: number): Uint8Array {
  const statements = parseBody(body ?? '');
  const temps = new Set(statements.map((s) => s.name));
  const root = parse(expr, temps);

  // Locals: params first (out, outStep, [ptr, step] per input, n, p…), then i, then one f64 per
  // input value and per temporary.
  const n = 2 + 2 * inputs.length;
  const firstParam = n + 1;
  const counter = firstParam + paramCount;
  const firstValue = counter + 1;
  const tempLocal = new Map(statements.map((s, k) => [s.name, firstValue + inputs.length + k]));
  const code: number[] = [];
  const emit = (...b: number[]): void => {
    code.push(...b);
  };

  /** Pushes node's value as an f64 (a comparison as 0 or 1, as JavaScript's arithmetic sees it). */
  const value = (node: Node): void => {
    switch (node.kind) {
      case 'num':
        return emit(OP.f64Const, ...f64Bytes(node.value));
      case 'input':
        if (node.index >= inputs.length) throw new Unsupported(expr);
        return emit(OP.localGet, ...uleb(firstValue + node.index));
      case 'param':
        if (node.index >= paramCount) throw new Unsupported(expr);
        return emit(OP.localGet, ...uleb(firstParam + node.index));
      case 'temp':
        return emit(OP.localGet, ...uleb(tempLocal.get(node.name) as number));
      case 'neg':
        return value(node.arg), emit(OP.f64Neg);
      case 'sqrt':
        return value(node.arg), emit(OP.f64Sqrt);
      case 'abs':
        return value(node.arg), emit(OP.f64Abs);
      case 'fround':
        return value(node.arg), emit(OP.f32DemoteF64, OP.f64PromoteF32);
      case 'not':
        return truth(node.arg), emit(OP.i32Eqz, OP.f64ConvertI32U);
      case 'cond':
        value(node.then);
        value(node.else);
        truth(node.test);
        return emit(OP.select);
      case 'bin': {
        // A fused chain rounds a bool temporary as a byte store would: (comparison) & 255, which
        // is the comparison's 0 or 1. Any other bit operation stays in JavaScript.
        if (node.op === '&') {
          if (!isBoolean(node.left) || node.right.kind !== 'num' || node.right.value !== 255) throw new Unsupported(expr);
          return value(node.left);
        }
        const arith: Record<string, number> = { '+': OP.f64Add, '-': OP.f64Sub, '*': OP.f64Mul, '/': OP.f64Div, max: OP.f64Max, min: OP.f64Min };
        // JavaScript's === between a boolean and a number is false, not a comparison of 0/1.
        if ((node.op === '===' || node.op === '!==') && (isBoolean(node.left) || isBoolean(node.right))) throw new Unsupported(expr);
        value(node.left);
        value(node.right);
        if (node.op in arith) return emit(arith[node.op]);
        return emit(compareOp(node.op), OP.f64ConvertI32U);
      }
    }
  };
  const compareOp = (op: string): number => {
    const table: Record<string, number> = { '===': OP.f64Eq, '==': OP.f64Eq, '!==': OP.f64Ne, '!=': OP.f64Ne, '<': OP.f64Lt, '<=': OP.f64Le, '>': OP.f64Gt, '>=': OP.f64Ge };
    const code = table[op];
    if (code === undefined) throw new Unsupported(expr);
    return code;
  };
  /** Pushes JavaScript's truth of node as an i32: a comparison as is, a number ≠ 0 and not NaN. */
  const truth = (node: Node): void => {
    if (node.kind === 'bin' && COMPARISONS.has(node.op)) {
      value(node.left);
      value(node.right);
      return emit(compareOp(node.op));
    }
    if (node.kind === 'not') return truth(node.arg), emit(OP.i32Eqz);
    value(node);
    emit(OP.f64Const, ...f64Bytes(0), OP.f64Ne);
    value(node);
    value(node);
    emit(OP.f64Eq, OP.i32And);
  };
  const load = (elem: Elem) => {
    if (elem === 'f32') emit(OP.f32Load, 2, 0, OP.f64PromoteF32);
    else if (elem === 'f64') emit(OP.f64Load, 3, 0);
    else if (elem === 'i32') emit(OP.i32Load, 2, 0, OP.f64ConvertI32S);
    else emit(OP.i32Load8u, 0, 0, OP.f64ConvertI32U);
  };
  const advance = (ptr: number, step: number) => emit(OP.localGet, ...uleb(ptr), OP.localGet, ...uleb(step), OP.i32Add, OP.localSet, ...uleb(ptr));

  // block { loop { if (i >= n) break; …; i++; continue } }
  emit(OP.block, 0x40, OP.loop, 0x40);
  emit(OP.localGet, ...uleb(counter), OP.localGet, ...uleb(n), OP.i32GeS, OP.brIf, 1);
  inputs.forEach((elem, k) => {
    emit(OP.localGet, ...uleb(2 + 2 * k));
    load(elem);
    emit(OP.localSet, ...uleb(firstValue + k));
  });
  for (const s of statements) {
    value(s.node);
    emit(OP.localSet, ...uleb(tempLocal.get(s.name) as number));
  }
  emit(OP.localGet, 0);
  if (out === 'u8') {
    // A bool store keeps (value != 0): NaN counts as true, as JavaScript's `!=` has it.
    value(root);
    emit(OP.f64Const, ...f64Bytes(0), OP.f64Ne, OP.i32Store8, 0, 0);
  } else if (out === 'f32') {
    value(root);
    emit(OP.f32DemoteF64, OP.f32Store, 2, 0);
  } else if (out === 'f64') {
    value(root);
    emit(OP.f64Store, 3, 0);
  } else {
    throw new Unsupported('int32 stores wrap modulo 2³²; WebAssembly has no such conversion');
  }
  advance(0, 1);
  inputs.forEach((_, k) => advance(2 + 2 * k, 3 + 2 * k));
  emit(OP.localGet, ...uleb(counter), OP.i32Const, ...sleb(1), OP.i32Add, OP.localSet, ...uleb(counter));
  emit(OP.br, 0, OP.end, OP.end, OP.end);

  const paramTypes = [...new Array(n + 1).fill(I32), ...new Array(paramCount).fill(F64)];
  const localDecls = vector([[...uleb(1), I32], [...uleb(inputs.length + statements.length), F64]]);
  const fn = [...localDecls, ...code];
  const module = [
    ...bytesOf('\0asm'), 1, 0, 0, 0,
    ...section(1, vector([[0x60, ...vector(paramTypes.map((t) => [t])), 0]])),
    // env.memory: a shared memory (limits flag 3: a maximum, shared) of 1 to 65536 pages
    ...section(2, vector([[...uleb(3), ...bytesOf('env'), ...uleb(6), ...bytesOf('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...uleb(3), ...bytesOf('run'), 0x00, 0]])),
    ...section(10, vector([[...uleb(fn.length), ...fn]])),
  ];
  return new Uint8Array(module);
}

// ---- The kernel side: compile once per thread and key, run row by row. ----

type RunFn = (...args: number[]) => void;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { run: RunFn } };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface ExprWasm {
  /** Whether this pass runs here: a pure function of the arguments, so every thread agrees. */
  covers(args: MapArgs): boolean;
  /** Elements [start, end) of a pass it covers. */
  run(args: MapArgs, start: number, end: number): void;
}

/** This thread's compiler of map passes into WebAssembly over `heap`. */
export function exprWasm(heap: WasmMemory): ExprWasm {
  const compiled = new Map<string, RunFn | null>();
  const fnFor = (args: MapArgs): RunFn | null => {
    if (!args.heap) return null;
    const out = elemOf(args.out);
    const inputs = args.inputs.map(elemOf);
    const key = `${out}|${inputs.join(',')}|${args.params.length}|${args.body ?? ''}|${args.expr}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      try {
        const bytes = generate(args.expr, args.body, out, inputs, args.params.length);
        fn = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap } }).exports.run;
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
        fn = null;
      }
      compiled.set(key, fn);
    }
    return fn;
  };
  return {
    covers: (args) => fnFor(args) !== null,
    run(args, start, end) {
      const fn = fnFor(args) as RunFn;
      const { shape, inputs, out } = args;
      const r = shape.length;
      const inner = r === 0 ? 1 : shape[r - 1];
      const outSize = SIZE[elemOf(out)];
      const sizes = inputs.map((x) => SIZE[elemOf(x)]);
      const innerStride = (s: number[]) => (r === 0 ? 1 : s[r - 1]);
      const call: number[] = new Array(2 + 2 * inputs.length + 1 + args.params.length);
      call[1] = innerStride(args.outStrides) * outSize;
      inputs.forEach((_, k) => (call[3 + 2 * k] = innerStride(args.strides[k]) * sizes[k]));
      args.params.forEach((p, k) => (call[3 + 2 * inputs.length + k] = p));
      // Row by row over the flat range, in the JavaScript loop's order.
      let i = start;
      while (i < end) {
        const row = Math.floor(i / inner);
        const col = i - row * inner;
        const count = Math.min(end - i, inner - col);
        let outP = args.outOffset + col * innerStride(args.outStrides);
        const ptrs = args.offsets.map((o, k) => o + col * innerStride(args.strides[k]));
        for (let d = r - 2, rem = row; d >= 0; d--) {
          const q = rem % shape[d];
          rem = (rem - q) / shape[d];
          outP += q * args.outStrides[d];
          for (let k = 0; k < ptrs.length; k++) ptrs[k] += q * args.strides[k][d];
        }
        call[0] = out.byteOffset + outP * outSize;
        for (let k = 0; k < inputs.length; k++) call[2 + 2 * k] = inputs[k].byteOffset + ptrs[k] * sizes[k];
        call[2 + 2 * inputs.length] = count;
        fn(...call);
        i += count;
      }
    },
  };
}
