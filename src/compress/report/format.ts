/**
 * formatReport(): reportModel()'s results for several steps of a pipeline
 * (fp32, pruned, int8, ...) side by side as markdown, one column per step:
 * a summary table, then a table of the weight layers' sparsity, stored type
 * and sparq kernel. The JSON of a report is the same objects.
 */
import { checkObject, fail, typeFail } from '../../validate.js';
import type { ModelReport, SpeedReport } from './report.js';

/** A fraction as a percentage with two decimals, as the report's tables print it. */
export const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (x: number) => `${x.toFixed(3)} ms`;

/** A markdown table of `header` and `rows`. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The speed rows of one batch: sparq's and onnxruntime's medians and their ratio. */
function speedRows(reports: readonly ModelReport[], pick: (r: ModelReport) => SpeedReport | null | undefined, label: string): string[][] {
  const cell = (f: (s: SpeedReport) => string) => reports.map((r) => {
    const s = pick(r);
    return s ? f(s) : '—';
  });
  const batches = [...new Set(reports.map((r) => pick(r)?.batch).filter((b) => b !== undefined))];
  const at = batches.length === 1 ? `batch ${batches[0]}` : label;
  return [
    [`sparq, ${at}`, ...cell((s) => ms(s.sparqMs))],
    [`onnxruntime, ${at}`, ...cell((s) => ms(s.ortMs))],
    [`onnxruntime / sparq, ${at}`, ...cell((s) => `${s.ratio.toFixed(2)}x`)],
  ];
}

/**
 * Markdown tables of `reports` side by side (see the file comment).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function formatReport(reports: readonly ModelReport[]): string {
  if (!Array.isArray(reports as unknown)) typeFail('reports', 'must be an array of reportModel() results');
  if (reports.length === 0) fail('reports', 'must hold at least one report');
  reports.forEach((r: unknown, i) => {
    checkObject(`reports[${i}]`, r);
    const { name, layers } = r as Partial<ModelReport>;
    if (typeof name !== 'string' || !Array.isArray(layers)) typeFail(`reports[${i}]`, 'must be a reportModel() result');
  });
  const header = ['', ...reports.map((r) => r.name)];
  const row = (label: string, f: (r: ModelReport) => string) => [label, ...reports.map(f)];
  const summary = [
    row('top-1 accuracy, sparq', (r) => percent(r.accuracy)),
    row('top-1 accuracy, onnxruntime', (r) => percent(r.ortAccuracy)),
    row('top-1 agreement sparq / onnxruntime', (r) => percent(r.agreement)),
    row('images', (r) => String(r.images)),
    row('size (ONNX)', (r) => kib(r.sizeBytes)),
    row('size gzipped', (r) => kib(r.sizeGzipBytes)),
    row('weights', (r) => String(r.weights)),
    row('weight sparsity', (r) => percent(r.sparsity)),
  ];
  if (reports.some((r) => r.speed)) {
    summary.push(row('threads', (r) => (r.speed ? String(r.speed.threads) : '—')));
    summary.push(...speedRows(reports, (r) => r.speed?.batch1, 'batch 1'), ...speedRows(reports, (r) => r.speed?.batch, 'batched'));
  }
  // One row per layer name, in the order the steps first list them.
  const names = [...new Set(reports.flatMap((r) => r.layers.map((l) => l.name)))];
  const layerRows = names.map((name) => [name, ...reports.map((r) => {
    const l = r.layers.find((x) => x.name === name);
    return l ? `${percent(l.sparsity)} ${l.type} [${l.weightDims.join('x')}]${l.kernel ? ` ${l.kernel}` : ''}` : '—';
  })]);
  return `${markdownTable(header, summary)}\n\n${markdownTable(['layer: sparsity, type, weight dims, sparq kernel', ...header.slice(1)], layerRows)}\n`;
}
