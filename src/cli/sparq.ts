#!/usr/bin/env node
/**
 * The sparq command. `sparq info [--json]` reports what this machine runs:
 * native or reference backend, the CPU path, threads, and every kernel
 * variant with whether this CPU supports it. `sparq run` and `sparq compare`
 * run a model on seeded random inputs of its input shapes, alone or against
 * onnxruntime-node. `sparq compress` runs the compression pipeline
 * (compress.ts).
 */
import { parseArgs } from 'node:util';

import { compare, cpu, InferenceSession, randomFeeds, type CompareReport } from '../index.js';
import { COMPRESS_USAGE, compressCommand } from './compress.js';

const USAGE = `usage: sparq <command> [options]

commands:
  info [--json]   the CPU backend, ISA path, threads and kernel variants on this machine
  run <model.onnx> [--batch n] [--threads n] [--json]
                  runs the model on seeded random inputs and prints its outputs' shapes and first values
  compare <model.onnx> [--batch n] [--threads n] [--budget ms] [--first-divergence] [--json]
                  runs the model in sparq and onnxruntime-node on the same seeded random inputs:
                  errors, top-1 agreement, latency and throughput; exits 1 when an output disagrees
                  with the oracle: onnxruntime, or for int8 models where onnxruntime's int8 is not
                  exact on this CPU (x86 without VNNI) sparq's exact reference backend, with the
                  distance to onnxruntime shown as information (SPARQ_ORT_INT8=exact|saturating
                  overrides the CPU's class)
${COMPRESS_USAGE}
Random inputs: symbolic dims are --batch (default 1), float inputs uniform in [0, 1), integer ones 0..9.
In --json output, an infinite error is written as null.
`;

/** Values of `run` printed per output. */
const HEAD = 8;

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

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

const num = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));
const ms = (x: number) => `${x.toFixed(3)} ms`;

async function run(model: string, batch: number, threads: number | undefined, json: boolean): Promise<number> {
  const session = await InferenceSession.create(model, { threads });
  const outputs = session.runSync(randomFeeds(session.inputs, { batch }));
  const rows = session.outputNames.map((name) => {
    const v = outputs[name];
    return { name, type: v.type, dims: v.dims, head: Array.from(v.data.subarray(0, HEAD) as ArrayLike<number | bigint>, Number) };
  });
  if (json) console.log(JSON.stringify({ outputs: rows }, null, 2));
  else for (const r of rows) console.log(`${r.name}: ${r.type} [${r.dims}] ${r.head.map((x) => x.toPrecision(6)).join(' ')}${r.head.length < r.dims.reduce((a, b) => a * b, 1) ? ' ...' : ''}`);
  await session.release();
  return 0;
}

function printReport(model: string, report: CompareReport): void {
  console.log(`model: ${model}`);
  const { authority, reason } = report.oracle;
  console.log(`checked against: ${authority === 'onnxruntime' ? 'onnxruntime-node' : 'sparq\'s exact reference backend'} (${reason})`);
  console.log(table([
    ['output', 'dims', 'max abs err', 'max rel err', 'cosine', 'top-1', 'exact', 'agrees'],
    ...report.outputs.map((o) => [
      o.name, o.mismatch ?? `[${o.dims}]`, num(o.maxAbsError), num(o.maxRelError), o.cosine.toFixed(6),
      o.top1Agreement === null ? '-' : `${(o.top1Agreement * 100).toFixed(1)}%`, o.exact ? 'yes' : 'no', o.withinTolerance ? 'yes' : 'NO',
    ]),
  ]));
  for (const o of report.outputs) {
    const d = o.onnxruntime;
    if (d === null) continue;
    const distance = d.mismatch ?? (d.exact ? 'equal' : `max abs diff ${num(d.maxAbsError)}${d.steps === null ? '' : ` (${+d.steps.toFixed(2)} quantization steps)`}, cosine ${d.cosine.toFixed(6)}` +
      `${d.top1Agreement === null ? '' : `, top-1 ${(d.top1Agreement * 100).toFixed(1)}%`}`);
    console.log(`onnxruntime ${o.name} (information, not checked): ${distance}`);
  }
  const t = report.timing;
  if (t !== undefined) {
    console.log(`\ntiming (${t.threads} thread${t.threads === 1 ? '' : 's'} each):`);
    const rows = [['', 'batch', 'sparq p50', 'sparq p99', 'ort p50', 'ort p99', 'sparq/s', 'ort/s', 'speedup']];
    if (t.batch1) rows.push(['latency', String(t.batch1.batch), ms(t.batch1.sparq.p50Ms), ms(t.batch1.sparq.p99Ms), ms(t.batch1.ort.p50Ms), ms(t.batch1.ort.p99Ms), '', '', `${t.batch1.speedup.toFixed(2)}x`]);
    if (t.throughput) {
      const { batch, sparq, ort, speedup } = t.throughput;
      rows.push(['throughput', String(batch), ms(sparq.p50Ms), ms(sparq.p99Ms), ms(ort.p50Ms), ms(ort.p99Ms), sparq.perSec.toFixed(0), ort.perSec.toFixed(0), `${speedup.toFixed(2)}x`]);
    }
    console.log(table(rows));
    for (const note of t.notes) console.log(`note: ${note}`);
    console.log('speedup: onnxruntime time / sparq time (above 1: sparq is faster)');
  }
  if (report.firstDivergence !== undefined) {
    const d = report.firstDivergence;
    console.log(d === null
      ? `\nfirst divergence: none among ${report.valuesCompared} values`
      : `\nfirst divergence: "${d.output}" of node "${d.node}" (${d.opType}): ${d.mismatch ?? `max abs err ${num(d.maxAbsError)}, max rel err ${num(d.maxRelError)}`}`);
  }
}

async function compareCommand(model: string, batch: number, threads: number | undefined, budgetMs: number | undefined, firstDivergence: boolean, json: boolean): Promise<number> {
  // The inputs' shapes come from the model; sparq's session reads them (and reports a bad file first).
  const probe = await InferenceSession.create(model, { optimize: false, sparsity: 'off' });
  const feeds = randomFeeds(probe.inputs, { batch });
  await probe.release();
  const report = await compare(model, feeds, { threads, firstDivergence, timing: { budgetMs } });
  if (json) console.log(JSON.stringify(report, null, 2));
  else printReport(model, report);
  return report.outputs.every((o) => o.withinTolerance) ? 0 : 1;
}

/** A positive integer option, or undefined when not given. */
function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'compress') return compressCommand(argv.slice(1), USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
        batch: { type: 'string' },
        threads: { type: 'string' },
        budget: { type: 'string' },
        'first-divergence': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`sparq: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, model] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  const json = values.json ?? false;
  if (command === 'info') {
    info(json);
    return 0;
  }
  if (command === 'run' || command === 'compare') {
    if (model === undefined) {
      process.stderr.write(`sparq: ${command} needs a model file\n${USAGE}`);
      return 1;
    }
    try {
      const batch = count('batch', values.batch) ?? 1;
      const threads = count('threads', values.threads);
      if (command === 'run') return await run(model, batch, threads, json);
      return await compareCommand(model, batch, threads, count('budget', values.budget), values['first-divergence'] ?? false, json);
    } catch (e) {
      process.stderr.write(`sparq: ${e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)}\n`);
      return 1;
    }
  }
  process.stderr.write(`sparq: unknown command '${command}'\n${USAGE}`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
