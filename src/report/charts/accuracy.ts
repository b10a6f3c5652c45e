/**
 * Top-1 accuracy of the compressed examples against their sparsity: a
 * point per model file, colored by weight bits and shaped by the pruning
 * structure, a panel per dataset and backend.
 */
import { seriesColors } from '../style.js';
import { panels, type Chart } from './chart.js';

export const accuracyChart: Chart = {
  id: 'accuracy',
  title: 'Accuracy against sparsity and bit width',
  caption: 'Top-1 accuracy on the test images of each compressed example model.',
  empty: 'No accuracy rows in these results (the dataset is not installed, or not asked for).',
  spec(results) {
    if (results.accuracy.length === 0) return null;
    const data = results.accuracy.map((a) => ({
      panel: `${a.dataset} · ${a.backend} · ${a.images} images`, sparsity: a.sparsity, top1: a.top1, bits: `${a.bits}-bit`, structure: a.structure, model: a.model,
    }));
    const bits = [...new Set(results.accuracy.map((a) => a.bits))].sort((a, b) => b - a).map((b) => `${b}-bit`);
    return panels(data, 'panel', 2, {
      width: 460,
      height: 240,
      mark: { type: 'point', size: 90, filled: true, opacity: 0.9 },
      encoding: {
        x: { field: 'sparsity', type: 'quantitative', title: 'sparsity (share of zeros)', axis: { format: '.0%' }, scale: { domain: [0, 1], nice: false, padding: 12 } },
        y: { field: 'top1', type: 'quantitative', title: 'top-1 accuracy', axis: { format: '.1%' }, scale: { zero: false, padding: 12 } },
        color: { field: 'bits', type: 'nominal', title: 'weights', scale: seriesColors(bits) },
        shape: { field: 'structure', type: 'nominal', title: 'structure' },
      },
    });
  },
};
