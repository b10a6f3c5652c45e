/** What the two serving benches' command lines share. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { FlagError } from '../../src/cli/conventions.js';

/** A non-negative integer flag's value (0 allowed, unlike positiveInt), or `fallback` when not given. */
export function nonNegativeInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new FlagError(`--${flag} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** --out's file name, checked before the run rather than after minutes of load. */
export function outFlag(value: string | undefined): string | undefined {
  if (value === '') throw new FlagError('--out needs a file name');
  return value;
}

/** The results as JSON: into `out` (its folder made) when given, and on stdout for --json. */
export function writeJson(results: object, { out, json }: { out: string | undefined; json: boolean }): void {
  const text = `${JSON.stringify(results, null, 2)}\n`;
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
  if (json) process.stdout.write(text);
}

/** A progress line, on stderr and only when it is a terminal (results go to stdout). */
export function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${line}\n`);
}
