// Locates and loads Skein's optional native addons (built by native/build.mjs into dist/native).
// One way to load, one way to fall back: a missing or unloadable addon gives a reason, never a
// throw, and the caller keeps its portable path. SKEIN_NATIVE=off hides every addon (the test of
// the fallback, and a user's escape hatch).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type AddonResult<T> = { addon: T; path: string; reason: null } | { addon: null; path: string; reason: string };

const cache = new Map<string, AddonResult<unknown>>();

/** dist/native/<name>.node, from dist/src (compiled) or src (under vitest). */
export function addonPath(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const rel = here.endsWith('.js') ? `../native/${name}.node` : `../dist/native/${name}.node`;
  return fileURLToPath(new URL(rel, import.meta.url));
}

export function loadAddon<T>(name: string): AddonResult<T> {
  const hit = cache.get(name);
  if (hit !== undefined) return hit as AddonResult<T>;
  const path = addonPath(name);
  let result: AddonResult<T>;
  if (process.env.SKEIN_NATIVE === 'off') {
    result = { addon: null, path, reason: 'SKEIN_NATIVE=off' };
  } else if (!existsSync(path)) {
    result = { addon: null, path, reason: `${name}.node was not built (npm run build prints why)` };
  } else {
    try {
      result = { addon: createRequire(import.meta.url)(path) as T, path, reason: null };
    } catch (err) {
      result = { addon: null, path, reason: `${name}.node did not load: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  cache.set(name, result);
  return result;
}
