#!/usr/bin/env node
// Prints "N passed, N failed" (and ", N skipped") from mocha's JSON report and
// exits non-zero on any failure, on skipped tests, on no tests, or on a
// missing report (a crashed run).
import { readFileSync } from 'node:fs';

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (e) {
  console.log('0 passed, 1 failed');
  console.error(`no mocha report at ${path}: ${e.message}`);
  process.exit(1);
}
const { passes = 0, failures = 0, pending = 0 } = report.stats ?? {};
for (const f of report.failures ?? []) console.error(`FAILED: ${f.fullTitle}\n  ${f.err?.message ?? ''}`);
for (const p of report.pending ?? []) console.error(`SKIPPED: ${p.fullTitle}`);
console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
process.exit(failures > 0 || pending > 0 || passes === 0 ? 1 : 0);
