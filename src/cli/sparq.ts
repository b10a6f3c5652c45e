#!/usr/bin/env node
/**
 * The sparq command. `sparq info [--json]` reports what this machine runs:
 * native or reference backend, the CPU path, threads, and every kernel
 * variant with whether this CPU supports it.
 */
import { parseArgs } from 'node:util';

import { cpu } from '../index.js';

const USAGE = `usage: sparq <command> [options]

commands:
  info [--json]   the CPU backend, ISA path, threads and kernel variants on this machine
`;

function info(json: boolean): void {
  const i = cpu.info();
  if (json) {
    console.log(JSON.stringify(i, null, 2));
    return;
  }
  console.log(`backend: ${i.implementation}${i.addonPath ? ` (${i.addonPath})` : ''}`);
  console.log(`isa: ${i.isa}`);
  console.log(`threads: ${i.threads}`);
  for (const [family, variants] of Object.entries(i.variants))
    console.log(`${family}: ${variants.map((v) => `${v.name}${v.supported ? '' : ' (unsupported)'}`).join(', ')}`);
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  const [command] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  if (command === 'info') {
    info(values.json ?? false);
    return 0;
  }
  process.stderr.write(`sparq: unknown command '${command}'\n${USAGE}`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
