/** `sparq bench`'s tables: the results per group with the machine line and notes, and --compare's two machines side by side. */
import { adapterBackend, type MachineInfo } from '../machine-info.js';
import type { BenchComparison, MachineSummary, Pair } from '../benchmark/compare-results.js';
import type { AccuracyResult, BenchResults, KernelResult, ModelResult, Stats } from '../benchmark/results.js';
import { table } from './conventions.js';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Three significant digits, without exponents for the figures benches give. */
function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

const ratio = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${x.toFixed(2)}x`);
const percent = (s: number) => (s === 0 ? 'dense' : `${Math.round(s * 100)}%`);
const latency = (s: Stats | null) => (s ? `${num(s.p50Ms)} / ${num(s.p99Ms)}` : '-');

export function machineLines(m: MachineInfo, isaCap: string): string[] {
  const adapters = m.webgpu.adapters.map((a) => `${a.vendor} ${a.architecture} (${a.description}; ${adapterBackend(a)})`);
  return [
    `machine: ${m.cpu.model} (${m.cpu.arch}, ${m.cpu.cores} cores, ${gib(m.memoryBytes)} memory); ${m.os.type} ${m.os.release}; Node ${m.node}`,
    `isa: ${m.cpu.isaLevels.join(' ') || 'unknown (no native addon)'}; sparq ran ${isaCap === 'none' ? `at ${m.cpu.isa}` : `capped at ${isaCap}`}` +
      `; onnxruntime-node ${m.onnxruntime ?? 'not installed'}${isaCap === 'none' ? '' : ' (not capped)'}`,
    `webgpu: ${adapters.join('; ') || 'no adapter'}`,
  ];
}

function kernelTable(rows: KernelResult[]): string {
  return table([
    ['kernel', 'backend', 'shape', 'sparsity', 'threads', `sparq ${rows[0].unit}`, 'onnxruntime', 'vs', 'speedup', 'sparq p50/p99 ms', 'ort p50/p99 ms', 'variant'],
    ...rows.map((r) => [
      r.kernel, r.backend, r.shape, percent(r.sparsity), String(r.threads), num(r.sparq.rate), num(r.onnxruntime?.rate), r.onnxruntime?.baseline ?? '-',
      ratio(r.speedup), latency(r.sparq), latency(r.onnxruntime), r.variant ?? '-',
    ]),
  ]);
}

function modelTable(rows: ModelResult[]): string {
  const images = (t: ModelResult['latency']) => [num(t?.sparq.imagesPerSec), num(t?.onnxruntime?.imagesPerSec), ratio(t?.speedup)];
  const check = (c: ModelResult['check']) => (c === null ? '-' : `${c.pass ? 'pass' : 'FAIL'} vs ${c.oracle}${c.exact ? ', exact' : `, max err ${c.maxAbsError.toExponential(1)}`}`);
  return table([
    ['model', 'form', 'sparsity', 'backend', 'threads', '1 image: sparq/s', 'ort/s', 'speedup', `batch ${rows[0].throughput?.batch ?? '-'}: sparq/s`, 'ort/s', 'speedup', 'outputs'],
    ...rows.map((m) => [m.model, m.form, percent(m.sparsity), m.backend, String(m.threads), ...images(m.latency), ...images(m.throughput), check(m.check)]),
  ]);
}

function accuracyTable(rows: AccuracyResult[]): string {
  return table([
    ['model', 'weights', 'structure', 'sparsity', 'top-1', 'images'],
    ...rows.map((a) => [a.model, `${a.bits}-bit`, a.structure, percent(a.sparsity), `${(a.top1 * 100).toFixed(2)}%`, String(a.images)]),
  ]);
}

/** The results as the command prints them: the machine, a table per group (and unit), the notes. */
export function formatResults(r: BenchResults): string {
  const lines = [...machineLines(r.machine, r.options.isa), `${r.options.quick ? 'quick' : 'full'} run, ${r.options.budgetMs} ms per measurement and side; speedup = onnxruntime p50 / sparq p50 (above 1: sparq faster); sparse rates count the dense product`];
  const groups = new Map<string, KernelResult[]>();
  for (const k of r.kernels) groups.set(`${k.group} (${k.unit})`, [...(groups.get(`${k.group} (${k.unit})`) ?? []), k]);
  for (const [group, rows] of groups) lines.push('', group, kernelTable(rows));
  if (r.kernels.length === 0) lines.push('', 'no kernel rows');
  if (r.models.length > 0) lines.push('', 'example models (images per second at the median; outputs checked against the oracle)', modelTable(r.models));
  if (r.accuracy.length > 0) lines.push('', `example models' accuracy (${r.accuracy[0].dataset} test set, in sparq)`, accuracyTable(r.accuracy));
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

function side(label: string, s: MachineSummary): string {
  return `${label}: ${s.source}: ${s.cpu} (${s.cores} cores), ISA ${s.isa}; sparq ${s.sparqVersion}, onnxruntime-node ${s.onnxruntime ?? 'none'}, Node ${s.node}; ${s.createdAt}`;
}

const pairCells = (p: Pair) => [num(p.a), num(p.b), ratio(p.ratio)];

/** --compare's tables: the two machines, then kernels, models and accuracy with A, B and B/A. */
export function formatComparison(c: BenchComparison): string {
  const lines = [side('A', c.a), side('B', c.b), 'B/A: B\'s rate over A\'s (above 1: B faster); vs ort: sparq over onnxruntime on each'];
  if (c.kernels.length > 0) {
    lines.push('', 'kernels', table([
      ['group', 'kernel', 'backend', 'shape', 'sparsity', 'threads', 'unit', 'A', 'B', 'B/A', 'A vs ort', 'B vs ort'],
      ...c.kernels.map((k) => [k.group, k.kernel, k.backend, k.shape, percent(k.sparsity), String(k.threads), k.unit, ...pairCells(k.rate), ratio(k.speedup.a), ratio(k.speedup.b)]),
    ]));
  }
  if (c.models.length > 0) {
    lines.push('', 'models (images/s)', table([
      ['model', 'form', 'backend', 'threads', 'A 1 image', 'B 1 image', 'B/A', 'A batched', 'B batched', 'B/A'],
      ...c.models.map((m) => [m.model, m.form, m.backend, String(m.threads), ...pairCells(m.latency), ...pairCells(m.throughput)]),
    ]));
  }
  if (c.accuracy.length > 0) {
    const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
    lines.push('', 'accuracy (top-1)', table([
      ['model', 'A', 'B', 'B - A'],
      ...c.accuracy.map((a) => [a.model, pct(a.top1.a), pct(a.top1.b), a.top1.delta === null ? '-' : `${(a.top1.delta * 100).toFixed(2)} pts`]),
    ]));
  }
  return lines.join('\n');
}
