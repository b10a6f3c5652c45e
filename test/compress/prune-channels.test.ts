/**
 * pruneChannels: removing a conv's output channels and shrinking what reads
 * them gives the outputs of the original graph with those channels zeroed
 * (weights, biases and every per-channel parameter down the chain), through
 * sparq's InferenceSession and onnxruntime-node; chains it cannot prove
 * safe (a residual Add, a branch, a graph output) are refused with the
 * reason; bad options are rejected.
 */
import assert from 'node:assert/strict';

import { pruneChannels } from '../../src/compress/prune/index.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../src/runtime/onnx/write.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { randomFloats, relativeError, rng } from '../helpers.js';
import { runBoth } from './prune-run.js';

/** `graph` with channels `removed` of each named per-channel initializer (axis 0) set to `value`. */
function withChannels(graph: OnnxGraph, removed: ReadonlyMap<string, readonly number[]>, value = 0): OnnxGraph {
  const initializers = graph.initializers!.map((t) => {
    const channels = removed.get(t.name);
    if (!channels) return t;
    const data = Float32Array.from(t.data as Float32Array), per = data.length / t.dims[0];
    for (const c of channels) data.fill(value, c * per, (c + 1) * per);
    return { ...t, data };
  });
  return { ...graph, initializers };
}

function dims(graph: OnnxGraph, name: string): readonly number[] {
  return graph.initializers!.find((t) => t.name === name)!.dims;
}

/** The shrunk graph against the masked one, in both runtimes, within 1e-4 relative. */
async function assertSameOutputs(shrunk: OnnxGraph, masked: OnnxGraph, x: Float32Array, xDims: readonly number[]): Promise<void> {
  const a = await runBoth(shrunk, x, xDims), b = await runBoth(masked, x, xDims);
  assert.ok(relativeError(a.ort, b.ort) < 1e-4, `onnxruntime: shrunk vs masked, relative error ${relativeError(a.ort, b.ort)}`);
  assert.ok(relativeError(a.sparq, b.ort) < 1e-4, `sparq shrunk vs onnxruntime masked, relative error ${relativeError(a.sparq, b.ort)}`);
  assert.ok(relativeError(b.sparq, b.ort) < 1e-4, `sparq vs onnxruntime, masked, relative error ${relativeError(b.sparq, b.ort)}`);
}

/**
 * A MobileNet-like chain on [N, 4, 8, 8]: convA (3x3, bias) -> BN -> Relu ->
 * depthwise 3x3 (bias) -> BN -> Clip(0, 6) -> convB (1x1, no bias) -> Relu
 * -> GlobalAveragePool -> Flatten -> Gemm (transB 0, [8, 5]).
 */
function mobileChain(): OnnxGraph {
  const r = rng(11);
  const t = (name: string, shape: number[], scale = 1, offset = 0): OnnxTensor =>
    ({ name, type: 'float', dims: shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), r, scale).map((v) => v + offset) });
  const bn = (name: string, input: string, output: string): [OnnxNode, OnnxTensor[]] => [
    { opType: 'BatchNormalization', name, inputs: [input, `${name}.scale`, `${name}.bias`, `${name}.mean`, `${name}.var`], outputs: [output] },
    [t(`${name}.scale`, [8], 0.5, 1), t(`${name}.bias`, [8], 0.5), t(`${name}.mean`, [8], 0.5), t(`${name}.var`, [8], 0.4, 1)],
  ];
  const [bn1, bn1Params] = bn('bn1', 'a', 'b'), [bn2, bn2Params] = bn('bn2', 'd', 'e');
  return {
    nodes: [
      { opType: 'Conv', name: 'convA', inputs: ['x', 'convA.w', 'convA.b'], outputs: ['a'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      bn1,
      { opType: 'Relu', name: 'relu1', inputs: ['b'], outputs: ['c'] },
      { opType: 'Conv', name: 'dw', inputs: ['c', 'dw.w', 'dw.b'], outputs: ['d'], attributes: { group: 8, kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      bn2,
      { opType: 'Clip', name: 'clip', inputs: ['e', 'zero', 'six'], outputs: ['f'] },
      { opType: 'Conv', name: 'convB', inputs: ['f', 'convB.w'], outputs: ['g'], attributes: { kernel_shape: [1, 1] } },
      { opType: 'Relu', name: 'relu2', inputs: ['g'], outputs: ['h'] },
      { opType: 'GlobalAveragePool', name: 'gap', inputs: ['h'], outputs: ['i'] },
      { opType: 'Flatten', name: 'flatten', inputs: ['i'], outputs: ['j'], attributes: { axis: 1 } },
      { opType: 'Gemm', name: 'fc', inputs: ['j', 'fc.w', 'fc.b'], outputs: ['y'] },
    ],
    initializers: [
      t('convA.w', [8, 4, 3, 3], 0.5), t('convA.b', [8], 0.2), ...bn1Params, t('dw.w', [8, 1, 3, 3], 0.5), t('dw.b', [8], 0.2), ...bn2Params,
      { name: 'zero', type: 'float', dims: [], data: Float32Array.of(0) }, { name: 'six', type: 'float', dims: [], data: Float32Array.of(6) },
      t('convB.w', [8, 8, 1, 1], 0.5), t('fc.w', [8, 5]), t('fc.b', [5]),
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['batch', 4, 8, 8] }],
    outputs: [{ name: 'y', type: 'float', dims: ['batch', 5] }],
  };
}

/** x -> conv (1x1, [4, 4]) -> Relu -> `tail` nodes, y the output. */
function smallGraph(tail: OnnxNode[], outputs = ['y']): OnnxGraph {
  const r = rng(13);
  return {
    nodes: [
      { opType: 'Conv', name: 'convA', inputs: ['x', 'convA.w'], outputs: ['a'] },
      { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['b'] },
      ...tail,
    ],
    initializers: ['convA.w', 'convB.w', 'convC.w'].map((name) => ({ name, type: 'float' as const, dims: [4, 4, 1, 1], data: randomFloats(16, r) })),
    inputs: [{ name: 'x', type: 'float', dims: [1, 4, 3, 3] }],
    outputs: outputs.map((name) => ({ name, type: 'float' as const, dims: null })),
  };
}

const rejects = (error: typeof TypeError | typeof RangeError, message: RegExp) => (e: unknown) => e instanceof error && message.test((e as Error).message);

describe('compress: pruneChannels', () => {
  it('removes a quarter of the CIFAR CNN\'s conv channels, shrinking the next convs and the dense layer after Flatten, with the outputs of the zeroed model', async () => {
    const original = cifarCnn();
    const { graph, layers } = pruneChannels(original, { ratio: 0.25 });
    assert.deepEqual(layers.map((l) => [l.node, l.channels, l.removed.length, l.refused]), [['conv1', 32, 8, undefined], ['conv2', 64, 16, undefined], ['conv3', 64, 16, undefined]]);
    assert.deepEqual(dims(graph, 'conv1.weight'), [24, 3, 3, 3]);
    assert.deepEqual(dims(graph, 'conv2.weight'), [48, 24, 3, 3]);
    assert.deepEqual(dims(graph, 'conv3.weight'), [48, 48, 3, 3]);
    assert.deepEqual(dims(graph, 'conv3.bias'), [48]);
    // Flatten of [64, 4, 4]: 16 features per channel.
    assert.deepEqual(dims(graph, 'fc1.weight'), [64, 48 * 16]);
    assert.deepEqual(dims(original, 'conv1.weight'), [32, 3, 3, 3], 'the input graph is untouched');
    // The zeroed model: the removed channels' weights and biases 0, so ReLU and MaxPool pass zeros on.
    const removed = new Map(layers.flatMap((l): [string, number[]][] => [[l.weight, l.removed], [l.weight.replace('weight', 'bias'), l.removed]]));
    await assertSameOutputs(graph, withChannels(original, removed), randomImages(2, [3, 32, 32]), [2, 3, 32, 32]);
  });

  it('follows BatchNorm, a depthwise conv and Clip to the next conv, and Relu and GlobalAveragePool into Flatten -> Gemm (transB 0)', async () => {
    const original = mobileChain();
    const { graph, layers } = pruneChannels(original, { ratio: 0.5 });
    assert.deepEqual(layers.map((l) => [l.node, l.removed.length, l.refused]), [
      ['convA', 4, undefined],
      ['dw', 0, 'grouped conv (8 groups): its output channels are tied to its input channels'],
      ['convB', 4, undefined],
    ]);
    for (const name of ['convA.b', 'bn1.scale', 'bn1.bias', 'bn1.mean', 'bn1.var', 'dw.b', 'bn2.scale', 'bn2.var']) assert.deepEqual(dims(graph, name), [4], name);
    assert.deepEqual(dims(graph, 'dw.w'), [4, 1, 3, 3]);
    assert.equal(graph.nodes.find((n) => n.name === 'dw')!.attributes!.group, 4);
    assert.deepEqual(dims(graph, 'convB.w'), [4, 4, 1, 1]);
    assert.deepEqual(dims(graph, 'fc.w'), [4, 5]);
    // Zeroed: convA's channels through bn1 (scale and shift 0), the depthwise conv and bn2; convB's rows.
    const [a, b] = [layers[0].removed, layers[2].removed];
    const zeroed = new Map<string, readonly number[]>([
      ...['convA.w', 'convA.b', 'bn1.scale', 'bn1.bias', 'dw.w', 'dw.b', 'bn2.scale', 'bn2.bias'].map((n) => [n, a] as const), ['convB.w', b],
    ]);
    await assertSameOutputs(graph, withChannels(original, zeroed), randomFloats(3 * 256, rng(12)).map(Math.abs), [3, 4, 8, 8]);
  });

  it('removes the channels with the smallest L1 (default) or L2 norms', () => {
    const graph = smallGraph([{ opType: 'Conv', name: 'convB', inputs: ['b', 'convB.w'], outputs: ['y'] }]);
    const w = graph.initializers![0].data as Float32Array;
    // Channel 0: one large weight (L1 2, L2 4); channel 1: four middling ones (L1 3.6, L2 3.24); channels 2, 3 larger.
    w.set([2, 0, 0, 0, 0.9, 0.9, -0.9, 0.9, 3, 3, 3, 3, 4, 4, 4, 4]);
    assert.deepEqual(pruneChannels(graph, { ratio: 0.25, nodes: ['convA'] }).layers[0].removed, [0]);
    assert.deepEqual(pruneChannels(graph, { ratio: 0.25, nodes: ['convA'], norm: 'l2' }).layers[0].removed, [1]);
    assert.deepEqual(pruneChannels(graph, { ratio: 0.99, nodes: ['convA'] }).layers[0].removed, [0, 1, 2], 'one channel is always kept');
  });

  it('rounds the kept channels up to options.multiple', () => {
    // 30% of 32 is 10 channels (22 kept, 24 with multiple 4), of 64 is 19 (45 kept, 48).
    const { graph, layers } = pruneChannels(cifarCnn(), { ratio: 0.3, multiple: 4 });
    assert.deepEqual(layers.map((l) => l.removed.length), [8, 16, 16]);
    assert.deepEqual(dims(graph, 'conv2.weight'), [48, 24, 3, 3]);
    assert.deepEqual(pruneChannels(cifarCnn(), { ratio: 0.3 }).layers.map((l) => l.removed.length), [10, 19, 19]);
    assert.deepEqual(pruneChannels(cifarCnn(), { ratio: 0.99, multiple: 64 }).layers.map((l) => l.removed.length), [0, 0, 0], 'one channel kept, rounded up to all');
  });

  it('refuses chains it cannot prove safe, with the reason, and leaves those convs whole', () => {
    const cases: [string, OnnxGraph, RegExp][] = [
      ['residual Add', smallGraph([{ opType: 'Add', name: 'add', inputs: ['b', 'x'], outputs: ['c'] }, { opType: 'Conv', name: 'convB', inputs: ['c', 'convB.w'], outputs: ['y'] }]),
        /^Add "add" adds "b" to another value \(a residual connection\)/],
      ['branch', smallGraph([{ opType: 'Conv', name: 'convB', inputs: ['b', 'convB.w'], outputs: ['y'] }, { opType: 'Conv', name: 'convC', inputs: ['b', 'convC.w'], outputs: ['z'] }], ['y', 'z']),
        /^"b" is read by 2 nodes \(a branch or a residual connection\)/],
      ['graph output', smallGraph([{ opType: 'Conv', name: 'convB', inputs: ['b', 'convB.w'], outputs: ['y'] }], ['y', 'b']), /^"b" is a graph output/],
      ['unknown op', smallGraph([{ opType: 'Softmax', name: 'softmax', inputs: ['b'], outputs: ['y'] }]), /^Softmax "softmax" is not an op whose channels pruneChannels can follow/],
    ];
    for (const [what, graph, reason] of cases) {
      const result = pruneChannels(graph, { ratio: 0.5, nodes: ['convA'] });
      assert.match(result.layers[0].refused ?? '', reason, what);
      assert.deepEqual(result.layers[0].removed, [], what);
      assert.deepEqual(result.graph.initializers, graph.initializers, `${what}: nothing changed`);
    }
    const shared = smallGraph([{ opType: 'Conv', name: 'convB', inputs: ['b', 'convA.w'], outputs: ['y'] }]);
    assert.match(pruneChannels(shared, { ratio: 0.5 }).layers[0].refused ?? '', /^"convA\.w" is read by 2 nodes/);
  });

  it('rejects bad options with errors naming them', () => {
    const cnn = cifarCnn();
    assert.throws(() => pruneChannels(cnn, { ratio: 1 }), rejects(RangeError, /^options\.ratio must be in \[0, 1\), got 1/));
    assert.throws(() => pruneChannels(cnn, {} as never), rejects(TypeError, /^options\.ratio must be a number/));
    assert.throws(() => pruneChannels(cnn, { ratio: 0.5, norm: 'l0' as never }), rejects(RangeError, /^options\.norm must be one of 'l1', 'l2'/));
    assert.throws(() => pruneChannels(cnn, { ratio: 0.5, multiple: 0 }), rejects(RangeError, /^options\.multiple must be an integer in \[1, 65536\]/));
    assert.throws(() => pruneChannels(cnn, { ratio: 0.5, nodes: ['fc1'] }), rejects(RangeError, /^options\.nodes\[0\] "fc1" is not a Conv node of the graph/));
    assert.throws(() => pruneChannels(cnn, { ratio: 0.5, nodes: 'conv1' as never }), rejects(TypeError, /^options\.nodes must be an array/));
    assert.throws(() => pruneChannels({ nodes: [] } as never, { ratio: 0.5 }), rejects(TypeError, /^graph\.inputs must be an array/));
  });
});
