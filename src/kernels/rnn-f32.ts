// σ, tanh and the LSTM cell in float32 arithmetic, for float32 tensors: every operation rounded
// to float32 (Math.fround), op for op as src/kernels/wasm/rnn.ts computes them in f32x4 lanes, so
// the WebAssembly loops and these give the same bits. Why float32: the float64 polynomials
// (rnn.ts) cost ≈ 60 ns an element in the LSTM cell here, ≈ 85 % of it e^x; four float32 lanes
// with a degree-5 e^x are over ten times cheaper, and float32 is what the tensor holds anyway
// (PyTorch's CPU LSTM computes its gates in float32 too).
// Nothing in src/kernels may import tensor, ops, graph or runtime.

const f = Math.fround;

// e^x as Cephes' expf: x clamped to [−87, 88] (so 2^k stays normal), x = k·ln2 + r with ln2 in two
// parts (C1 has 9 significant bits, so k·C1 is exact), e^r ≈ 1 + r + r²·P(r). Within 2 ulp.
const LO = f(-87);
const HI = f(88);
const LOG2E = f(1.44269504088896341);
const C1 = f(0.693359375);
const C2 = f(-2.12194440e-4);
const P0 = f(1.9875691500e-4);
const P1 = f(1.3981999507e-3);
const P2 = f(8.3334519073e-3);
const P3 = f(4.1665795894e-2);
const P4 = f(1.6666665459e-1);
const P5 = f(5.0000001201e-1);
/** 2^k for k = −127 … 127 (all exact in float32), indexed k + 127. */
const POW2 = Float32Array.from({ length: 255 }, (_, i) => 2 ** (i - 127));

export function expF32(x: number): number {
  // pmin/pmax, as the WebAssembly lanes clamp: a NaN x passes through.
  const lo = x < LO ? LO : x;
  const xc = HI < lo ? HI : lo;
  const k = Math.floor(f(f(xc * LOG2E) + 0.5));
  let r = f(xc - f(k * C1));
  r = f(r - f(k * C2));
  const z = f(r * r);
  let p = f(f(P0 * r) + P1);
  p = f(f(p * r) + P2);
  p = f(f(p * r) + P3);
  p = f(f(p * r) + P4);
  p = f(f(p * r) + P5);
  p = f(f(f(p * z) + r) + 1);
  return f(p * POW2[k + 127]);
}

export function sigmoidF32(x: number): number {
  return f(1 / f(1 + expF32(-x)));
}

// tanh's Taylor series in s = x², x³ term on (−1/3, 2/15, −17/315, …, −929569/638512875): below
// |x| = ½ the first omitted term (x¹⁷) is < 1e-8 relative; above, 1 − 2/(e^(2|x|) + 1) has no
// cancellation. Both branches are computed in the lanes; the sign is x's (so tanh(−0) = −0).
const T3 = f(-1 / 3);
const T5 = f(2 / 15);
const T7 = f(-17 / 315);
const T9 = f(62 / 2835);
const T11 = f(-1382 / 155925);
const T13 = f(21844 / 6081075);
const T15 = f(-929569 / 638512875);
const HALF = f(0.5);

export function tanhF32(x: number): number {
  const a = Math.abs(x);
  let v: number;
  if (a < HALF) {
    const s = f(a * a);
    let p = f(f(T15 * s) + T13);
    p = f(f(p * s) + T11);
    p = f(f(p * s) + T9);
    p = f(f(p * s) + T7);
    p = f(f(p * s) + T5);
    p = f(f(p * s) + T3);
    v = f(a + f(f(a * s) * p));
  } else {
    v = f(1 - f(2 / f(expF32(f(2 * a)) + 1)));
  }
  return x < 0 || (x === 0 && 1 / x < 0) ? -v : v;
}

/** Rows [start, end) of the LSTM cell forward (lstmCellKernel's equations), float32 arithmetic. */
export function lstmForwardF32(gi: Float32Array, giOffset: number, gh: Float32Array, ghOffset: number, c: Float32Array, cOffset: number, out: Float32Array, rows: number, H: number, start: number, end: number): void {
  const cOut = rows * H;
  for (let r = start; r < end; r++) {
    const a = giOffset + r * 4 * H;
    const b = ghOffset + r * 4 * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoidF32(f(gi[a + j] + gh[b + j]));
      const fg = sigmoidF32(f(gi[a + H + j] + gh[b + H + j]));
      const g = tanhF32(f(gi[a + 2 * H + j] + gh[b + 2 * H + j]));
      const o = sigmoidF32(f(gi[a + 3 * H + j] + gh[b + 3 * H + j]));
      const cNew = f(f(fg * c[cOffset + r * H + j]) + f(i * g));
      out[cOut + r * H + j] = cNew;
      out[r * H + j] = f(o * tanhF32(cNew));
    }
  }
}

/** Rows [start, end) of the LSTM cell backward (lstmCellBackwardKernel's equations), float32 arithmetic. */
export function lstmBackwardF32(gi: Float32Array, giOffset: number, gh: Float32Array, ghOffset: number, c: Float32Array, cOffset: number, grad: Float32Array, gOffset: number, out: Float32Array, rows: number, H: number, start: number, end: number): void {
  const gc = gOffset + rows * H;
  for (let r = start; r < end; r++) {
    const a = giOffset + r * 4 * H;
    const b = ghOffset + r * 4 * H;
    const o5 = r * 5 * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoidF32(f(gi[a + j] + gh[b + j]));
      const fg = sigmoidF32(f(gi[a + H + j] + gh[b + H + j]));
      const g = tanhF32(f(gi[a + 2 * H + j] + gh[b + 2 * H + j]));
      const o = sigmoidF32(f(gi[a + 3 * H + j] + gh[b + 3 * H + j]));
      const cPrev = c[cOffset + r * H + j];
      const tc = tanhF32(f(f(fg * cPrev) + f(i * g)));
      const dh = grad[gOffset + r * H + j];
      const dc = f(grad[gc + r * H + j] + f(f(dh * o) * f(1 - f(tc * tc))));
      out[o5 + j] = f(f(f(dc * g) * i) * f(1 - i));
      out[o5 + H + j] = f(f(f(dc * cPrev) * fg) * f(1 - fg));
      out[o5 + 2 * H + j] = f(f(dc * i) * f(1 - f(g * g)));
      out[o5 + 3 * H + j] = f(f(f(dh * tc) * o) * f(1 - o));
      out[o5 + 4 * H + j] = f(dc * fg);
    }
  }
}
