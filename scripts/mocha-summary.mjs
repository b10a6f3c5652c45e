#!/usr/bin/env node
// Prints "N passed, N failed" (and ", N skipped") from mocha's JSON reports
// and exits non-zero on any failure, on skipped tests, on a run with no
// tests, or on a missing report (a crashed run).
//
//   node scripts/mocha-summary.mjs [label=]report.json ...
//
// With several reports (.ci/run: the full suite, then the kernel and runtime
// tests once per ISA level below the machine's best) each gets a line of its
// own, and the last line is the total over all of them.
import { readFileSync } from 'node:fs';

const runs = process.argv.slice(2).map((arg) => {
  const eq = arg.lastIndexOf('='); // a label may hold '=' (SPARQ_ISA=avx2), the report's path not
  return eq > 0 ? { label: arg.slice(0, eq), path: arg.slice(eq + 1) } : { label: arg, path: arg };
});
if (runs.length === 0) {
  console.error('usage: mocha-summary.mjs [label=]report.json ...');
  process.exit(2);
}

const line = ({ passes, failures, pending }) => `${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`;
const total = { passes: 0, failures: 0, pending: 0 };
let bad = false;
for (const { label, path } of runs) {
  const prefix = runs.length > 1 ? `${label}: ` : '';
  let report;
  try {
    report = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    console.error(`${prefix}no mocha report at ${path}: ${e.message}`);
    report = { stats: { failures: 1 } }; // the run crashed or never started: one failure
  }
  const { passes = 0, failures = 0, pending = 0 } = report.stats ?? {};
  for (const f of report.failures ?? []) console.error(`FAILED: ${prefix}${f.fullTitle}\n  ${f.err?.message ?? ''}`);
  for (const p of report.pending ?? []) console.error(`SKIPPED: ${prefix}${p.fullTitle}`);
  if (runs.length > 1) console.log(`${prefix}${line({ passes, failures, pending })}`);
  if (failures > 0 || pending > 0 || passes === 0) bad = true;
  total.passes += passes;
  total.failures += failures;
  total.pending += pending;
}
console.log(line(total));
process.exit(bad ? 1 : 0);
