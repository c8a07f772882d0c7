// Ctrl-C during training, in a child process: with no handler the process ends at once (also
// while the main thread is busy draining the stream); with a handler that calls shutdown(), the
// pending read rejects with a clear error and the process then exits by itself — no worker thread
// is left to keep it alive. Then recovery in-process: shutdown() mid-flight, then training resumes.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeviceError, noGrad, randn, runtimeStats, setNumThreads, shutdown, synchronize } from '../../src/index.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/train-until-signal.mjs');
/** From the signal to the child's exit; a hung process would hit the test's own timeout first. */
const PROMPT_EXIT_MS = 5_000;
const TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  exitMs: number;
}

/** Starts the fixture, sends SIGINT once it has printed `after`, and measures how long it takes to end. */
function interrupt(mode: string, after: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let signalledAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signalledAt === 0 && stdout.includes(after)) {
        signalledAt = performance.now();
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, exitMs: signalledAt === 0 ? NaN : performance.now() - signalledAt }));
  });
}

describe('Ctrl-C during training', { timeout: TIMEOUT_MS }, () => {
  it('ends a script without a handler promptly, killed by SIGINT', async () => {
    const run = await interrupt('default', 'step 2\n');
    expect(run.signal).toBe('SIGINT');
    expect(run.exitMs).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('ends a script promptly even while a loop that never awaits holds the main thread', async () => {
    const run = await interrupt('never-await', 'step 0\n');
    expect(run.signal).toBe('SIGINT');
    expect(run.exitMs).toBeLessThan(PROMPT_EXIT_MS);
  });

  it('with a handler that calls shutdown(), rejects the pending read and lets the process exit by itself with code 0', async () => {
    const run = await interrupt('shutdown', 'step 2\n');
    expect(run.stdout).toMatch(/signal\n/);
    expect(run.stdout).toMatch(/rejected DeviceError: .*shut down while this result was still being computed/);
    expect(run.code).toBe(0);
    expect(run.exitMs).toBeLessThan(PROMPT_EXIT_MS);
  });
});

describe('shutdown() while work is in flight, then recovery', { timeout: TIMEOUT_MS }, () => {
  it('rejects every pending read with a DeviceError, keeps parameters usable, and lets training resume', async () => {
    setNumThreads(2);
    // 1024: on the pool for every matmul kernel (2 GFLOP, far above the 10 ms inline limit; 512³ now runs on the lane).
    const x = randn([1024, 1024]);
    const w = randn([1024, 1024]);
    await synchronize();
    const wBefore = await w.data();
    const before = runtimeStats().poolLaunches;
    const h = x.mm(w); // on the pool when shutdown() comes
    const g = h.relu().sum(0, true);
    noGrad(() => w.sub_(g.mul(1e-3))); // an update queued behind it: must not half-happen
    const reads = [h.data(), g.data()].map((r) => r.then(() => null, (e: unknown) => e));
    await shutdown();
    expect(runtimeStats().poolLaunches).toBeGreaterThan(before);
    for (const err of await Promise.all(reads)) {
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as Error).message).toMatch(/^shutdown: /);
    }
    // The queued update never ran: w is readable and unchanged, and synchronize() reports the abandoned step once.
    await synchronize().catch(() => undefined);
    expect(await w.data()).toEqual(wBefore);
    // A later op starts a new pool.
    const again = x.mm(w).sum();
    expect(Number.isFinite(await again.item())).toBe(true);
    await expect(synchronize()).resolves.toBeUndefined();
  });
});
