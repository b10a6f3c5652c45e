/**
 * The calibration methods on a known distribution: a seeded Laplace sample
 * (scale b = 1, 2^20 values in four feeds) through calibrate() on a graph
 * that only flattens it. Min-max keeps the extremes; percentile, entropy
 * and MSE clip the sparse tail; percentile and MSE land where the
 * distribution says they should.
 */
import assert from 'node:assert/strict';

import { calibrate, type CalibrateOptions, type CalibrationFeed } from '../../src/compress/calibrate.js';
import type { OnnxGraph } from '../../src/runtime/onnx/write.js';
import { seededRandom } from '../fixtures/cifar-cnn.js';

const PER_FEED = 2 ** 18;

/** y = Flatten(x), x [1, PER_FEED]: calibrate() ranges x (Flatten's input) and y (the output). */
const flattenGraph: OnnxGraph = {
  nodes: [{ opType: 'Flatten', name: 'flatten', inputs: ['x'], outputs: ['y'], attributes: { axis: 1 } }],
  inputs: [{ name: 'x', type: 'float', dims: [1, PER_FEED] }],
  outputs: [{ name: 'y', type: 'float', dims: [1, PER_FEED] }],
};

/** Laplace(0, 1) by the inverse CDF of seeded uniforms in (0, 1). */
function laplace(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => {
    const u = (random() + 1) / 2 - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
}

const samples = [1, 2, 3, 4].map((seed) => laplace(PER_FEED, seed));
const feeds: CalibrationFeed[] = samples.map((data) => ({ x: { type: 'float32', dims: [1, PER_FEED], data } }));
const sampleMin = Math.min(...samples.map((s) => s.reduce((a, b) => Math.min(a, b))));
const sampleMax = Math.max(...samples.map((s) => s.reduce((a, b) => Math.max(a, b))));

async function rangeOf(options: CalibrateOptions): Promise<[number, number]> {
  const ranges = await calibrate(flattenGraph, feeds, options);
  assert.deepEqual(ranges.get('y'), ranges.get('x'), 'Flatten keeps the values, so both get one range');
  return ranges.get('x')!;
}

describe('compress: calibration methods on a Laplace sample', () => {
  it('the sample reaches past 12 b on both sides (the tail the clipping methods cut)', () => {
    assert.ok(sampleMin < -12 && sampleMax > 12, `[${sampleMin}, ${sampleMax}]`);
  });

  it('minmax keeps the extremes of all feeds', async () => {
    assert.deepEqual(await rangeOf({ method: 'minmax' }), [sampleMin, sampleMax]);
  });

  // P(|x| > t) = exp(-t / b): 99.99% of |x| lies within ln(10^4) = 9.21 b;
  // per side, each tail's 0.005% also starts at 9.21 b.
  for (const symmetric of [true, false]) {
    it(`percentile 99.99 ${symmetric ? 'of |x| (onnxruntime\'s default)' : 'per side'} cuts at ln(10^4) b`, async () => {
      const [lo, hi] = await rangeOf({ method: 'percentile', percentile: 99.99, symmetric });
      assert.ok(Math.abs(hi - Math.log(1e4)) < 0.3, `hi ${hi}`);
      assert.ok(Math.abs(lo + Math.log(1e4)) < 0.3, `lo ${lo}`);
      if (symmetric) assert.equal(lo, -hi);
    });
  }

  // Clipping error 2 b^2 exp(-t / b) against rounding noise (2t / 255)^2 / 12
  // per value is smallest at t = 9.9 b (Banner et al.'s 8-bit Laplace clip).
  it('mse clips where the squared error is smallest, near 9.9 b', async () => {
    const [lo, hi] = await rangeOf({ method: 'mse' });
    assert.ok(hi > 8.5 && hi < 11.5, `hi ${hi}`);
    assert.equal(lo, -hi);
  });

  it('entropy clips the tail and keeps the bulk', async () => {
    const [lo, hi] = await rangeOf({ method: 'entropy' });
    // 99.3% of the values lie within 5 b.
    assert.ok(hi > 5 && hi < 0.8 * sampleMax, `hi ${hi}`);
    assert.ok(lo < -5 && lo > 0.8 * sampleMin, `lo ${lo}`);
  });

  it('256 quantized bins resolve more of the tail than 128', async () => {
    const [, hi128] = await rangeOf({ method: 'entropy', quantizedBins: 128 });
    const [, hi256] = await rangeOf({ method: 'entropy', quantizedBins: 256 });
    assert.ok(hi256 > hi128, `${hi256} <= ${hi128}`);
  });

  it('every method is deterministic given its feeds', async () => {
    for (const method of ['percentile', 'entropy', 'mse'] as const) assert.deepEqual(await rangeOf({ method }), await rangeOf({ method }), method);
  });

  it('a one-signed activation gets [0, t]: a ReLU output keeps 0 as its low end', async () => {
    const positive: CalibrationFeed[] = samples.map((s) => ({ x: { type: 'float32', dims: [1, PER_FEED], data: s.map(Math.abs) } }));
    for (const method of ['percentile', 'entropy', 'mse'] as const) {
      const [lo, hi] = (await calibrate(flattenGraph, positive, { method })).get('x')!;
      assert.ok(lo >= 0 && lo <= hi && hi > 5, `${method}: [${lo}, ${hi}]`);
    }
  });

  it('an all-zero activation gets [0, 0] from every method', async () => {
    const zeros: CalibrationFeed[] = [{ x: { type: 'float32', dims: [1, PER_FEED], data: new Float32Array(PER_FEED) } }];
    for (const method of ['minmax', 'percentile', 'entropy', 'mse'] as const) assert.deepEqual((await calibrate(flattenGraph, zeros, { method })).get('x'), [0, 0], method);
  });
});
