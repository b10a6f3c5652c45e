/**
 * GOP/s against sparsity for the sparse products (spmm, qspmm): one line
 * per sparq kernel (CSR, blocks, sparq's dense GEMM on the pruned matrix)
 * and onnxruntime's dense baseline, a panel per group, shape, backend and
 * thread count. Rates are dense-equivalent, so the lines compare directly.
 */
import type { KernelResult } from '../../benchmark/results.js';
import { seriesColors } from '../style.js';
import { median, panels, threadsLabel, type Chart } from './chart.js';

interface Point { panel: string; series: string; side: 'sparq' | 'onnxruntime'; sparsity: number; rate: number }

const panelOf = (k: KernelResult) => `${k.group} ${k.shape} (${k.unit}) · ${k.backend} · ${threadsLabel(k.threads)}`;

function points(rows: KernelResult[]): Point[] {
  const sparq = rows.map((k): Point => ({
    panel: panelOf(k), series: `sparq ${k.kernel.startsWith(`${k.group} `) ? k.kernel.slice(k.group.length + 1) : k.kernel}`, side: 'sparq', sparsity: k.sparsity, rate: k.sparq.rate,
  }));
  // Every row of a panel and sparsity times the same onnxruntime baseline: one point, their median.
  const baseline = new Map<string, { panel: string; sparsity: number; rates: number[] }>();
  for (const k of rows) {
    if (!k.onnxruntime) continue;
    const key = `${panelOf(k)}\n${k.sparsity}`;
    const entry = baseline.get(key) ?? { panel: panelOf(k), sparsity: k.sparsity, rates: [] };
    entry.rates.push(k.onnxruntime.rate);
    baseline.set(key, entry);
  }
  const ort = [...baseline.values()].map((b): Point => ({ panel: b.panel, series: 'onnxruntime dense', side: 'onnxruntime', sparsity: b.sparsity, rate: median(b.rates) }));
  return [...sparq, ...ort];
}

export const sparsityChart: Chart = {
  id: 'sparsity',
  title: 'Throughput against sparsity',
  caption: 'Sparse products at each share of zeros in the weights: effective rate (dense-equivalent work over median time) of each sparq kernel and of onnxruntime\'s dense product, higher is better.',
  empty: 'No spmm or qspmm rows in these results.',
  spec(results) {
    const rows = results.kernels.filter((k) => k.group === 'spmm' || k.group === 'qspmm');
    if (rows.length === 0) return null;
    const data = points(rows);
    const series = [...new Set(data.map((p) => p.series))];
    return panels(data, 'panel', 2, {
      width: 460,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'sparsity', type: 'quantitative', title: 'sparsity (share of zeros)', axis: { format: '.0%' }, scale: { zero: false } },
        y: { field: 'rate', type: 'quantitative', title: 'effective rate (G/s)' },
        color: { field: 'series', type: 'nominal', title: null, scale: seriesColors(series) },
        strokeDash: { field: 'side', type: 'nominal', legend: null, scale: { domain: ['sparq', 'onnxruntime'], range: [[1, 0], [5, 3]] } },
      },
    }, { scale: { y: 'independent' } });
  },
};
