// The README's Ctrl-C pattern in a child process: a SIGINT handler that calls shutdown() ends the
// training loop with a caught DeviceError, the parameters stay readable, and the exit code is 0.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/sigint-pattern.mjs');

it('stops a training loop cleanly on SIGINT with the documented pattern', { timeout: 60_000 }, async () => {
  const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!sent && out.includes('step 2\n')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
  expect(run.out).toMatch(/stopped cleanly true\n/);
  expect(run.out).not.toMatch(/Uncaught|DeviceError: shutdown/);
  expect(run.code).toBe(0);
});
