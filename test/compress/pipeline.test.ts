/**
 * The toolkit's built-in CNN, seedCnn(): the CIFAR-10 CNN on 32x32x3, its
 * widths, its bad options.
 */
import assert from 'node:assert/strict';

import { seedCnn } from '../../src/compress/seed-cnn.js';
import { exportOnnx } from '../../src/compress/train/onnx.js';
import type { OnnxGraph } from '../../src/runtime/onnx/write.js';
import { cifarCnn } from '../fixtures/cifar-cnn.js';
import { rejects } from './data/files.js';

describe('compress: seedCnn()', () => {
  it('on 32x32x3 is the CIFAR-10 CNN the runtime tests run: the same ops, weights and dims', () => {
    const ours = exportOnnx(seedCnn({ input: [32, 32, 3] }));
    const fixture = cifarCnn();
    const layers = (g: OnnxGraph) => g.nodes.filter((n) => n.opType !== 'Relu' && n.opType !== 'Flatten').map((n) => n.opType);
    assert.deepEqual(layers(ours), layers(fixture));
    const dims = (g: OnnxGraph) => Object.fromEntries(g.initializers!.map((t) => [t.name, t.dims]));
    assert.deepEqual(dims(ours), dims(fixture));
    assert.deepEqual(ours.inputs[0].dims!.slice(1), [3, 32, 32]);
  });

  it('scales its widths and names bad options', () => {
    const dims = exportOnnx(seedCnn({ input: [28, 28, 1], width: 0.5, classes: 5 })).initializers!.filter((t) => t.dims.length > 1).map((t) => t.dims);
    assert.deepEqual(dims, [[16, 1, 3, 3], [32, 16, 3, 3], [32, 32, 3, 3], [32, 288], [5, 32]]);
    assert.throws(() => seedCnn({ input: [17, 17, 1] }), rejects(RangeError, /^options\.input must be at least 18 x 18/));
    assert.throws(() => seedCnn({ input: [28, 28, 1], width: 0 }), rejects(RangeError, /^options\.width must be in \(0, 16\]/));
    assert.throws(() => seedCnn({ input: [28, 28, 1], classes: 1 }), rejects(RangeError, /^options\.classes must be an integer/));
    assert.throws(() => seedCnn({ input: [28, 28] as unknown as [number, number, number] }), /options\.input/);
  });
});
