#!/usr/bin/env node
// Prints the ISA levels below this machine's best, lowest first, one a line
// (x86: scalar avx2 avx512 avx512vnni amx as the CPU has them; aarch64:
// scalar neon neondot): the SPARQ_ISA caps under which .ci/run reruns the
// kernel and runtime tests, so every variant the dispatch can pick on a
// smaller CPU runs here too. Each level is checked in a child process: a cap
// that the addon did not take (a misspelt level, SPARQ_ISA not read) would
// rerun the best level's tests under another name.
//
//   node scripts/isa-levels.mjs [path/to/sparq.node]   (default build/Release/sparq.node)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const addonPath = resolve(process.argv[2] ?? 'build/Release/sparq.node');

// Each ladder lists its levels by the cpuInfo() flag that says the CPU has them.
const LADDERS = {
  x64: [['scalar', null], ['avx2', 'avx2Fma'], ['avx512', 'avx512'], ['avx512vnni', 'avx512Vnni'], ['amx', 'amxInt8']],
  arm64: [['scalar', null], ['neon', 'neon'], ['neondot', 'neonDot']],
};

function cpuInfoUnder(level) {
  const env = { ...process.env };
  delete env.SPARQ_ISA;
  if (level !== null) env.SPARQ_ISA = level;
  const r = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(addonPath)}).cpuInfo())`], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading ${addonPath}${level ? ` with SPARQ_ISA=${level}` : ''} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const ladder = LADDERS[process.arch];
if (!ladder) throw new Error(`no ISA ladder for ${process.arch}`);
const info = cpuInfoUnder(null);
const present = ladder.filter(([, flag]) => flag === null || info[flag]).map(([level]) => level);
if (present.at(-1) !== info.best) throw new Error(`the addon's best ISA is ${info.best}, the CPU flags say ${present.at(-1)}`);
for (const level of present.slice(0, -1)) {
  const capped = cpuInfoUnder(level).best;
  if (capped !== level) throw new Error(`SPARQ_ISA=${level} gave the addon's best ISA ${capped}`);
  console.log(level);
}
