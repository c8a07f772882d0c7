// AssemblyScript source of the uniform draws used by src/kernels/random-wasm.ts: Philox4x32-10
// (Salmon et al. 2011) with 64-bit multiplies for the high words, giving the same bits as the
// TypeScript loop in src/kernels/random.ts (which builds each high word from 16-bit halves).
// Pointers are byte offsets into the imported tensor heap; the module keeps nothing in memory.
// Not part of the TypeScript project (tsconfig excludes src/kernels/wasm).

const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;

/**
 * out[i] = p0 + (p1 − p0)·u for i in [from, to), u = the 53-bit uniform of words 0 and 1 of
 * Philox(key (k0, k1), counter + i), computed in f64 and stored as f32 (wide = 0) or f64 (wide = 1).
 */
export function uniform(out: usize, from: i32, to: i32, k0: u32, k1: u32, counter: f64, p0: f64, p1: f64, wide: i32): void {
  const base = <u64>counter;
  const span = p1 - p0;
  for (let i = from; i < to; i++) {
    const c = base + <u64>i;
    let x0 = <u32>c, x1 = <u32>(c >> 32), x2: u32 = 0, x3: u32 = 0;
    let a = k0, b = k1;
    for (let round = 0; round < 10; round++) {
      const p = M0 * <u64>x0;
      const q = M1 * <u64>x2;
      x0 = <u32>(q >> 32) ^ x1 ^ a;
      x1 = <u32>q;
      x2 = <u32>(p >> 32) ^ x3 ^ b;
      x3 = <u32>p;
      a += W0;
      b += W1;
    }
    const u = (<f64>(x0 >>> 5) * 67108864.0 + <f64>(x1 >>> 6)) / 9007199254740992.0;
    const v = p0 + span * u;
    if (wide) store<f64>(out + ((<usize>i) << 3), v);
    else store<f32>(out + ((<usize>i) << 2), <f32>v);
  }
}
