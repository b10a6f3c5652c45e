/**
 * The report's text parts as HTML: the machine and the run, the notes and
 * the table of kernel rows. Every string from the results is escaped: a
 * results file is data, and a CPU name or a note must not become markup.
 */
import { adapterBackend } from '../machine-info.js';
import type { BenchResults, KernelResult } from '../benchmark/results.js';
import { percent } from './charts/chart.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A definition list of label/value pairs; values are escaped here. */
function definitions(pairs: [string, string][]): string {
  return `<dl>${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export function machineSection(r: BenchResults): string {
  const m = r.machine;
  const adapters = m.webgpu.adapters.map((a) => `${a.device}, ${a.description} (${[a.vendor, a.architecture].filter(Boolean).join(' ')}; ${adapterBackend(a)})`);
  const machine = definitions([
    ['CPU', `${m.cpu.model} (${m.cpu.arch})`],
    ['ISA levels', m.cpu.isaLevels.join(' ') || 'unknown (no native addon)'],
    ['ISA cap / running', `${m.cpu.isaCap} / ${m.cpu.isa}`],
    ['cores', String(m.cpu.cores)],
    ['memory', gib(m.memoryBytes)],
    ['OS', `${m.os.type} ${m.os.release} (${m.os.platform})`],
    ['WebGPU', adapters.join('; ') || `none found${m.webgpu.error ? ` (${m.webgpu.error})` : ''}`],
  ]);
  const o = r.options;
  const run = definitions([
    ['sparq', `${r.sparqVersion} (${m.backend.implementation === 'native' ? 'native addon' : 'TypeScript reference'})`],
    ['onnxruntime-node', m.onnxruntime ?? 'not installed'],
    ['Node', m.node],
    ['started', r.createdAt],
    ['suite', `${o.quick ? 'quick' : 'full'}${o.only ? `, only ${o.only.join(', ')}` : ''}`],
    ['backends', o.backends.join(', ')],
    ['threads', o.threads.join(', ')],
    ['sparq ISA cap', o.isa],
    ['timed per measurement', `${o.budgetMs} ms per side`],
  ]);
  return `<section id="machine"><h2>Machine and run</h2><div class="columns">${machine}${run}</div></section>`;
}

export function notesSection(r: BenchResults): string {
  if (r.notes.length === 0) return '';
  return `<section id="notes"><h2>Notes</h2><ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));
const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

const HEADINGS: [string, 'text' | 'number'][] = [
  ['kernel', 'text'], ['variant', 'text'], ['backend', 'text'], ['shape', 'text'], ['sparsity', 'number'], ['threads', 'number'],
  ['p50 ms', 'number'], ['p99 ms', 'number'], ['rate', 'number'], ['baseline', 'text'], ['p50 ms', 'number'], ['p99 ms', 'number'], ['speedup', 'number'],
];
/** The row above HEADINGS naming whose figures the middle columns are. */
const SIDES = '<tr><th colspan="6"></th><th colspan="3" class="side">sparq</th><th colspan="3" class="side">onnxruntime</th><th></th></tr>';

/** A kernel row's cells, in HEADINGS' order. */
function kernelCells(k: KernelResult): string[] {
  const ort = k.onnxruntime;
  return [
    k.kernel, k.variant ?? (k.backend === 'webgpu' ? 'WGSL' : '(auto)'), k.backend, k.shape, k.sparsity > 0 ? percent(k.sparsity) : '0', String(k.threads),
    ms(k.sparq.p50Ms), ms(k.sparq.p99Ms), `${rate(k.sparq.rate)} ${k.unit}`,
    ort ? `${ort.baseline} (${ort.provider})` : 'not run', ort ? ms(ort.p50Ms) : '–', ort ? ms(ort.p99Ms) : '–', k.speedup === null ? '–' : `${k.speedup.toFixed(2)}×`,
  ];
}

function kernelRow(k: KernelResult): string {
  const cells = kernelCells(k).map((text, i) => {
    const speedup = i === HEADINGS.length - 1 && k.speedup !== null ? ` ${k.speedup >= 1 ? 'faster' : 'slower'}` : '';
    return `<td class="${HEADINGS[i][1]}${speedup}">${escapeHtml(text)}</td>`;
  });
  return `<tr>${cells.join('')}</tr>`;
}

export function kernelTable(r: BenchResults): string {
  const body = r.kernels.length === 0
    ? '<p class="empty">No kernel rows in these results.</p>'
    : `<div class="table"><table><thead>${SIDES}<tr>${HEADINGS.map(([h, kind]) => `<th class="${kind}">${h}</th>`).join('')}</tr></thead>`
      + `<tbody>${r.kernels.map(kernelRow).join('')}</tbody></table></div>`;
  return `<section id="kernels"><h2>All kernel measurements</h2><p class="caption">Medians and p99 of repeated runs in milliseconds per call; rates at the median; speedup is onnxruntime's p50 over sparq's.</p>${body}</section>`;
}
