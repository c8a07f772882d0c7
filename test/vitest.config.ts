// Vitest configuration: build once before any test (compiled workers, dist/wasm kernels).
// It lives in test/ so the package's top level stays as the project lays it out; the root is
// the package, so test paths and `npm test -- <file>` work as usual.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    globalSetup: ['./test/global-setup.ts'],
  },
});
