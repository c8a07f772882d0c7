// Builds Skein's optional native addons (C through Node-API) into dist/native/<name>.node. Each
// folder native/<name>/ with an addon.json is one addon; it is built only when its compiler and
// headers are present, and otherwise skipped with one line, since WebAssembly and the
// single-process paths stand in for it. Nothing is downloaded: Node's own headers are used.
//
// addon.json: { "name", "purpose", "fallback" (what runs without it), "install" (the package
//               that brings its headers), "compiler": "cc" | "mpicc", "sources": [...],
//               "headers": [...] (must compile), "cflags": [...], "libs": [...] }
//
// SKEIN_REQUIRE_NATIVE=blas,mpi (CI) turns a skip or a failed build of those addons into an
// error, so a missing system package fails the run instead of silently testing less.
// SKEIN_NATIVE_OUT=dir builds there instead (tests of the skip path, which must not touch dist).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outDir = process.env.SKEIN_NATIVE_OUT || join(root, 'dist', 'native');
const required = new Set((process.env.SKEIN_REQUIRE_NATIVE ?? '').split(',').filter(Boolean));

/** Node-API headers: beside the running node (official builds, nvm) or the distribution's. */
function nodeHeaders() {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h'))) ?? null;
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Compiles a one-line probe that includes each header, so a missing -dev package is named. */
function missingHeader(compiler, spec, include) {
  const dir = mkdtempSync(join(tmpdir(), 'skein-probe-'));
  try {
    for (const h of spec.headers ?? []) {
      writeFileSync(join(dir, 'probe.c'), `#include <${h}>\nint main(void) { return 0; }\n`);
      try {
        execFileSync(compiler, ['-c', join(dir, 'probe.c'), '-o', join(dir, 'probe.o'), `-I${include}`, ...(spec.cflags ?? [])], { stdio: 'pipe' });
      } catch {
        return h;
      }
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function build(dir, spec) {
  const compiler = which(spec.compiler ?? 'cc');
  if (compiler === null) return { skipped: `no ${spec.compiler ?? 'cc'} on PATH` };
  const include = nodeHeaders();
  if (include === null) return { skipped: "Node's headers (node_api.h) are not installed" };
  const header = missingHeader(compiler, spec, include);
  if (header !== null) return { skipped: `${header} is missing${spec.install ? ` (${spec.install})` : ''}` };
  const out = join(outDir, `${spec.name}.node`);
  const args = ['-O2', '-std=c11', '-Wall', '-Werror=implicit-function-declaration', '-fPIC', '-shared', `-I${include}`, ...(spec.cflags ?? []), ...spec.sources.map((s) => join(dir, s)), '-o', out, ...(spec.libs ?? [])];
  execFileSync(compiler, args, { stdio: 'inherit' });
  return { built: out };
}

mkdirSync(outDir, { recursive: true });
let failed = false;
for (const entry of readdirSync(here, { withFileTypes: true })) {
  const specFile = join(here, entry.name, 'addon.json');
  if (!entry.isDirectory() || !existsSync(specFile)) continue;
  const spec = JSON.parse(readFileSync(specFile, 'utf8'));
  let result;
  try {
    result = build(join(here, entry.name), spec);
  } catch (err) {
    result = { skipped: `the build failed (${err.message.split('\n')[0]})` };
  }
  if (result.built) {
    console.log(`native: ${spec.name} built (${spec.purpose})`);
  } else {
    rmSync(join(outDir, `${spec.name}.node`), { force: true });
    console.log(`native: ${spec.name} not built: ${result.skipped}; ${spec.fallback}`);
    if (required.has(spec.name)) failed = true;
  }
}
if (failed) {
  console.error(`native: SKEIN_REQUIRE_NATIVE=${[...required].join(',')} names an addon that was not built`);
  process.exit(1);
}
