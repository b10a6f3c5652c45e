/**
 * clipWeights(): a weight's values beyond a percentile of |w| or k standard
 * deviations from its mean are clipped to the bound, counted per weight;
 * biases and other initializers are left alone; the clipped weight's int8
 * scale follows the bound.
 */
import assert from 'node:assert/strict';

import { clipWeights } from '../../src/compress/quantize/clip-weights.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import type { OnnxGraph } from '../../src/runtime/onnx/write.js';

/** y = Gemm(x, w, b): w [2, 50] holding +-0.01 .. +-1.00 (signs alternating), b [2] = 5. */
const W = Float32Array.from({ length: 100 }, (_, i) => ((i + 1) / 100) * (i % 2 ? -1 : 1));
const graph: OnnxGraph = {
  nodes: [{ opType: 'Gemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: { transB: 1 } }],
  initializers: [
    { name: 'w', type: 'float', dims: [2, 50], data: W },
    { name: 'b', type: 'float', dims: [2], data: Float32Array.of(5, 5) },
  ],
  inputs: [{ name: 'x', type: 'float', dims: [1, 50] }],
  outputs: [{ name: 'y', type: 'float', dims: [1, 2] }],
};
const tensor = (g: OnnxGraph, name: string) => g.initializers!.find((t) => t.name === name)!.data as Float32Array;

describe('compress: weight clipping', () => {
  it('clips |w| to the percentile: 95% of the weights keep |w| <= 0.95, the 5 above are clipped to +-0.95', () => {
    const { graph: clipped, clipped: counts } = clipWeights(graph, { percentile: 95 });
    assert.deepEqual([...counts], [['w', 5]]);
    const w = tensor(clipped, 'w');
    W.forEach((v, i) => assert.equal(w[i], Math.abs(v) > 0.955 ? Math.sign(v) * Math.fround(0.95) : v, `w[${i}]`));
    assert.deepEqual(tensor(clipped, 'b'), Float32Array.of(5, 5), 'the bias stays');
    assert.equal(tensor(graph, 'w'), W, 'the input graph is left as it was');
  });

  it('clips to the mean +- k standard deviations', () => {
    let mean = 0;
    for (const v of W) mean += v / W.length;
    const std = Math.sqrt(W.reduce((s, v) => s + (v - mean) ** 2, 0) / W.length);
    const outside = W.filter((v) => Math.abs(v - mean) > 1.5 * std).length;
    assert.ok(outside > 0 && outside < 50);
    const { graph: clipped, clipped: counts } = clipWeights(graph, { stdDevs: 1.5 });
    assert.equal(counts.get('w'), outside);
    const w = tensor(clipped, 'w');
    assert.ok(w.every((v) => Math.abs(v - mean) <= 1.5 * std + 1e-7));
    assert.equal(w.filter((v, i) => v !== W[i]).length, outside);
  });

  it('percentile 100 clips nothing; the clipped weight quantizes on its new maximum', () => {
    assert.deepEqual([...clipWeights(graph, { percentile: 100 }).clipped], [['w', 0]]);
    const { graph: clipped } = clipWeights(graph, { percentile: 50 });
    const q = quantizeQdq(clipped, new Map([['x', [0, 1]], ['y', [0, 1]]]));
    const scales = q.initializers!.find((t) => t.name === 'w.scale')!.data as Float32Array;
    // Per output channel: row 0 holds |w| 0.01 .. 0.50, row 1 0.51 .. 1.00, both clipped at 0.50.
    assert.deepEqual(scales, Float32Array.of(0.5 / 127, 0.5 / 127));
  });
});
