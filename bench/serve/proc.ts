/**
 * What Linux's /proc says of the server process: its resident memory (the
 * soak's trend) and the CPU time it has used (how much of the shared cores
 * the server had while the load generator ran beside it).
 */
import { readFileSync } from 'node:fs';

import { checkInt, fail } from '../../src/validate.js';

/** /proc/<pid>/stat counts CPU time in clock ticks of USER_HZ, which the kernel's ABI fixes at 100 per second. */
const TICKS_PER_SECOND = 100;

function procFile(pid: number, file: 'status' | 'stat'): string {
  checkInt('pid', pid, 1, 2 ** 31 - 1);
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

/** The resident set size of process `pid` (VmRSS). */
export function readRssBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(procFile(pid, 'status'))?.[1];
  if (kib === undefined) fail('pid', `${pid} has no VmRSS in /proc/${pid}/status (a zombie?)`);
  return Number(kib) * 1024;
}

/** User + system CPU seconds process `pid` has used, all its threads together. */
export function readCpuSeconds(pid: number): number {
  const stat = procFile(pid, 'stat');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15; fields[0] is field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
