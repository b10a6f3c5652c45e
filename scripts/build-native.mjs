#!/usr/bin/env node
// Builds the native addon with cmake-js at install time of the sparq repo
// itself. When sparq is installed as a dependency (no cmake-js, no compiler,
// or a failing build), it prints why and exits 0: sparq then runs on its
// TypeScript reference backend (or a prebuild). SPARQ_REQUIRE_NATIVE=1 turns
// a failed build into a failed install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const strict = process.env.SPARQ_REQUIRE_NATIVE === '1';

function giveUp(reason) {
  const message = `sparq: native addon not built (${reason}); the TypeScript reference backend will be used.`;
  if (strict) {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

let cli;
try {
  cli = require.resolve('cmake-js/bin/cmake-js');
} catch {
  giveUp('cmake-js is not installed');
}
const args = [cli, 'compile', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (result.status !== 0) giveUp(`cmake-js exited with ${result.status ?? result.signal}`);
