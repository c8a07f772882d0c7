// Compiles the WebAssembly kernels (AssemblyScript) into dist/wasm/: the matmul core (gemm.ts) as
// one plain SIMD128 module and one relaxed-SIMD module, which src/kernels/matmul-wasm.ts picks
// between at start-up, and the elementwise loops (elementwise.ts). Run by `npm run build` after
// tsc; `node src/kernels/wasm/build.mjs` works on its own.
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const outDir = join(root, 'dist', 'wasm');

/**
 * Output name → source and extra asc flags. The two matmul modules differ only in features.
 * Every module imports the tensor heap (a shared memory of up to 65536 pages, 4 GiB).
 */
const HEAP = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536'];
const MODULES = {
  'matmul-simd.wasm': ['gemm.ts', '--enable', 'simd', ...HEAP],
  'matmul-relaxed.wasm': ['gemm.ts', '--enable', 'simd', '--enable', 'relaxed-simd', ...HEAP],
  'elementwise.wasm': ['elementwise.ts', '--enable', 'simd', ...HEAP],
  'rnn.wasm': ['rnn.ts', '--enable', 'simd', ...HEAP],
  'conv.wasm': ['conv.ts', '--enable', 'simd', ...HEAP],
  'pool.wasm': ['pool.ts', '--enable', 'simd', ...HEAP],
  'random.wasm': ['random.ts', ...HEAP],
};

mkdirSync(outDir, { recursive: true });
for (const [name, [source, ...features]] of Object.entries(MODULES)) {
  const outFile = join(outDir, name);
  const { error, stderr } = await asc.main([
    join(here, source),
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
