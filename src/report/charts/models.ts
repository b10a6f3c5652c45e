/**
 * The example models on sparq and on onnxruntime, per form (fp32, int8,
 * pruned, pruned + int8): single-image latency and batched throughput, a
 * bar at the median with a whisker to p99, a panel per model, backend and
 * thread count.
 */
import type { ModelResult } from '../../benchmark/results.js';
import { seriesColors } from '../style.js';
import { panels, threadsLabel, type Chart } from './chart.js';

type Measure = 'latency' | 'throughput';

interface Bar { panel: string; form: string; side: 'sparq' | 'onnxruntime'; value: number; p99: number }

function bars(rows: ModelResult[], measure: Measure): Bar[] {
  return rows.flatMap((m) => {
    const t = m[measure];
    if (!t) return [];
    const panel = `${m.model} · ${m.backend} · ${threadsLabel(m.threads)}${measure === 'throughput' ? ` · batch ${t.batch}` : ''}`;
    const sides = [['sparq', t.sparq], ['onnxruntime', t.onnxruntime]] as const;
    return sides.flatMap(([side, s]) => (s === null ? [] : [{
      panel, form: m.form, side,
      // Throughput's whisker is the rate at p99 time: the slow end, as latency's is.
      value: measure === 'latency' ? s.p50Ms : s.imagesPerSec,
      p99: measure === 'latency' ? s.p99Ms : (t.batch / s.p99Ms) * 1000,
    }]));
  });
}

function modelChart(measure: Measure): Chart {
  const latency = measure === 'latency';
  return {
    id: measure,
    title: latency ? 'Model latency' : 'Model throughput',
    caption: latency
      ? 'One image at a time: median milliseconds per image (bar) and p99 (whisker), lower is better.'
      : 'Batched: images per second at the median time (bar) and at p99 (whisker), higher is better.',
    empty: `No model ${measure} in these results.`,
    spec(results) {
      const data = bars(results.models, measure);
      if (data.length === 0) return null;
      const y = { field: 'form', type: 'nominal', title: null, sort: null } as const;
      const yOffset = { field: 'side', type: 'nominal', sort: ['sparq', 'onnxruntime'] } as const;
      return panels(data, 'panel', 2, {
        width: 400,
        height: { step: 14 },
        encoding: { y, yOffset },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              x: { field: 'value', type: 'quantitative', title: latency ? 'ms per image' : 'images per second' },
              color: { field: 'side', type: 'nominal', title: null, scale: seriesColors(['sparq', 'onnxruntime'].filter((side) => data.some((d) => d.side === side))) },
            },
          },
          { mark: { type: 'rule', color: '#1f2933' }, encoding: { x: { field: 'value', type: 'quantitative' }, x2: { field: 'p99' } } },
        ],
      }, { scale: { x: 'independent', y: 'independent' } });
  },
};
}

export const latencyChart = modelChart('latency');
export const throughputChart = modelChart('throughput');
