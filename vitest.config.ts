// Vitest configuration: build once before any test (compiled workers, dist/wasm kernels).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
  },
});
