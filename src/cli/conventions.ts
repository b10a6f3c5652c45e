/**
 * What every sparq command shares: flags parsed strictly with node:util
 * parseArgs, `--help`/`-h` printing the command's usage (with examples) on
 * stdout and exit 0, a bad flag or value one line on stderr naming it and
 * exit 2, a failing run one line on stderr and exit 1. Results go to stdout.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { DEFAULT_LIMITS, type Limits } from '../limits.js';

/** A flag that is unknown, missing its value, or has a bad one: exit 2. */
export class FlagError extends Error {}

export interface Command {
  name: string;
  /** The command's usage with examples, printed by --help. */
  usage: string;
  /** Runs the command on its arguments (after the command's name); returns the exit code. */
  main(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `argv` parsed against `options` (--help added), or 'help' when asked for; a FlagError for anything unknown or malformed. */
export function parseFlags<O extends Options>(argv: string[], options: O, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
  } catch (e) {
    // parseArgs explains itself over several sentences; the first names the flag.
    throw new FlagError((e as Error).message.split(/\.(\s|$)/)[0]);
  }
  if ((parsed.values as { help?: boolean }).help) return 'help' as const;
  if (parsed.positionals.length > positionals) throw new FlagError(`unexpected argument '${parsed.positionals[positionals]}'`);
  return { values: parsed.values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string }, positionals: parsed.positionals };
}

/** A positive integer flag's value, or undefined when not given. */
export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new FlagError(`--${flag} must be a positive integer, got ${value}`);
  return n;
}

/** The size-limit flags of the commands that load models (options of setLimits / InferenceSession's options.limits). */
export const LIMIT_FLAGS = { 'max-tensor-bytes': { type: 'string' }, 'max-model-bytes': { type: 'string' } } as const;

/** LIMIT_FLAGS' lines for a command's usage, their text starting at `column` as the command's other flags'. */
export function limitUsage(column: number): string {
  // A flag too long for the column gets its text on the next line, as the usages' other long flags do.
  return [
    ['--max-tensor-bytes n', `largest tensor a model may load, be fed or compute (default ${DEFAULT_LIMITS.maxTensorBytes})`],
    ['--max-model-bytes n', `largest model, its file plus external data (default ${DEFAULT_LIMITS.maxModelBytes})`],
  ].map(([flag, text]) => (flag.length + 3 <= column ? `  ${flag.padEnd(column - 3)} ${text}` : `  ${flag}\n${' '.repeat(column)}${text}`)).join('\n');
}

/** The limits LIMIT_FLAGS give (only those given). */
export function limitFlags(values: { 'max-tensor-bytes'?: string; 'max-model-bytes'?: string }): Partial<Limits> {
  const limits: Partial<Limits> = {};
  const tensor = positiveInt('max-tensor-bytes', values['max-tensor-bytes']);
  const model = positiveInt('max-model-bytes', values['max-model-bytes']);
  if (tensor !== undefined) limits.maxTensorBytes = tensor;
  if (model !== undefined) limits.maxModelBytes = model;
  return limits;
}

/** One of `choices`, or undefined when not given. */
export function oneOf<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new FlagError(`--${flag} must be ${choices.join(' or ')}, got ${value}`);
  return value as T;
}

/** An error as one line: its class unless plain Error, then the message. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Runs `command` on `argv`: its exit code, with FlagError -> 2 and any other failure -> 1, each as one stderr line. */
export async function execute(command: Command, argv: string[]): Promise<number> {
  try {
    return await command.main(argv);
  } catch (e) {
    process.stderr.write(`sparq ${command.name}: ${e instanceof FlagError ? e.message : oneLine(e)}\n`);
    return e instanceof FlagError ? 2 : 1;
  }
}

/** Prints `usage` for --help; exit code 0. */
export function printHelp(usage: string): number {
  process.stdout.write(usage);
  return 0;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
