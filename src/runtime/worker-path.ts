// Where the compiled worker entries are: Node 20 cannot run a .ts worker, so under vitest (which
// runs src/ as TypeScript) the workers come from dist/, which the tests build first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled file of workers/<file> (kernel.worker.js: piscina's; lane.worker.js: the lane's). */
export function workerPath(file = 'kernel.worker.js'): string {
  const here = fileURLToPath(import.meta.url);
  const compiled = here.endsWith('.js') ? new URL(`../../workers/${file}`, import.meta.url) : new URL(`../../dist/workers/${file}`, import.meta.url);
  const path = fileURLToPath(compiled);
  if (!existsSync(path)) throw new Error(`skein: the compiled worker ${path} is missing; run \`npm run build\``);
  return path;
}
