/**
 * The calibration histogram (src/compress/quantize/histogram.ts): batches
 * of growing range keep every value in its bin (checked against the count
 * of values below each bin edge), the bin count stays within 2x the first
 * batch's, and zeros seen before any range land in the bin starting at 0.
 */
import assert from 'node:assert/strict';

import { Histogram } from '../../src/compress/quantize/histogram.js';
import { seededRandom } from '../fixtures/cifar-cnn.js';

function add(h: Histogram, data: Float32Array): void {
  h.add(data, data.reduce((a, b) => Math.min(a, b), Infinity), data.reduce((a, b) => Math.max(a, b), -Infinity));
}

/** Every value below each bin edge counted by the bins below it (the last bin closed at the top). */
function assertBinned(h: Histogram, values: readonly number[]): void {
  assert.equal(h.total(), values.length);
  const sorted = [...values].sort((a, b) => a - b);
  let below = 0, k = 0;
  for (let i = 0; i < h.counts.length - 1; i++) {
    below += h.counts[i];
    const edge = (i + 1 - h.half) * h.width;
    while (k < sorted.length && sorted[k] < edge) k++;
    assert.equal(below, k, `values below edge ${i + 1} (${edge})`);
  }
}

describe('compress: calibration histogram', () => {
  it('keeps every value in its bin as the range grows batch by batch, within 2x the first bin count', () => {
    const random = seededRandom(5);
    const h = new Histogram(128);
    const all: number[] = [];
    // Each batch reaches up to ~3x further than the last: bins are added, then merged in pairs.
    for (let b = 0; b < 8; b++) {
      const reach = 3 ** b;
      const batch = Float32Array.from({ length: 1000 + b }, () => random() * reach * (b % 2 ? 1 : 0.7));
      add(h, batch);
      all.push(...batch);
      assert.ok(h.counts.length >= 128 && h.counts.length <= 256, `batch ${b}: ${h.counts.length} bins`);
      assert.ok(h.half * h.width >= Math.max(...all.map(Math.abs)), `batch ${b}: range ${h.half * h.width}`);
      assertBinned(h, all);
    }
    assert.equal(h.min, Math.min(...all));
    assert.equal(h.max, Math.max(...all));
  });

  it('adds a batch within the range to the bins as they are', () => {
    const h = new Histogram(128);
    add(h, Float32Array.of(-4, 4));
    const width = h.width;
    add(h, Float32Array.of(1, -1, 3.99, 0));
    assert.equal(h.width, width);
    assertBinned(h, [-4, 4, 1, -1, 3.99, 0]);
  });

  it('puts zeros seen before any nonzero value in the bin starting at 0', () => {
    const h = new Histogram(128);
    add(h, new Float32Array(10));
    assert.equal(h.counts.length, 0);
    assert.equal(h.total(), 10);
    add(h, Float32Array.of(-2, 2));
    assert.equal(h.counts[h.half], 10);
    assertBinned(h, [...new Array(10).fill(0), -2, 2]);
  });
});
