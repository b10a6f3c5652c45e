/**
 * `sparq compare model.onnx`: the model in sparq and onnxruntime-node on the
 * same seeded random inputs (compare()): errors, top-1 agreement, latency
 * and throughput; exit 1 when an output disagrees with the oracle.
 */
import { compare, InferenceSession, randomFeeds, setLimits, type CompareReport } from '../index.js';
import { FlagError, LIMIT_FLAGS, limitFlags, limitUsage, parseFlags, positiveInt, printHelp, table, type Command } from './conventions.js';

const USAGE = `usage: sparq compare <model.onnx> [--batch n] [--threads n] [--budget ms] [--first-divergence] [--json]
                     [--max-tensor-bytes n] [--max-model-bytes n]

Runs the model in sparq and onnxruntime-node on the same seeded random inputs: errors, top-1
agreement, latency and throughput; exits 1 when an output disagrees with the oracle: onnxruntime,
or for int8 models where onnxruntime's int8 is not exact on this CPU (x86 without VNNI) sparq's
exact reference backend, with the distance to onnxruntime shown as information
(SPARQ_ORT_INT8=exact|saturating overrides the CPU's class).
  --batch n             the symbolic dims of the inputs (default 1)
  --threads n           threads of both runtimes (default: all cores)
  --budget ms           time spent timing each case (default 500)
  --first-divergence    also the first intermediate value where the two disagree
  --json                the report as JSON (an infinite error is written as null)
${limitUsage(24)}

examples:
  sparq compare model.onnx
  sparq compare model-int8.onnx --batch 4 --first-divergence --json
`;

const num = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));
const ms = (x: number) => `${x.toFixed(3)} ms`;

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

async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, {
    batch: { type: 'string' }, threads: { type: 'string' }, budget: { type: 'string' }, 'first-divergence': { type: 'boolean' }, json: { type: 'boolean' },
    ...LIMIT_FLAGS,
  }, 1);
  if (parsed === 'help') return printHelp(USAGE);
  const { values, positionals: [model] } = parsed;
  const batch = positiveInt('batch', values.batch) ?? 1;
  const threads = positiveInt('threads', values.threads);
  setLimits(limitFlags(values));
  const budgetMs = positiveInt('budget', values.budget);
  if (model === undefined) throw new FlagError('needs a model file: sparq compare <model.onnx>');
  // The inputs' shapes come from the model; sparq's session reads them (and reports a bad file first).
  const probe = await InferenceSession.create(model, { optimize: false, sparsity: 'off' });
  const feeds = randomFeeds(probe.inputs, { batch });
  await probe.release();
  const report = await compare(model, feeds, { threads, firstDivergence: values['first-divergence'] ?? false, timing: { budgetMs } });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printReport(model, report);
  return report.outputs.every((o) => o.withinTolerance) ? 0 : 1;
}

export const command: Command = { name: 'compare', usage: USAGE, main };
