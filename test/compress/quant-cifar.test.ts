/**
 * quantize() on the CIFAR-10 CNN fixture, for each calibration method and
 * weight option: the QDQ model runs in onnxruntime-node and in sparq, whose
 * int8 logits equal sparq's exact reference backend bit for bit, and
 * onnxruntime's where its int8 is exact on this CPU (always with 7-bit
 * weights). The model's structure follows the options: per-tensor weights
 * have one scale, reduceRange keeps weights within [-64, 64], symmetric
 * activations use zero point 128.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import type { CalibrationMethod } from '../../src/compress/calibrate.js';
import { quantize, type QuantizeOptions } from '../../src/compress/quantize/quantize.js';
import { SEVEN_BIT_WEIGHT } from '../../src/runtime/compare/ort-int8.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { assertInt8Outputs, ortInt8Case } from '../runtime/ort-compare.js';

const IMAGE = [3, 32, 32] as const;
const calibrationFeeds = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [4, ...IMAGE], data: randomImages(4, IMAGE, 100 + seed) } }));

/** sparq's logits on 3 images against both oracles, exactly; returns the oracle's authority. */
async function assertExact(graph: OnnxGraph): Promise<string> {
  const bytes = encodeOnnxModel(graph);
  const x = randomImages(3, IMAGE, 3);
  const feeds = { input: { type: 'float32', dims: [3, ...IMAGE], data: x } };
  const expected = await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x, [3, ...IMAGE]) });
  const session = await InferenceSession.create(bytes);
  return (await assertInt8Outputs(bytes, feeds, await session.run(feeds), expected, { tolerance: 0 })).authority;
}

const initializer = (graph: OnnxGraph, name: string) => graph.initializers!.find((t) => t.name === name)!;

const CASES: [CalibrationMethod, QuantizeOptions][] = [
  ['minmax', {}],
  ['percentile', {}],
  ['entropy', {}],
  ['mse', {}],
  ['minmax', { perChannel: false }],
  ['entropy', { perChannel: false, reduceRange: true }],
  ['mse', { reduceRange: true }],
  ['percentile', { symmetricActivations: true }],
];

describe('compress: quantize() on the CIFAR-10 CNN', () => {
  for (const [method, options] of CASES) {
    it(`${method}, ${JSON.stringify(options)}: sparq's int8 logits are exact ${options.reduceRange ? '(onnxruntime exact with 7-bit weights)' : ortInt8Case()}`, async () => {
      const { graph } = await quantize(cifarCnn(), calibrationFeeds, { ...options, calibration: { method } });
      const authority = await assertExact(graph);
      if (options.reduceRange) assert.equal(authority, 'onnxruntime');
      const weights = graph.initializers!.filter((t) => t.type === 'int8' && t.name.endsWith('.weight.q')).map((t) => t.data as Int8Array);
      assert.equal(weights.length, 5);
      const qmax = options.reduceRange ? SEVEN_BIT_WEIGHT : 127;
      // Each weight's largest |w| maps to qmax, in every channel or in the tensor.
      for (const w of weights) assert.equal(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0), qmax);
      const scale = initializer(graph, 'conv2.weight.scale');
      assert.deepEqual(scale.dims, options.perChannel === false ? [] : [64]);
      const zp = initializer(graph, 'conv1.act.zp').data[0];
      if (options.symmetricActivations) assert.equal(zp, 128);
      else assert.equal(zp, 0, 'a ReLU output starts at 0');
    });
  }
});
