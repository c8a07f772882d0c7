// Which matmul kernel a process picks, in child processes with their own environment (the choice
// is made once, when Skein loads): OpenBLAS when its addon loads, WebAssembly when the addon is
// absent (SKEIN_NATIVE=off hides it, as on a machine without libopenblas-dev), SKEIN_MATMUL to
// override, and a clear failure when native is forced but cannot load.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/native.js';

const entry = new URL('../../dist/src/index.js', import.meta.url).href;
const addonBuilt = loadAddon('blas').addon !== null;

/**
 * Runs products in a fresh process, inline and on the pool (pooledOk: right, and the same bits as
 * inline, so the workers run the main thread's kernel), and reports the kernel in use:
 *   [1 2] [5 6]   [19 22]
 *   [3 4] [7 8] = [43 50]
 */
const SCRIPT = `
const { tensor, randn, runtimeStats, setInlineLimit } = await import(${JSON.stringify(entry)});
const small = await tensor([[1, 2], [3, 4]]).matmul(tensor([[5, 6], [7, 8]])).toArray();
const a = randn([300, 200]), b = randn([200, 100]);
setInlineLimit(Infinity);
const inline = await a.matmul(b).data();
setInlineLimit(0);
const pooled = await a.matmul(b).data();
const row0 = await a.narrow(0, 0, 1).data(), col0 = await b.narrow(1, 0, 1).contiguous().data();
let want = 0; for (let p = 0; p < 200; p++) want += row0[p] * col0[p];
// The workers' kernel gave the main thread's bits (the kernels' bits differ from one another).
const bytes = (x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const sameBits = bytes(inline).equals(bytes(pooled));
console.log(JSON.stringify({ kernel: runtimeStats().matmulKernel, small, pooledOk: Math.abs(pooled[0] - want) < 1e-3 && sameBits, pool: runtimeStats().poolLaunches }));
process.exit(0);
`;

function child(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, SKEIN_NATIVE: '', SKEIN_MATMUL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function report(env: Record<string, string>): { kernel: string; small: number[][]; pooledOk: boolean; pool: number } {
  const r = child(env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('the matmul kernel a process picks', () => {
  it.runIf(addonBuilt)('is OpenBLAS when the addon is built', () => {
    const r = report({});
    expect(r).toEqual({ kernel: 'native', small: [[19, 22], [43, 50]], pooledOk: true, pool: expect.any(Number) });
    expect(r.pool).toBeGreaterThan(0);
  });

  it('falls back to WebAssembly when the addon is absent, and still computes', () => {
    const r = report({ SKEIN_NATIVE: 'off' });
    expect(['relaxed', 'simd', 'js']).toContain(r.kernel);
    expect(r.small).toEqual([[19, 22], [43, 50]]);
    expect(r.pooledOk).toBe(true);
    expect(r.pool).toBeGreaterThan(0);
  });

  it.each(['relaxed', 'simd', 'js'])('is %s when SKEIN_MATMUL says so, on the main thread and in the workers', (forced) => {
    const r = report({ SKEIN_MATMUL: forced });
    expect(r.kernel).toBe(forced);
    expect(r.small).toEqual([[19, 22], [43, 50]]);
    expect(r.pooledOk).toBe(true);
  });

  it('refuses a kernel name it does not know, listing the ones it does', () => {
    const r = child({ SKEIN_MATMUL: 'blas' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ValueError: SKEIN_MATMUL=blas: expected native, relaxed, simd or js/);
  });

  it('fails loudly, naming the reason, when SKEIN_MATMUL=native cannot be honoured', () => {
    const r = child({ SKEIN_MATMUL: 'native', SKEIN_NATIVE: 'off' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/DeviceError: SKEIN_MATMUL=native, but the BLAS addon is unavailable: SKEIN_NATIVE=off/);
  });
});

describe('the native build', () => {
  const build = fileURLToPath(new URL('../../native/build.mjs', import.meta.url));

  /** native/build.mjs into a scratch directory, with a PATH that has sh but no C compiler. */
  function buildWithoutCompiler(env: Record<string, string>): { status: number | null; out: string } {
    const bin = mkdtempSync(join(tmpdir(), 'skein-nocc-'));
    const out = mkdtempSync(join(tmpdir(), 'skein-native-out-'));
    try {
      symlinkSync(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim(), join(bin, 'sh'));
      const r = spawnSync(process.execPath, [build], { env: { ...process.env, PATH: bin, SKEIN_NATIVE_OUT: out, ...env }, encoding: 'utf8' });
      expect(existsSync(join(out, 'blas.node')), 'no addon left behind').toBe(false);
      return { status: r.status, out: r.stdout + r.stderr };
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }

  it('says in one line that matmul uses WebAssembly when there is no C compiler, and succeeds', () => {
    const r = buildWithoutCompiler({ SKEIN_REQUIRE_NATIVE: '' });
    expect(r.status).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('native: blas'))).toEqual(['native: blas not built: no cc on PATH; matmul uses WebAssembly']);
  });

  it('fails instead when SKEIN_REQUIRE_NATIVE names blas (CI)', () => {
    const r = buildWithoutCompiler({ SKEIN_REQUIRE_NATIVE: 'blas' });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/SKEIN_REQUIRE_NATIVE=blas names an addon that was not built/);
  });
});
