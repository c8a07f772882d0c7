// Runs once before the test files: the same steps as `npm run build`. Node 20 cannot run .ts
// workers, so the pool loads dist/workers; the WASM matmul kernels load dist/wasm/*.wasm.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(script: string, args: string[]): void {
  execFileSync(process.execPath, [join(root, script), ...args], { cwd: root, stdio: 'inherit' });
}

export default function setup(): void {
  run('node_modules/typescript/bin/tsc', ['-b']);
  run('src/kernels/wasm/build.mjs', []);
  run('native/build.mjs', []);
}
