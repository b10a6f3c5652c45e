/**
 * sparq's speedup over onnxruntime for every kernel row that has one, a
 * bar from 1x to the ratio on a log scale (so 2x faster and 2x slower are
 * the same length), a panel per group, a color per backend.
 */
import { seriesColors } from '../style.js';
import { panels, percent, type Chart } from './chart.js';

export const speedupChart: Chart = {
  id: 'speedup',
  title: 'Speedup over onnxruntime',
  caption: 'onnxruntime\'s median time over sparq\'s, per kernel, shape, sparsity and thread count, in the same run: right of 1x sparq is faster.',
  empty: 'No kernel row has an onnxruntime measurement (onnxruntime-node not installed, or no kernels run).',
  spec(results) {
    const rows = results.kernels.filter((k) => k.speedup !== null);
    if (rows.length === 0) return null;
    const data = rows.map((k) => ({
      group: k.group,
      backend: k.backend,
      label: [k.kernel, k.shape, ...(k.sparsity > 0 ? [percent(k.sparsity)] : []), `${k.threads}t`, k.backend].join(' · '),
      speedup: k.speedup,
      text: `${(k.speedup as number).toFixed(2)}×`,
    }));
    const speedups = data.map((d) => d.speedup as number);
    // Room either side of 1x for the bars and their labels.
    const domain = [Math.min(0.5, ...speedups) / 1.6, Math.max(2, ...speedups) * 1.6];
    const ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100].filter((t) => t >= domain[0] && t <= domain[1]);
    const x = { field: 'speedup', type: 'quantitative', title: 'speedup (onnxruntime p50 / sparq p50, log scale)', scale: { type: 'log', domain, nice: false }, axis: { values: ticks, labelExpr: "datum.label + '×'" } } as const;
    const backends = (['cpu', 'webgpu'] as const).filter((b) => rows.some((k) => k.backend === b));
    return panels(data, 'group', 1, {
      width: 640,
      height: { step: 16 },
      layer: [
        { mark: { type: 'bar', height: { band: 0.7 } }, encoding: { y: { field: 'label', type: 'nominal', title: null, sort: null }, x, x2: { datum: 1 }, color: { field: 'backend', type: 'nominal', title: 'backend', scale: seriesColors(backends) } } },
        { mark: { type: 'text', fontSize: 10, align: { expr: "datum.speedup < 1 ? 'right' : 'left'" }, dx: { expr: 'datum.speedup < 1 ? -4 : 4' } }, encoding: { y: { field: 'label', type: 'nominal', sort: null }, x, text: { field: 'text' } } },
        { mark: { type: 'rule', color: '#1f2933', strokeWidth: 1 }, encoding: { x: { datum: 1 } } },
      ],
    }, { scale: { y: 'independent' } });
  },
};
