// Deterministic inputs shared by every implementation, so Skein and TensorFlow.js start each
// workload from the same numbers (the smoke test compares their results).

/**
 * n standard-normal float32 values from a 32-bit LCG and the Box–Muller transform:
 *   z = √(−2 ln u₁) · cos(2π u₂),  u₁ ∈ (0, 1], u₂ ∈ [0, 1).
 */
export function normalArray(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    out[i] = scale * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}
