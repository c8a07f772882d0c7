// AssemblyScript source of the WebAssembly float32 elementwise loops used by
// src/kernels/elementwise-wasm.ts. Built with an imported shared memory: the tensor heap itself,
// so the loops read and write tensors where they live, on every thread, with no copies.
// Every pointer is a byte offset into that heap. A step of 0 reads one value for every element
// (a broadcast scalar), a step of 1 reads a contiguous run.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm): v128 and usize are
// AssemblyScript types.
//
// Each op rounds exactly as the JavaScript loop does: for float32 inputs, +, −, ×, ÷ and √ in
// float64 then rounded to float32 equal the float32 operation (double rounding is innocuous
// here), and max/min commute with rounding. So the two paths give the same bits.

// Op codes: keep in step with WASM_UNARY and WASM_BINARY in src/kernels/elementwise-wasm.ts.
const COPY = 0;
const NEG = 1;
const RELU = 2;
const ABS = 3;
const SQRT = 4;
const SQUARE = 5;
const CLAMP = 6;
const FILL = 7;

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;
const MIN = 5;

// @ts-ignore: decorator
@inline function unaryV(op: i32, x: v128, lo: v128, hi: v128): v128 {
  if (op == COPY) return x;
  if (op == NEG) return f32x4.neg(x);
  // max(x, 0): NaN stays NaN, −0 and negatives become +0, as `a * (a > 0) + 0` does.
  if (op == RELU) return f32x4.max(x, f32x4.splat(0));
  if (op == ABS) return f32x4.abs(x);
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == SQUARE) return f32x4.mul(x, x);
  if (op == CLAMP) return f32x4.min(f32x4.max(x, lo), hi);
  return lo; // FILL
}

// @ts-ignore: decorator
@inline function unaryS(op: i32, x: f32, lo: f32, hi: f32): f32 {
  if (op == COPY) return x;
  if (op == NEG) return -x;
  if (op == RELU) return max<f32>(x, 0);
  if (op == ABS) return abs<f32>(x);
  if (op == SQRT) return sqrt<f32>(x);
  if (op == SQUARE) return x * x;
  if (op == CLAMP) return min<f32>(max<f32>(x, lo), hi);
  return lo; // FILL
}

// @ts-ignore: decorator
@inline function binaryV(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  if (op == DIV) return f32x4.div(x, y);
  if (op == MAX) return f32x4.max(x, y);
  return f32x4.min(x, y); // MIN
}

// @ts-ignore: decorator
@inline function binaryS(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  if (op == DIV) return x / y;
  if (op == MAX) return max<f32>(x, y);
  return min<f32>(x, y); // MIN
}

/** A step of 0 or 1 element, as a byte increment. */
// @ts-ignore: decorator
@inline function stepBytes(step: i32): usize {
  return step != 0 ? 4 : 0;
}

/** The loop for one op; inlined with a constant `op`, so every branch on it folds away. */
// @ts-ignore: decorator
@inline function unaryLoop(op: i32, out: usize, a: usize, aStep: i32, n: i32, p0: f32, p1: f32): void {
  const lo = f32x4.splat(p0);
  const hi = f32x4.splat(p1);
  const end = out + ((<usize>n) << 2);
  const vecEnd = out + ((<usize>(n & ~3)) << 2);
  if (aStep != 0 || op == FILL) {
    while (out < vecEnd) {
      v128.store(out, unaryV(op, v128.load(a), lo, hi));
      out += 16;
      a += 16;
    }
  } else {
    const x = unaryV(op, f32x4.splat(load<f32>(a)), lo, hi);
    while (out < vecEnd) {
      v128.store(out, x);
      out += 16;
    }
  }
  const inc = stepBytes(aStep);
  while (out < end) {
    store<f32>(out, unaryS(op, load<f32>(a), p0, p1));
    out += 4;
    a += inc;
  }
}

// @ts-ignore: decorator
@inline function binaryLoop(op: i32, out: usize, a: usize, aStep: i32, b: usize, bStep: i32, n: i32): void {
  const end = out + ((<usize>n) << 2);
  const vecEnd = out + ((<usize>(n & ~3)) << 2);
  if (aStep != 0 && bStep != 0) {
    while (out < vecEnd) {
      v128.store(out, binaryV(op, v128.load(a), v128.load(b)));
      out += 16;
      a += 16;
      b += 16;
    }
  } else if (aStep != 0) {
    const y = f32x4.splat(load<f32>(b));
    while (out < vecEnd) {
      v128.store(out, binaryV(op, v128.load(a), y));
      out += 16;
      a += 16;
    }
  } else if (bStep != 0) {
    const x = f32x4.splat(load<f32>(a));
    while (out < vecEnd) {
      v128.store(out, binaryV(op, x, v128.load(b)));
      out += 16;
      b += 16;
    }
  }
  const aInc = stepBytes(aStep);
  const bInc = stepBytes(bStep);
  // The tail; when both operands are broadcast, all of it.
  while (out < end) {
    store<f32>(out, binaryS(op, load<f32>(a), load<f32>(b)));
    out += 4;
    a += aInc;
    b += bInc;
  }
}

/** out[i] = op(a[i·aStep]) for i < n (p0, p1: clamp's bounds; FILL writes p0). */
export function unary(op: i32, out: usize, a: usize, aStep: i32, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case COPY: unaryLoop(COPY, out, a, aStep, n, p0, p1); break;
    case NEG: unaryLoop(NEG, out, a, aStep, n, p0, p1); break;
    case RELU: unaryLoop(RELU, out, a, aStep, n, p0, p1); break;
    case ABS: unaryLoop(ABS, out, a, aStep, n, p0, p1); break;
    case SQRT: unaryLoop(SQRT, out, a, aStep, n, p0, p1); break;
    case SQUARE: unaryLoop(SQUARE, out, a, aStep, n, p0, p1); break;
    case CLAMP: unaryLoop(CLAMP, out, a, aStep, n, p0, p1); break;
    default: unaryLoop(FILL, out, a, aStep, n, p0, p1);
  }
}

/** out[i] = op(a[i·aStep], b[i·bStep]) for i < n. */
export function binary(op: i32, out: usize, a: usize, aStep: i32, b: usize, bStep: i32, n: i32): void {
  switch (op) {
    case ADD: binaryLoop(ADD, out, a, aStep, b, bStep, n); break;
    case SUB: binaryLoop(SUB, out, a, aStep, b, bStep, n); break;
    case MUL: binaryLoop(MUL, out, a, aStep, b, bStep, n); break;
    case DIV: binaryLoop(DIV, out, a, aStep, b, bStep, n); break;
    case MAX: binaryLoop(MAX, out, a, aStep, b, bStep, n); break;
    default: binaryLoop(MIN, out, a, aStep, b, bStep, n);
  }
}
