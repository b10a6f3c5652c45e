/** What the two serving benches' command lines share. */
import { FlagError } from '../../src/cli/conventions.js';

/** A non-negative integer flag's value (0 allowed, unlike positiveInt), or `fallback` when not given. */
export function nonNegativeInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new FlagError(`--${flag} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** A progress line, on stderr and only when it is a terminal (results go to stdout). */
export function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${line}\n`);
}
