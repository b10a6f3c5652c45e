/**
 * foldBatchNorm() on Conv -> BatchNormalization graphs: the folded graph
 * matches onnxruntime-node's run of the original within 1e-5 of the
 * output's largest magnitude, in onnxruntime and in sparq; pairs that do not
 * match (the conv's output read elsewhere, a parameter that is not an
 * initializer, training mode) stay as they are; quantize() folds before it
 * quantizes.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { quantize } from '../../src/compress/quantize/quantize.js';
import { foldBatchNorm } from '../../src/compress/quantize/fold-batch-norm.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { seededRandom } from '../fixtures/cifar-cnn.js';
import { assertInt8Outputs } from '../runtime/ort-compare.js';

const X_DIMS = [2, 3, 9, 9];
const OC = 8;

function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + ((random() + 1) / 2) * (hi - lo));
}

/** x -> Conv (3x3, pads 1, `strides`, bias or not) -> BatchNormalization (eps 1e-3) -> Relu -> y. */
function convBn({ bias = true, strides = [1, 1], bnAttributes = {} as Record<string, number> } = {}): OnnxGraph {
  const t = (name: string, dims: number[], data: Float32Array): OnnxTensor => ({ name, type: 'float', dims, data });
  const initializers = [
    t('w', [OC, 3, 3, 3], values(OC * 27, 1, -0.5, 0.5)),
    ...(bias ? [t('b', [OC], values(OC, 2, -0.2, 0.2))] : []),
    t('gamma', [OC], values(OC, 3, 0.5, 1.5)),
    t('beta', [OC], values(OC, 4, -0.5, 0.5)),
    t('mean', [OC], values(OC, 5, -0.5, 0.5)),
    t('var', [OC], values(OC, 6, 0.1, 2)),
  ];
  const nodes: OnnxNode[] = [
    { opType: 'Conv', name: 'conv', inputs: ['x', 'w', bias ? 'b' : ''], outputs: ['c'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides } },
    { opType: 'BatchNormalization', name: 'bn', inputs: ['c', 'gamma', 'beta', 'mean', 'var'], outputs: ['n'], attributes: { epsilon: 1e-3, ...bnAttributes }, floatAttributes: ['epsilon'] },
    { opType: 'Relu', name: 'relu', inputs: ['n'], outputs: ['y'] },
  ];
  return { nodes, initializers, inputs: [{ name: 'x', type: 'float', dims: X_DIMS }], outputs: [{ name: 'y', type: 'float', dims: null }], opset: 13 };
}

const x = values(X_DIMS.reduce((a, b) => a * b), 7, -1, 1);

async function ortRun(graph: OnnxGraph): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(graph));
  return (await session.run({ x: new ort.Tensor('float32', x, X_DIMS) })).y.data as Float32Array;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length);
  const peak = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 0);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * peak, `${what}: index ${i}: ${actual[i]} vs ${expected[i]} (peak ${peak})`);
}

const opTypes = (g: OnnxGraph) => g.nodes.map((n) => n.opType);

describe('compress: BatchNorm fold', () => {
  for (const options of [{}, { bias: false }, { strides: [2, 2] }]) {
    it(`folds Conv -> BatchNormalization into the Conv: equal to onnxruntime's unfolded run within 1e-5, in onnxruntime and sparq (${JSON.stringify(options)})`, async () => {
      const graph = convBn(options);
      const folded = foldBatchNorm(graph);
      assert.deepEqual(opTypes(folded), ['Conv', 'Relu']);
      assert.deepEqual(opTypes(graph), ['Conv', 'BatchNormalization', 'Relu'], 'the input graph is left as it was');
      assert.deepEqual(folded.initializers!.map((t) => t.name).sort(), ['conv.bn_bias', 'conv.bn_weight']);
      const expected = await ortRun(graph);
      assertClose(await ortRun(folded), expected, 'onnxruntime, folded');
      const session = await InferenceSession.create(encodeOnnxModel(folded));
      const ours = await session.run({ x: { type: 'float32', dims: X_DIMS, data: x } });
      assertClose(ours.y.data as Float32Array, expected, 'sparq, folded');
    });
  }

  it('leaves a pair alone when the conv output is read elsewhere, a parameter is not an initializer, or the BN trains', () => {
    const graph = convBn();
    const readTwice: OnnxGraph = { ...graph, outputs: [...graph.outputs, { name: 'c', type: 'float', dims: null }] };
    assert.equal(foldBatchNorm(readTwice), readTwice);
    const meanFed: OnnxGraph = { ...graph, initializers: graph.initializers!.filter((t) => t.name !== 'mean'), inputs: [...graph.inputs, { name: 'mean', type: 'float', dims: [OC] }] };
    assert.equal(foldBatchNorm(meanFed), meanFed);
    const training = convBn({ bnAttributes: { training_mode: 1 } });
    assert.equal(foldBatchNorm(training), training);
  });

  it('quantize() folds before it quantizes: no BatchNormalization left, sparq exact on the int8 model', async () => {
    const feeds = [{ x: { type: 'float32', dims: X_DIMS, data: x } }];
    const { graph } = await quantize(convBn(), feeds);
    assert.ok(!opTypes(graph).includes('BatchNormalization'), opTypes(graph).join(', '));
    const bytes = encodeOnnxModel(graph);
    const expected = await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', x, X_DIMS) });
    const ours = await (await InferenceSession.create(bytes)).run(feeds[0]);
    await assertInt8Outputs(bytes, feeds[0], ours, expected, { tolerance: 0 });
    const unfolded = await quantize(convBn(), feeds, { foldBatchNorm: false });
    assert.ok(opTypes(unfolded.graph).includes('BatchNormalization'));
  });
});
