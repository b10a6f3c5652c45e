/**
 * npm run fuzz:api -- [--minutes N | --calls N] [--seed S] [--replay I]
 *
 * Fuzzes the public API (see supervisor.ts) and prints, as its last stdout
 * line, one JSON object: { target, seed, minutes, calls, valid, rejected,
 * checked, accepted, distinctInputs, crashes, hangs, findings }. The seed
 * defaults to a random one, printed first. --replay I remakes call I of the
 * seed alone, printing its source and what it did. Exits 1 on any finding.
 */
import { parseArgs } from 'node:util';
import { fuzzApi } from './supervisor.js';


const { values } = parseArgs({ options: { minutes: { type: 'string' }, calls: { type: 'string' }, seed: { type: 'string' }, replay: { type: 'string' } } });

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`--${name} must be a non-negative number, got ${text}`);
  return n;
}

const seed = count('seed', values.seed) ?? Math.floor(Math.random() * 2 ** 31);
const replay = count('replay', values.replay);
const minutes = count('minutes', values.minutes);
const calls = replay === undefined ? (count('calls', values.calls) ?? (minutes === undefined ? 10_000 : Infinity)) : 1;
console.error(`fuzz:api seed ${seed}`);
const log = (line: string) => console.error(line);
const summary = replay === undefined
  ? await fuzzApi({ seed, calls, minutes, log })
  : await fuzzApi({ seed, calls: replay + 1, start: replay, verbose: true, log });
console.log(JSON.stringify(summary));
process.exitCode = summary.findings.length > 0 ? 1 : 0;
