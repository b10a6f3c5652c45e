/**
 * A long libFuzzer run over the kernel harnesses:
 *   npm run fuzz:native -- --minutes N [--seed S] [--target T]
 * N minutes in all, split evenly between the targets (every harness, or T),
 * run one after another on the ASan/UBSan build (build-fuzz/). Each keeps
 * its corpus in build-fuzz-corpus/<target> (git-ignored), so runs build on
 * each other; a crash or hang ends that target's run and leaves its input in
 * build-fuzz-corpus/artifacts/<target>/ (commit it under
 * test/fuzz/native/regressions/<target>/ once fixed). Then a coverage build
 * (build-fuzz-cov/) replays every corpus for the line coverage of the kernel
 * files. The last stdout line is one JSON object with the figures.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { buildHarnesses, fuzz, harnessNames, lineCoverage, missingTools, root, type FuzzRun, type LineCoverage } from './libfuzzer.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string' } },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new RangeError('--minutes must be a number > 0');
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) throw new RangeError('--seed must be an integer >= 0');
const targets = values.target === undefined ? harnessNames() : [values.target];
for (const t of targets) if (!harnessNames().includes(t)) throw new RangeError(`--target must be one of ${harnessNames().join(', ')}`);
const missing = missingTools(true);
if (missing.length > 0) throw new Error(`${missing.join(', ')} not found (apt-get install clang-14 libclang-rt-14-dev llvm-14 cmake)`);

console.log(`fuzz:native seed ${seed}, ${minutes} min over ${targets.join(', ')}`);
const corpusRoot = join(root, 'build-fuzz-corpus');
const binaries = buildHarnesses(join(root, 'build-fuzz'));
const runs: Omit<FuzzRun, 'output'>[] = [];
for (const name of targets) {
  const { output, ...run } = fuzz(name, binaries.get(name)!, {
    seed, seconds: (minutes * 60) / targets.length, corpusDir: join(corpusRoot, name),
    artifactDir: join(corpusRoot, 'artifacts', name),
  });
  console.log(`${name}: ${run.executions} inputs, corpus ${run.corpus}, cov ${run.cov}, ft ${run.ft}, crashes ${run.crashes}, hangs ${run.hangs}`);
  if (run.crashes + run.hangs > 0) console.log(output);
  runs.push(run);
}
const coverageBinaries = new Map([...buildHarnesses(join(root, 'build-fuzz-cov'), true)].filter(([name]) => targets.includes(name)));
const coverage: LineCoverage = lineCoverage(coverageBinaries, new Map(targets.map((t) => [t, join(corpusRoot, t)])), join(corpusRoot, 'coverage'));
console.log(JSON.stringify({ target: 'native', seed, minutes, targets: runs, lineCoverage: coverage }));
