#!/usr/bin/env node
// Builds the native addon from the sources shipped in the package, with
// cmake-js (a dependency, so it is there in a consumer's node_modules too):
// `npm run build:native` in the repo, and the install script of the repo and
// of every project that installs sparq. Node's headers come from the
// node-api-headers package (package.json's binary.napi_versions tells cmake-js
// to use them), so the build needs no download, only cmake, make and a C++17
// compiler.
//
// --if-no-prebuild (the install script): a prebuilds/<platform>-<arch>/
// sparq.node that loads here is used as is, with no compiler needed. When the
// build fails, this prints why and how to fix it and exits 0: sparq then runs
// on its TypeScript reference backend. SPARQ_REQUIRE_NATIVE=1 turns a failed
// build into a failed install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const strict = process.env.SPARQ_REQUIRE_NATIVE === '1';
const ifNoPrebuild = process.argv.includes('--if-no-prebuild');
const cmakeArgs = process.argv.slice(2).filter((arg) => arg !== '--if-no-prebuild');

function giveUp(reason) {
  const fix =
    'Install cmake, make and a C++17 compiler (g++ or clang++), then run `npm rebuild sparq` ' +
    '(in a checkout of sparq: `npm run build:native`).';
  if (strict) {
    console.error(`sparq: native addon not built (${reason}), and SPARQ_REQUIRE_NATIVE=1 requires it.\n${fix}`);
    process.exit(1);
  }
  console.warn(`sparq: native addon not built (${reason}); the slow TypeScript reference backend will be used.\n${fix}`);
  process.exit(0);
}

/** The prebuild src/native.ts's loader would pick, when it loads in this Node on this machine. */
function loadablePrebuild() {
  const path = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'sparq.node');
  if (!existsSync(path)) return null;
  try {
    require(path);
    return path;
  } catch (e) {
    console.warn(`sparq: the prebuilt addon ${path} does not load here (${e.message}); building from source.`);
    return null;
  }
}

if (ifNoPrebuild) {
  const prebuild = loadablePrebuild();
  if (prebuild) {
    console.log(`sparq: using the prebuilt addon ${prebuild}`);
    process.exit(0);
  }
}

let cli;
try {
  cli = require.resolve('cmake-js/bin/cmake-js');
} catch {
  giveUp('cmake-js is not installed');
}
const result = spawnSync(process.execPath, [cli, 'compile', ...cmakeArgs], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) giveUp(result.error ? `cmake-js did not start: ${result.error.message}` : `cmake-js exited with ${result.status ?? result.signal}`);
