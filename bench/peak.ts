/**
 * The register-only peaks of this machine (bench/peak/peak-probe.cc): builds
 * the probe with the system's g++ (no ISA flags: each loop carries its own
 * target attribute) and runs it on one thread. Efficiency tables divide a
 * kernel's measured rate by the peak of the instruction its inner loop is
 * built on.
 *
 *   npx tsx bench/peak.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Gop/s (a multiply-add counts 2) by probe: avx2-fma, avx2-vpmaddwd, avx2-vpmaddubsw, avx512-fma, avx512-vnni; neon-fma, neon-smlal, neon-sdot. */
export type Peaks = Record<string, number>;

export function measurePeaks(): Peaks {
  const source = join(dirname(fileURLToPath(import.meta.url)), 'peak', 'peak-probe.cc');
  const binary = join(mkdtempSync(join(tmpdir(), 'sparq-peak-')), 'peak-probe');
  execFileSync('g++', ['-O2', '-std=c++17', source, '-o', binary]);
  return JSON.parse(execFileSync(binary, { encoding: 'utf8' })) as Peaks;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(measurePeaks()));
