/**
 * pruneGraph on ONNX graphs: the layers it picks and skips, its report, the
 * input graph left untouched, [in, out] weights grouped along their input
 * axis; the pruned CIFAR-10 CNN run by sparq's InferenceSession on its
 * sparse kernels (read from session.profile()) with outputs within 1e-4
 * (relative to the largest) of onnxruntime-node's.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { blockDensity } from '../../src/backends/cpu/conv2d.js';
import { calibrate } from '../../src/compress/calibrate.js';
import { pruneGraph, type PruneGraphOptions } from '../../src/compress/prune/index.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { randomFloats, relativeError, rng } from '../helpers.js';
import { assertInt8Outputs, ortInt8Case } from '../runtime/ort-compare.js';
import { kernelsOf, runBoth } from './prune-run.js';

const IMAGE = [3, 32, 32] as const;

function initializer(graph: OnnxGraph, name: string): OnnxTensor {
  return graph.initializers!.find((t) => t.name === name)!;
}

function zeroFraction(data: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return zeros / data.length;
}

/** The pruned CIFAR CNN against onnxruntime at batch 2; returns the kernels of conv2, conv3 and fc1. */
async function runPrunedCnn(options: PruneGraphOptions): Promise<string[]> {
  const { graph } = pruneGraph(cifarCnn(), options);
  const out = await runBoth(graph, randomImages(2, IMAGE), [2, ...IMAGE]);
  assert.ok(relativeError(out.sparq, out.ort) < 1e-4, `relative error ${relativeError(out.sparq, out.ort)}`);
  return kernelsOf(out.session, ['conv2', 'conv3', 'fc1']);
}

/** x [1, 8] -> Gemm (transB 0, w1 [8, 8]) -> Relu -> MatMul (w2 [8, 4]): both weights [in, out]. */
function denseGraph(): OnnxGraph {
  const r = rng(3);
  return {
    nodes: [
      { opType: 'Gemm', name: 'fc1', inputs: ['x', 'w1'], outputs: ['h'], attributes: { transB: 0 } },
      { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['a'] },
      { opType: 'MatMul', name: 'fc2', inputs: ['a', 'w2'], outputs: ['y'] },
    ],
    initializers: [{ name: 'w1', type: 'float', dims: [8, 8], data: randomFloats(64, r) }, { name: 'w2', type: 'float', dims: [8, 4], data: randomFloats(32, r) }],
    inputs: [{ name: 'x', type: 'float', dims: [1, 8] }],
    outputs: [{ name: 'y', type: 'float', dims: [1, 4] }],
  };
}

const rejects = (error: typeof TypeError | typeof RangeError, message: RegExp) => (e: unknown) => e instanceof error && message.test((e as Error).message);

describe('compress: pruneGraph', () => {
  it('prunes the convs and dense layers between the first and the classifier, reports each layer and leaves the input graph alone', () => {
    const original = cifarCnn();
    const before = original.initializers!.map((t) => Float32Array.from(t.data as Float32Array));
    const { graph, layers } = pruneGraph(original, { method: 'magnitude', sparsity: 0.9 });
    assert.deepEqual(layers.map((l) => [l.node, l.weight, l.kind, l.reason]), [
      ['conv1', 'conv1.weight', 'skipped', 'first layer (options.skipFirst)'],
      ['conv2', 'conv2.weight', 'magnitude', undefined],
      ['conv3', 'conv3.weight', 'magnitude', undefined],
      ['fc1', 'fc1.weight', 'magnitude', undefined],
      ['fc2', 'fc2.weight', 'skipped', 'classifier, the last layer (options.skipLast)'],
    ]);
    assert.deepEqual(layers[1].dims, [64, 32, 3, 3]);
    for (const l of layers) assert.equal(l.sparsity, zeroFraction(initializer(graph, l.weight).data as Float32Array), l.node);
    for (const l of layers.slice(1, 4)) assert.ok(Math.abs(l.sparsity - 0.9) < 1e-3, `${l.node}: ${l.sparsity}`);
    original.initializers!.forEach((t, i) => assert.deepEqual(t.data, before[i], `${t.name} untouched`));
    assert.equal(initializer(graph, 'conv1.weight'), initializer(original, 'conv1.weight'), 'skipped weights are shared, not copied');
    const all = pruneGraph(original, { method: 'magnitude', sparsity: 0.5, skipFirst: false, skipLast: false }).layers;
    assert.ok(all.every((l) => l.kind === 'magnitude'), all.map((l) => l.kind).join(', '));
  });

  it('runs the 90%-pruned CIFAR CNN on sparse kernels, within 1e-4 of onnxruntime', async () => {
    const kernels = await runPrunedCnn({ method: 'magnitude', sparsity: 0.9 });
    // The dense layer's kernel is linear()'s crossover call for this CPU (CSR at 10% stored may lose to the GEMM at batch 2).
    for (const k of kernels.slice(0, 2)) assert.match(k, /^conv-(direct-|nhwc-)?csr$/, kernels.join(', '));
  });

  it('runs the CIFAR CNN pruned in [4 x 1] blocks on the block kernels, within 1e-4 of onnxruntime', async () => {
    const kernels = await runPrunedCnn({ method: 'block', sparsity: 0.9 });
    for (const k of kernels.slice(0, 2)) assert.match(k, /^conv-(direct-block4|bsr4x1|nhwc-bsr4x1)$/, kernels.join(', '));
    assert.match(kernels[2], /^spmm-bsr[48]x1$/, kernels.join(', '));
  });

  it('global magnitude pruning puts one threshold across the layers it prunes, and the result runs sparse within 1e-4 of onnxruntime', async () => {
    const { graph, layers } = pruneGraph(cifarCnn(), { method: 'magnitude', sparsity: 0.9, scope: 'global' });
    const pruned = layers.filter((l) => l.kind === 'global magnitude').map((l) => initializer(graph, l.weight).data as Float32Array);
    const original = layers.filter((l) => l.kind === 'global magnitude').map((l) => initializer(cifarCnn(), l.weight).data as Float32Array);
    const total = original.reduce((a, d) => a + d.length, 0);
    assert.equal(pruned.reduce((a, d) => a + d.filter((v) => v === 0).length, 0), Math.round(0.9 * total));
    let largestPruned = 0, smallestKept = Infinity;
    original.forEach((d, l) => d.forEach((v, i) => (pruned[l][i] === 0 ? (largestPruned = Math.max(largestPruned, Math.abs(v))) : (smallestKept = Math.min(smallestKept, Math.abs(v))))));
    assert.ok(largestPruned <= smallestKept);
    assert.notEqual(layers[1].sparsity, layers[3].sparsity, 'layers end up at their own sparsities');
    const kernels = await runPrunedCnn({ method: 'magnitude', sparsity: 0.9, scope: 'global' });
    assert.ok(kernels.some((k) => /csr/.test(k)), kernels.join(', '));
  });

  it('global magnitude pruning with maxLayerSparsity keeps every layer within the cap and still reaches the total', () => {
    const plain = pruneGraph(cifarCnn(), { method: 'magnitude', sparsity: 0.9, scope: 'global' }).layers.filter((l) => l.kind === 'global magnitude');
    assert.ok(plain.some((l) => l.sparsity === 1), `plain global magnitude empties a layer: ${plain.map((l) => l.sparsity).join(', ')}`);
    const { graph, layers } = pruneGraph(cifarCnn(), { method: 'magnitude', sparsity: 0.9, scope: 'global', maxLayerSparsity: 0.95 });
    const pruned = layers.filter((l) => l.kind === 'global magnitude');
    const data = pruned.map((l) => initializer(graph, l.weight).data as Float32Array);
    for (const l of pruned) assert.ok(l.sparsity <= 0.95 + 1e-6, `${l.weight} at ${l.sparsity}`);
    const total = data.reduce((a, d) => a + d.length, 0);
    assert.equal(data.reduce((a, d) => a + d.filter((v) => v === 0).length, 0), Math.round(0.9 * total));
  });

  it(`runs the CIFAR CNN pruned in [4 x 4] int8 blocks, then quantized, on sparse int8 kernels, exactly ${ortInt8Case()}`, async () => {
    const { graph } = pruneGraph(cifarCnn(), { method: 'block', block: 'int8', sparsity: 0.9 });
    const feeds = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [4, ...IMAGE], data: randomImages(4, IMAGE, 100 + seed) } }));
    const bytes = encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, feeds)));
    const x = { type: 'float32', dims: [2, ...IMAGE], data: randomImages(2, IMAGE, 3) };
    const expected = await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x.data, x.dims) });
    const session = await InferenceSession.create(bytes);
    await assertInt8Outputs(bytes, { input: x }, await session.run({ input: x }), expected, { tolerance: 0 });
    // conv2 and conv3 (conv1 is left dense) store a tenth of qu8s8-conv2d's [4 x 4] blocks (symmetric quantization keeps zeros
    // zero), and run on it, on CSR, [4 x 1] blocks or qspmm's [1 x 4] blocks, as the conv cost model picks for this CPU and ISA
    // level (the scalar level's NCHW im2col + qspmm is bsr1x4).
    for (const name of ['conv2.weight', 'conv3.weight']) {
      const density = blockDensity(initializer(graph, name).data as Float32Array, 64, 4, 4, 9);
      assert.ok(Math.abs(density - 0.1) < 0.002, `${name}: ${density}`);
    }
    const convs = session.profile().filter((p) => p.opType === 'QLinearConv').map((p) => p.kernel);
    for (const k of convs.slice(1)) assert.match(k, /-(csr|block4|int8|bsr1x4|bsr4x1)$/, convs.join(', '));
  });

  it('prunes 2:4 along the input channels (a layer whose channels 4 does not divide is skipped) and matches onnxruntime within 1e-4', async () => {
    const { graph, layers } = pruneGraph(cifarCnn(), { method: 'nm', skipFirst: false });
    assert.deepEqual(layers.map((l) => l.kind), ['skipped', '2:4', '2:4', '2:4', 'skipped']);
    assert.equal(layers[0].reason, '3 input channels, not a multiple of m = 4');
    for (const l of layers.slice(1, 4)) assert.equal(l.sparsity, 0.5, l.node);
    const out = await runBoth(graph, randomImages(2, IMAGE), [2, ...IMAGE]);
    assert.ok(relativeError(out.sparq, out.ort) < 1e-4, `relative error ${relativeError(out.sparq, out.ort)}`);
  });

  it('groups Gemm (transB 0) and MatMul weights, stored [in, out], along their input axis, and matches onnxruntime within 1e-4', async () => {
    const { graph, layers } = pruneGraph(denseGraph(), { method: 'nm', n: 1, m: 4, skipFirst: false, skipLast: false });
    assert.deepEqual(layers.map((l) => l.kind), ['1:4', '1:4']);
    const w2 = initializer(graph, 'w2').data as Float32Array;
    // w2 [8 in, 4 out]: for each output column, one of inputs 0-3 and one of 4-7.
    for (let o = 0; o < 4; o++)
      for (let c0 = 0; c0 < 8; c0 += 4) assert.equal([0, 1, 2, 3].filter((j) => w2[(c0 + j) * 4 + o] !== 0).length, 1, `column ${o}, inputs ${c0}..`);
    const out = await runBoth(graph, randomFloats(8, rng(4)), [1, 8]);
    assert.ok(relativeError(out.sparq, out.ort) < 1e-4, `relative error ${relativeError(out.sparq, out.ort)}`);
  });

  it('skips depthwise convs unless asked, and weights read by two nodes', () => {
    const r = rng(5);
    const graph: OnnxGraph = {
      nodes: [
        { opType: 'Conv', name: 'dw', inputs: ['x', 'dw.w'], outputs: ['a'], attributes: { group: 8, kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { opType: 'Conv', name: 'pw1', inputs: ['a', 'pw.w'], outputs: ['b'] },
        { opType: 'Conv', name: 'pw2', inputs: ['b', 'pw.w'], outputs: ['y'] },
      ],
      initializers: [{ name: 'dw.w', type: 'float', dims: [8, 1, 3, 3], data: randomFloats(72, r) }, { name: 'pw.w', type: 'float', dims: [8, 8, 1, 1], data: randomFloats(64, r) }],
      inputs: [{ name: 'x', type: 'float', dims: [1, 8, 4, 4] }],
      outputs: [{ name: 'y', type: 'float', dims: [1, 8, 4, 4] }],
    };
    const options = { method: 'magnitude', sparsity: 0.5, skipFirst: false, skipLast: false } as const;
    assert.deepEqual(pruneGraph(graph, options).layers.map((l) => l.reason), ['depthwise (options.depthwise)', 'weight read by 2 nodes', 'weight read by 2 nodes']);
    assert.deepEqual(pruneGraph(graph, { ...options, depthwise: true }).layers.map((l) => l.kind), ['magnitude', 'skipped', 'skipped']);
  });

  it('prunes by threshold', () => {
    const { graph, layers } = pruneGraph(cifarCnn(), { method: 'threshold', threshold: 0.05 });
    const before = initializer(cifarCnn(), 'conv2.weight').data as Float32Array, after = initializer(graph, 'conv2.weight').data as Float32Array;
    before.forEach((v, i) => assert.equal(after[i], Math.abs(v) < 0.05 ? 0 : v));
    assert.equal(layers[1].kind, 'threshold');
  });

  it('rejects bad graphs and options with errors naming them', () => {
    const cnn = cifarCnn();
    assert.throws(() => pruneGraph(null as never, { method: 'nm' }), rejects(TypeError, /^graph must be an object/));
    assert.throws(() => pruneGraph(cnn, { method: 'random' } as never), rejects(RangeError, /^options\.method must be one of 'threshold', 'magnitude', 'nm', 'block'/));
    assert.throws(() => pruneGraph(cnn, { method: 'magnitude' }), rejects(TypeError, /^options\.sparsity must be a number/));
    assert.throws(() => pruneGraph(cnn, { method: 'block', sparsity: 1.5 }), rejects(RangeError, /^options\.sparsity must be in \[0, 1\)/));
    assert.throws(() => pruneGraph(cnn, { method: 'magnitude', sparsity: 0.5, n: 2 }), rejects(RangeError, /^options\.n does not apply to method 'magnitude'/));
    assert.throws(() => pruneGraph(cnn, { method: 'nm', n: 5 }), rejects(RangeError, /^options\.m must be an integer in \[5, 255\]/));
    assert.throws(() => pruneGraph(cnn, { method: 'magnitude', sparsity: 0.5, maxLayerSparsity: 0.8 }), rejects(RangeError, /^options\.maxLayerSparsity applies to scope 'global' only/));
    assert.throws(() => pruneGraph(cnn, { method: 'nm', maxLayerSparsity: 0.8 }), rejects(RangeError, /^options\.maxLayerSparsity does not apply to method 'nm'/));
    assert.throws(() => pruneGraph(cnn, { method: 'block', sparsity: 0.5, scope: 'model' as never }), rejects(RangeError, /^options\.scope must be one of 'layer', 'global'/));
    assert.throws(() => pruneGraph(cnn, { method: 'threshold', threshold: 0.1, skipFirst: 1 as never }), rejects(TypeError, /^options\.skipFirst must be a boolean/));
    const nan = { ...cnn, initializers: cnn.initializers!.map((t) => (t.name === 'conv2.weight' ? { ...t, data: new Float32Array(t.data.length).fill(NaN) } : t)) };
    assert.throws(() => pruneGraph(nan, { method: 'nm' }), rejects(RangeError, /^graph initializer "conv2\.weight"\.data \[0\] = NaN is not finite/));
  });
});
