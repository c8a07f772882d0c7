// float32 elementwise passes in WebAssembly SIMD, on tensors where they live in the tensor heap.
// mapKernel tries this first; whatever it declines (other dtypes, fused bodies, expressions
// without a WASM loop, inner strides other than 0 or 1, partial overlaps) runs in JavaScript.
// Both give the same bits (see src/kernels/wasm/elementwise.ts), so the choice never shows.
// Nothing in src/kernels may import tensor, ops, graph or runtime.
import { BINARY, UNARY, type MapArgs } from './elementwise.js';
import { forEachRun, innerStride } from './runs.js';
import { instantiate, wasmValidates, type WasmMemory } from './wasm-module.js';

const FILE = 'elementwise.wasm';

/** Expression → op code of `unary` in the WASM module (FILL takes no input). */
const WASM_UNARY = new Map<string, number>([
  [UNARY.copy, 0],
  [UNARY.neg, 1],
  [UNARY.relu, 2],
  [UNARY.abs, 3],
  [UNARY.sqrt, 4],
  [UNARY.square, 5],
  [UNARY.clamp, 6],
  ['p0', 7],
]);
const FILL = 7;

/** Expression → op code of `binary`. */
const WASM_BINARY = new Map<string, number>([
  [BINARY.add, 0],
  [BINARY.sub, 1],
  [BINARY.mul, 2],
  [BINARY.div, 3],
  [BINARY.maximum, 4],
  [BINARY.minimum, 5],
]);

/** Rows shorter than this cost more in calls than the SIMD loop saves. */
const MIN_ROW = 16;

interface ElementwiseExports {
  unary(op: number, out: number, a: number, aStep: number, n: number, p0: number, p1: number): void;
  binary(op: number, out: number, a: number, aStep: number, b: number, bStep: number, n: number): void;
}

export interface WasmMap {
  /** Whether this pass runs here: a pure function of the arguments, so every thread agrees. */
  covers(args: MapArgs): boolean;
  /** Elements [start, end) of a pass it covers. */
  run(args: MapArgs, start: number, end: number): void;
}

/** The op code of a WASM loop for this expression of `arity` inputs, or -1. */
function codeOf(expr: string, arity: number): number {
  const code = arity === 2 ? WASM_BINARY.get(expr) : arity < 2 ? WASM_UNARY.get(expr) : undefined;
  return code === undefined || (arity === 0) !== (code === FILL) ? -1 : code;
}

/**
 * Whether a float32 pass of this expression has a WASM loop (layout permitting): the graph
 * compiler leaves such ops unfused, since one SIMD pass each beats one JavaScript pass for all.
 */
export function hasWasmLoop(expr: string, arity: number): boolean {
  return codeOf(expr, arity) >= 0;
}

/** The op code for this pass, or -1. */
function opCode(args: MapArgs): number {
  if (!args.heap || args.body || !(args.out instanceof Float32Array)) return -1;
  const code = codeOf(args.expr, args.inputs.length);
  if (code < 0) return -1;
  for (const x of args.inputs) if (!(x instanceof Float32Array)) return -1;
  return code;
}


/** True when the SIMD loop can take this layout: contiguous rows out, rows or scalars in, no partial overlap. */
function layoutFits(args: MapArgs): boolean {
  const r = args.shape.length;
  if (r > 1 && args.shape[r - 1] < MIN_ROW) return false;
  if (innerStride(args.outStrides) !== 1) return false;
  for (let k = 0; k < args.inputs.length; k++) {
    const step = innerStride(args.strides[k]);
    if ((step !== 0 && step !== 1) || !separateOrSame(args, k)) return false;
  }
  return true;
}

/** This thread's WASM map over `heap`, or null where this Node cannot compile it. */
export function loadMapWasm(heap: WasmMemory): WasmMap | null {
  if (!wasmValidates(FILE)) return null;
  const wasm = instantiate<ElementwiseExports>(FILE, heap);
  return {
    covers: (args) => opCode(args) >= 0 && layoutFits(args),
    run(args, start, end) {
      const code = opCode(args);
      const arity = args.inputs.length;
      const p0 = args.params[0] ?? 0;
      const p1 = args.params[1] ?? 0;
      const aStep = arity > 0 ? innerStride(args.strides[0]) : 0;
      const bStep = arity > 1 ? innerStride(args.strides[1]) : 0;
      if (args.shape.length === 1) {
        // One run (every contiguous pass, once coalesced, is 1-D): no odometer, no closure.
        const out = args.out.byteOffset + (args.outOffset + start * args.outStrides[0]) * 4;
        const a = arity > 0 ? args.inputs[0].byteOffset + (args.offsets[0] + start * aStep) * 4 : out;
        if (arity === 2) wasm.binary(code, out, a, aStep, args.inputs[1].byteOffset + (args.offsets[1] + start * bStep) * 4, bStep, end - start);
        else wasm.unary(code, out, a, aStep, end - start, p0, p1);
        return;
      }
      forEachRun(args, start, end, (out, at, n) => {
        if (arity === 2) wasm.binary(code, out, at[0], aStep, at[1], bStep, n);
        else wasm.unary(code, out, arity > 0 ? at[0] : out, aStep, n, p0, p1);
      });
    },
  };
}

/**
 * Input k either is out itself (same addresses: an in-place op reads each element before it
 * writes it) or lies wholly apart from out. A partial overlap would see a SIMD loop's several-wide
 * order instead of the JavaScript loop's one-by-one order, so it must run one by one.
 */
export function separateOrSame(args: MapArgs, k: number): boolean {
  const x = args.inputs[k];
  const strides = args.strides[k];
  const size = x.BYTES_PER_ELEMENT;
  const outSize = args.out.BYTES_PER_ELEMENT;
  const start = x.byteOffset + args.offsets[k] * size;
  const outStart = args.out.byteOffset + args.outOffset * outSize;
  if (size === outSize && start === outStart && sameStrides(strides, args.outStrides)) return true;
  const shape = args.shape;
  return extentEnd(start, strides, shape, size) <= extentStart(outStart, args.outStrides, shape, outSize) || extentEnd(outStart, args.outStrides, shape, outSize) <= extentStart(start, strides, shape, size);
}

function sameStrides(a: readonly number[], b: readonly number[]): boolean {
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return false;
  return true;
}

// The byte range [first, end) a strided view touches, in two halves (no array per check: this
// runs for every pass, most of them tiny).
function extentStart(start: number, strides: number[], shape: number[], size: number): number {
  let lo = start;
  for (let d = 0; d < shape.length; d++) lo += Math.min(0, (shape[d] - 1) * strides[d]) * size;
  return lo;
}

function extentEnd(start: number, strides: number[], shape: number[], size: number): number {
  let hi = start;
  for (let d = 0; d < shape.length; d++) hi += Math.max(0, (shape[d] - 1) * strides[d]) * size;
  return hi + size;
}
