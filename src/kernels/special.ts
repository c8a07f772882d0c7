// Special functions the map kernel's expressions call as $special.name(a): JavaScript's Math
// has no erf. Expressions naming $special are declined by the WASM compiler (expr-parse.ts has
// no such token), so they always run here, on every thread alike.
// Nothing in src/kernels may import tensor, ops, graph or runtime.

/**
 * erf(x), to about 1 ulp of float64: the Taylor series 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n!(2n+1)) for
 * |x| < 2.5, else the continued fraction of erfc (Abramowitz & Stegun 7.1.14):
 *   erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
 * Odd: erf(−x) = −erf(x); erf(±∞) = ±1; erf(NaN) = NaN.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1; // 1 − erf(6) ≈ 2e-17: below float64's half-ulp at 1
  let r: number;
  if (ax < 2.5) {
    const x2 = x * x;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Evaluated bottom-up from a fixed depth: 60 levels converge to float64 for x ≥ 2.5.
    let f = ax;
    for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/** Round half to even (banker's rounding), as torch.round; −0 stays −0. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; a half whose upward neighbour is odd goes down instead.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

export const SPECIAL = { erf, roundHalfEven } as const;
