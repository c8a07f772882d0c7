// Map passes compiled from their JavaScript expression into WebAssembly SIMD, one function per
// (expression, body, dtypes, layout), working on tensors in the tensor heap. The function computes
// what the JavaScript loop computes, in float64 as JavaScript does: +, −, ×, ÷, √, abs, floor, ceil, trunc, min, max,
// comparisons and Math.fround are IEEE operations with one result, so the bits are the same. It
// takes two elements a turn (f64x2) unless an input partly overlaps the output, where the
// JavaScript loop's one-by-one order shows; then it goes one by one too. Expressions with
// anything else (Math.exp, Math.pow, bit operators …) are declined and stay in JavaScript.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import type { MapArgs } from './elementwise.js';
import { separateOrSame } from './elementwise-wasm.js';
import { forEachRun, innerStride } from './runs.js';
import { COMPARISONS, isBoolean, parse, parseBody, Unsupported, type Node } from './expr-parse.js';
import type { DataArray } from './types.js';
import type { WasmMemory } from './wasm-module.js';

// ---- Code generation: WebAssembly binary, one exported function `run`. ----

type Elem = 'f32' | 'f64' | 'i32' | 'u8';

function elemOf(a: DataArray): Elem {
  return a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'u8';
}

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, select: 0x1b,
  localGet: 0x20, localSet: 0x21,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, i32Load8u: 0x2d, f32Store: 0x38, f64Store: 0x39, i32Store8: 0x3a,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32GtS: 0x4a, i32GeS: 0x4e, i32Add: 0x6a, i32And: 0x71, i32Shl: 0x74, i32WrapI64: 0xa7,
  f64Eq: 0x61, f64Ne: 0x62, f64Lt: 0x63, f64Gt: 0x64, f64Le: 0x65, f64Ge: 0x66,
  f64Abs: 0x99, f64Neg: 0x9a, f64Ceil: 0x9b, f64Floor: 0x9c, f64Trunc: 0x9d, f64Sqrt: 0x9f, f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3, f64Min: 0xa4, f64Max: 0xa5,
  f32DemoteF64: 0xb6, f64ConvertI32S: 0xb7, f64ConvertI32U: 0xb8, f64PromoteF32: 0xbb,
} as const;
/** SIMD instructions: the 0xfd prefix, then the opcode as unsigned LEB128. */
const simd = (op: number, ...immediates: number[]) => [0xfd, ...uleb(op), ...immediates];
const V = {
  load: 0x00, load8Splat: 0x07, load16Splat: 0x08, load32Splat: 0x09, load64Splat: 0x0a, store: 0x0b, const: 0x0c,
  f64x2Splat: 0x14, i64x2ExtractLane: 0x1d, f64x2Ceil: 0x74, f64x2Floor: 0x75, f64x2Trunc: 0x7a,
  f64x2Eq: 0x47, f64x2Ne: 0x48, f64x2Lt: 0x49, f64x2Gt: 0x4a, f64x2Le: 0x4b, f64x2Ge: 0x4c,
  not: 0x4d, and: 0x4e, bitselect: 0x52, store64Lane: 0x5b, load64Zero: 0x5d,
  f32x4DemoteF64x2Zero: 0x5e, f64x2PromoteLowF32x4: 0x5f,
  i16x8ExtendLowI8x16U: 0x89, i32x4ExtendLowI16x8U: 0xa9,
  f64x2Abs: 0xec, f64x2Neg: 0xed, f64x2Sqrt: 0xef, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2, f64x2Div: 0xf3, f64x2Min: 0xf4, f64x2Max: 0xf5,
  f64x2ConvertLowI32x4S: 0xfe, f64x2ConvertLowI32x4U: 0xff,
} as const;
const F64 = 0x7c;
const I32 = 0x7f;
const V128 = 0x7b;

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
 * One element at a time (f64 values, i32 truths) or two (f64x2 values, v128 lane masks). The two
 * compute the same IEEE operations on each element, so they give the same bits.
 */
interface Lanes {
  width: 1 | 2;
  type: number;
  num(value: number): number[];
  /** A float64 parameter (a local) as a value. */
  param(local: number): number[];
  arith: Record<string, number[]>;
  neg: number[];
  abs: number[];
  sqrt: number[];
  fround: number[];
  /** Rounding to an integer toward −∞, +∞ and 0: IEEE operations, as Math.floor, ceil and trunc. */
  floor: number[];
  ceil: number[];
  trunc: number[];
  /** Comparisons push a truth: an i32 0/1, or lanes of all ones / zeros. */
  compare: Record<string, number[]>;
  /** A truth as the number JavaScript's arithmetic makes of a boolean: 0 or 1. */
  truthToNumber: number[];
  truthAnd: number[];
  truthNot: number[];
  /** then, else, truth → then where true, else elsewhere. */
  select: number[];
  /** An input element (or a broadcast one, splat to every lane) as a value. */
  load(elem: Elem, broadcast: boolean): number[];
}

const SCALAR: Lanes = {
  width: 1,
  type: F64,
  num: (value) => [OP.f64Const, ...f64Bytes(value)],
  param: (local) => [OP.localGet, ...uleb(local)],
  arith: { '+': [OP.f64Add], '-': [OP.f64Sub], '*': [OP.f64Mul], '/': [OP.f64Div], max: [OP.f64Max], min: [OP.f64Min] },
  neg: [OP.f64Neg],
  abs: [OP.f64Abs],
  sqrt: [OP.f64Sqrt],
  fround: [OP.f32DemoteF64, OP.f64PromoteF32],
  floor: [OP.f64Floor],
  ceil: [OP.f64Ceil],
  trunc: [OP.f64Trunc],
  compare: { '===': [OP.f64Eq], '==': [OP.f64Eq], '!==': [OP.f64Ne], '!=': [OP.f64Ne], '<': [OP.f64Lt], '<=': [OP.f64Le], '>': [OP.f64Gt], '>=': [OP.f64Ge] },
  truthToNumber: [OP.f64ConvertI32U],
  truthAnd: [OP.i32And],
  truthNot: [OP.i32Eqz],
  select: [OP.select],
  load: (elem) =>
    elem === 'f32' ? [OP.f32Load, 2, 0, OP.f64PromoteF32]
    : elem === 'f64' ? [OP.f64Load, 3, 0]
    : elem === 'i32' ? [OP.i32Load, 2, 0, OP.f64ConvertI32S]
    : [OP.i32Load8u, 0, 0, OP.f64ConvertI32U],
};

const PAIR: Lanes = {
  width: 2,
  type: V128,
  num: (value) => simd(V.const, ...f64Bytes(value), ...f64Bytes(value)),
  param: (local) => [OP.localGet, ...uleb(local), ...simd(V.f64x2Splat)],
  arith: { '+': simd(V.f64x2Add), '-': simd(V.f64x2Sub), '*': simd(V.f64x2Mul), '/': simd(V.f64x2Div), max: simd(V.f64x2Max), min: simd(V.f64x2Min) },
  neg: simd(V.f64x2Neg),
  abs: simd(V.f64x2Abs),
  sqrt: simd(V.f64x2Sqrt),
  fround: [...simd(V.f32x4DemoteF64x2Zero), ...simd(V.f64x2PromoteLowF32x4)],
  floor: simd(V.f64x2Floor),
  ceil: simd(V.f64x2Ceil),
  trunc: simd(V.f64x2Trunc),
  compare: { '===': simd(V.f64x2Eq), '==': simd(V.f64x2Eq), '!==': simd(V.f64x2Ne), '!=': simd(V.f64x2Ne), '<': simd(V.f64x2Lt), '<=': simd(V.f64x2Le), '>': simd(V.f64x2Gt), '>=': simd(V.f64x2Ge) },
  truthToNumber: [...simd(V.const, ...f64Bytes(1), ...f64Bytes(1)), ...simd(V.and)],
  truthAnd: simd(V.and),
  truthNot: simd(V.not),
  select: simd(V.bitselect),
  load: (elem, broadcast) => {
    const bytes = { f32: 4, f64: 8, i32: 4, u8: 1 }[elem];
    // Two elements (8 bytes of f32 or i32, 16 of f64, 2 of u8), or one splat to every lane.
    const raw =
      elem === 'f64' ? simd(broadcast ? V.load64Splat : V.load, 3, 0)
      : elem === 'u8' ? simd(broadcast ? V.load8Splat : V.load16Splat, 0, 0)
      : simd(broadcast ? V.load32Splat : V.load64Zero, bytes === 4 && broadcast ? 2 : 3, 0);
    if (elem === 'f64') return raw;
    if (elem === 'f32') return [...raw, ...simd(V.f64x2PromoteLowF32x4)];
    if (elem === 'i32') return [...raw, ...simd(V.f64x2ConvertLowI32x4S)];
    return [...raw, ...simd(V.i16x8ExtendLowI8x16U), ...simd(V.i32x4ExtendLowI16x8U), ...simd(V.f64x2ConvertLowI32x4U)];
  },
};

/**
 * The function `run(out, outStep, a, aStep, …, n, p0, p1, …)`: n elements, each pointer in bytes
 * and advanced by its step in bytes after each element (0: a broadcast value). When `paired`,
 * pairs of elements go through f64x2 first (out and every input contiguous or broadcast, as
 * `broadcast` says), then the last one alone.
 */
function generate(expr: string, body: string | undefined, out: Elem, inputs: Elem[], paramCount: number, broadcast: boolean[] | null): Uint8Array {
  const statements = parseBody(body ?? '');
  const temps = new Set(statements.map((s) => s.name));
  const root = parse(expr, temps);
  if (out === 'i32') throw new Unsupported('int32 stores wrap modulo 2³²; WebAssembly has no such conversion');

  // Locals: params first (out, outStep, [ptr, step] per input, n, p…), then i, then per lane
  // width one value per input and per temporary (f64 for one, v128 for two), and a v128 scratch.
  const n = 2 + 2 * inputs.length;
  const firstParam = n + 1;
  const counter = firstParam + paramCount;
  const values = inputs.length + statements.length;
  const firstOf = { 1: counter + 1, 2: counter + 1 + values } as const;
  const scratch = counter + 1 + 2 * values;
  const code: number[] = [];
  const emit = (...b: number[]): void => {
    code.push(...b);
  };

  /** One loop over `lanes.width` elements a turn, while at least that many are left. */
  const loop = (lanes: Lanes): void => {
    const first = firstOf[lanes.width];
    const tempLocal = new Map(statements.map((st, k) => [st.name, first + inputs.length + k]));
    /** Pushes node's value (a comparison as 0 or 1, as JavaScript's arithmetic sees it). */
    const value = (node: Node): void => {
      switch (node.kind) {
        case 'num':
          return emit(...lanes.num(node.value));
        case 'input':
          if (node.index >= inputs.length) throw new Unsupported(expr);
          return emit(OP.localGet, ...uleb(first + node.index));
        case 'param':
          if (node.index >= paramCount) throw new Unsupported(expr);
          return emit(...lanes.param(firstParam + node.index));
        case 'temp':
          return emit(OP.localGet, ...uleb(tempLocal.get(node.name) as number));
        case 'neg':
        case 'abs':
        case 'sqrt':
        case 'fround':
        case 'floor':
        case 'ceil':
        case 'trunc':
          return value(node.arg), emit(...lanes[node.kind]);
        case 'not':
          return truth(node.arg), emit(...lanes.truthNot, ...lanes.truthToNumber);
        case 'cond':
          value(node.then);
          value(node.else);
          truth(node.test);
          return emit(...lanes.select);
        case 'bin': {
          // A fused chain rounds a bool temporary as a byte store would: (comparison) & 255,
          // which is the comparison's 0 or 1. Any other bit operation stays in JavaScript.
          if (node.op === '&') {
            if (!isBoolean(node.left) || node.right.kind !== 'num' || node.right.value !== 255) throw new Unsupported(expr);
            return value(node.left);
          }
          // JavaScript's === between a boolean and a number is false, not a comparison of 0/1.
          if ((node.op === '===' || node.op === '!==') && (isBoolean(node.left) || isBoolean(node.right))) throw new Unsupported(expr);
          if (COMPARISONS.has(node.op)) return truth(node), emit(...lanes.truthToNumber);
          value(node.left);
          value(node.right);
          const op = lanes.arith[node.op];
          if (op === undefined) throw new Unsupported(expr);
          return emit(...op);
        }
      }
    };
    /** Pushes JavaScript's truth of node: a comparison as is; a number is true if ≠ 0 and not NaN. */
    const truth = (node: Node): void => {
      if (node.kind === 'bin' && COMPARISONS.has(node.op)) {
        value(node.left);
        value(node.right);
        return emit(...lanes.compare[node.op]);
      }
      if (node.kind === 'not') return truth(node.arg), emit(...lanes.truthNot);
      value(node);
      emit(...lanes.num(0), ...lanes.compare['!=']);
      value(node);
      value(node);
      emit(...lanes.compare['=='], ...lanes.truthAnd);
    };
    const advance = (ptr: number, step: number) => {
      emit(OP.localGet, ...uleb(ptr), OP.localGet, ...uleb(step));
      if (lanes.width === 2) emit(OP.i32Const, 1, OP.i32Shl);
      emit(OP.i32Add, OP.localSet, ...uleb(ptr));
    };

    // block { loop { if (i + width > n) break; …; i += width; continue } }
    emit(OP.block, 0x40, OP.loop, 0x40);
    emit(OP.localGet, ...uleb(counter), OP.i32Const, ...sleb(lanes.width), OP.i32Add, OP.localGet, ...uleb(n), OP.i32GtS, OP.brIf, 1);
    inputs.forEach((elem, k) => {
      emit(OP.localGet, ...uleb(2 + 2 * k), ...lanes.load(elem, broadcast?.[k] ?? false), OP.localSet, ...uleb(first + k));
    });
    for (const st of statements) {
      value(st.node);
      emit(OP.localSet, ...uleb(tempLocal.get(st.name) as number));
    }
    if (out === 'u8') {
      // A bool store keeps (value != 0): NaN counts as true, as JavaScript's `!=` has it.
      if (lanes.width === 1) {
        emit(OP.localGet, 0);
        value(root);
        emit(...lanes.num(0), OP.f64Ne, OP.i32Store8, 0, 0);
      } else {
        // Each lane's truth as an i64 0 or 1, stored as a byte.
        const ones = [1, 0, 0, 0, 0, 0, 0, 0];
        value(root);
        emit(...lanes.num(0), ...lanes.compare['!='], ...simd(V.const, ...ones, ...ones), ...simd(V.and), OP.localSet, ...uleb(scratch));
        for (const lane of [0, 1]) emit(OP.localGet, 0, OP.localGet, ...uleb(scratch), ...simd(V.i64x2ExtractLane, lane), OP.i32WrapI64, OP.i32Store8, 0, lane);
      }
    } else {
      emit(OP.localGet, 0);
      value(root);
      if (lanes.width === 1) emit(...(out === 'f32' ? [OP.f32DemoteF64, OP.f32Store, 2, 0] : [OP.f64Store, 3, 0]));
      else emit(...(out === 'f32' ? [...simd(V.f32x4DemoteF64x2Zero), ...simd(V.store64Lane, 3, 0, 0)] : simd(V.store, 3, 0)));
    }
    advance(0, 1);
    inputs.forEach((_, k) => advance(2 + 2 * k, 3 + 2 * k));
    emit(OP.localGet, ...uleb(counter), OP.i32Const, ...sleb(lanes.width), OP.i32Add, OP.localSet, ...uleb(counter));
    emit(OP.br, 0, OP.end, OP.end);
  };
  if (broadcast !== null) loop(PAIR);
  loop(SCALAR);
  emit(OP.end);

  const paramTypes = [...new Array(n + 1).fill(I32), ...new Array(paramCount).fill(F64)];
  const localDecls = vector([[...uleb(1), I32], [...uleb(values), F64], [...uleb(values + 1), V128]]);
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
  // The stream asks whether a pass is covered, then runs its tiles: look its function up once.
  const byArgs = new WeakMap<MapArgs, RunFn | null>();
  const fnFor = (args: MapArgs): RunFn | null => {
    const known = byArgs.get(args);
    if (known !== undefined) return known;
    const fn = lookUp(args);
    byArgs.set(args, fn);
    return fn;
  };
  const lookUp = (args: MapArgs): RunFn | null => {
    if (!args.heap) return null;
    const out = elemOf(args.out);
    const inputs = args.inputs.map(elemOf);
    // Pairs through f64x2 when every inner stride is 1 (0 for a broadcast input); else one by one.
    const paired = innerStride(args.outStrides) === 1 && args.strides.every((st, k) => (innerStride(st) === 0 || innerStride(st) === 1) && separateOrSame(args, k));
    const broadcast = paired ? args.strides.map((st) => innerStride(st) === 0) : null;
    const key = `${out}|${inputs.join(',')}|${broadcast?.map(Number).join('') ?? 'strided'}|${args.params.length}|${args.body ?? ''}|${args.expr}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      try {
        const bytes = generate(args.expr, args.body, out, inputs, args.params.length, broadcast);
        fn = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap } }).exports.run;
      } catch {
        // Unsupported syntax, or (a bug) bytes V8 refuses: the JavaScript loop runs it instead,
        // on every thread alike. The tests check that the expressions Skein generates compile.
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
      const { inputs, out } = args;
      const call: number[] = new Array(2 + 2 * inputs.length + 1 + args.params.length);
      call[1] = innerStride(args.outStrides) * out.BYTES_PER_ELEMENT;
      inputs.forEach((x, k) => (call[3 + 2 * k] = innerStride(args.strides[k]) * x.BYTES_PER_ELEMENT));
      args.params.forEach((p, k) => (call[3 + 2 * inputs.length + k] = p));
      forEachRun(args, start, end, (outAddress, addresses, count) => {
        call[0] = outAddress;
        for (let k = 0; k < inputs.length; k++) call[2 + 2 * k] = addresses[k];
        call[2 + 2 * inputs.length] = count;
        fn(...call);
      });
    },
  };
}
