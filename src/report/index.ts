/**
 * `sparq report`'s page: one self-contained HTML file from `sparq bench`
 * results, with the machine and run described, Vega-Lite charts drawn to
 * inline SVG here in Node (no script, no network needed to open it), the
 * notes, and a table of every kernel measurement.
 */
import fs from 'node:fs/promises';

import type { BenchResults } from '../benchmark/results.js';
import { asBenchResults } from './check.js';
import { CHARTS, type Chart } from './charts/index.js';
import { escapeHtml, kernelTable, machineSection, notesSection } from './html.js';
import { CSS } from './style.js';
import { renderSvg } from './svg.js';

export { benchResultsProblem } from './check.js';

async function chartSection(chart: Chart, results: BenchResults): Promise<string> {
  const spec = chart.spec(results);
  const body = spec === null ? `<p class="empty">${escapeHtml(chart.empty)}</p>` : `<div class="chart">${await renderSvg(spec, `${chart.id}-chart`)}</div>`;
  return `<section id="${chart.id}" class="chart-section" data-chart="${chart.id}" data-drawn="${spec !== null}"><h2>${escapeHtml(chart.title)}</h2><p class="caption">${escapeHtml(chart.caption)}</p>${body}</section>`;
}

/**
 * The report for `results` as one HTML document.
 * @throws TypeError when `results` is not sparq bench results of this version.
 */
export async function renderReport(results: BenchResults): Promise<string> {
  const r = asBenchResults(results, 'results');
  const charts = [];
  for (const chart of CHARTS) charts.push(await chartSection(chart, r));
  const title = `sparq bench: ${r.machine.cpu.model}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>sparq benchmark report</h1>
<p class="subtitle">${escapeHtml(`${r.machine.cpu.model} · sparq ${r.sparqVersion} against onnxruntime-node ${r.machine.onnxruntime ?? '(not installed)'} · ${r.createdAt}`)}</p>
${machineSection(r)}
${notesSection(r)}
${charts.join('\n')}
${kernelTable(r)}
</main>
</body>
</html>
`;
}

/**
 * Writes the report for `results` to `file`.
 * @throws TypeError for bad arguments; the file system's error when it cannot be written.
 */
export async function writeReport(results: BenchResults, file: string): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new TypeError(`file: expected a non-empty path, got ${JSON.stringify(file)}`);
  await fs.writeFile(file, await renderReport(results));
}
