// Compiles the WebAssembly matmul core (gemm.ts, AssemblyScript) into dist/wasm/: one plain
// SIMD128 module and one relaxed-SIMD module, which src/kernels/matmul-wasm.ts picks between at
// start-up. Run by `npm run build` after tsc; `node src/kernels/wasm/build.mjs` works on its own.
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const outDir = join(root, 'dist', 'wasm');

/** Output name → extra asc flags. The same source; only the enabled features differ. */
const VARIANTS = {
  'matmul-simd.wasm': ['--enable', 'simd'],
  'matmul-relaxed.wasm': ['--enable', 'simd', '--enable', 'relaxed-simd'],
};

mkdirSync(outDir, { recursive: true });
for (const [name, features] of Object.entries(VARIANTS)) {
  const outFile = join(outDir, name);
  const { error, stderr } = await asc.main([
    join(here, 'gemm.ts'),
    '--outFile', outFile,
    '-O3', '--noAssert',
    '--runtime', 'stub',
    ...features,
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`wasm build failed for ${name}: ${error.message}`);
    process.exit(1);
  }
  console.log(`wasm: ${relative(root, outFile)}`);
}
