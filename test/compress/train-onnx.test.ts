/**
 * Networks to ONNX and back: onnxruntime-node and sparq's session run the
 * export (NCHW input) to what the network computes in eval mode (NHWC
 * input), an imported model trains on copies of its initializers and
 * exports to the same graph, and what the importer does not cover is named.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { hardSigmoid, hardSwish, relu, relu6, sigmoid } from '../../src/compress/train/layers/activation.js';
import { batchNorm } from '../../src/compress/train/layers/batchnorm.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { dropout } from '../../src/compress/train/layers/dropout.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import { sequential, residual, type Network } from '../../src/compress/train/network.js';
import { exportOnnx, importOnnx } from '../../src/compress/train/onnx.js';
import { Random } from '../../src/compress/train/random.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import type { Tensor } from '../../src/tensor.js';
import { assertSameArray, relativeError } from '../helpers.js';

const [H, W, C] = [4, 3, 3];

/** A network of every dense-side layer, a residual block and BatchNorm with non-trivial statistics. */
function network(): Network {
  const net = sequential([
    flatten(), dense(H * W * C, 16, { name: 'fc1' }), batchNorm(16, { name: 'bn' }), relu6(),
    residual([dense(16, 16, { name: 'r1' }), hardSwish(), dense(16, 16, { name: 'r2' })]),
    hardSigmoid({ alpha: 0.3, beta: 0.4 }), dropout(0.3), sigmoid(), dense(16, 8, { name: 'fc2' }), batchNorm(8, { name: 'bn2', epsilon: 1e-3, momentum: 0.8 }), relu(), dense(8, 5, { name: 'out' }),
  ], { input: [H, W, C] });
  const random = new Random(5);
  for (const b of net.buffers()) b.value.set(random.uniform(b.value.length, 0.5).map((v) => (b.name.endsWith('var') ? 1 + v : v)));
  for (const p of net.params()) if (p.name.startsWith('bn')) p.value.set(random.uniform(p.value.length, 1).map((v) => (p.name.endsWith('weight') ? 1 + 0.5 * v : v)));
  return net;
}

/** NHWC images and the same in NCHW. */
function images(n: number, seed: number): { nhwc: Tensor<'float32'>; nchw: Float32Array } {
  const nhwc = new Random(seed).uniform(n * H * W * C, 2);
  const nchw = new Float32Array(nhwc.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) nchw[((i * C + c) * H + y) * W + x] = nhwc[((i * H + y) * W + x) * C + c];
  return { nhwc: { type: 'float32', dims: [n, H, W, C], data: nhwc }, nchw };
}

async function ortRun(graph: OnnxGraph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(graph));
  const out = await session.run({ [graph.inputs[0].name]: new ort.Tensor('float32', x, dims) });
  return out[graph.outputs[0].name].data as Float32Array;
}

describe('compress/train: ONNX export and import', () => {
  it("onnxruntime and sparq's session run the exported network (NCHW) to its eval forward (NHWC) within 1e-5", async () => {
    const net = network();
    const graph = exportOnnx(net);
    assert.deepEqual(graph.inputs[0].dims, ['batch', C, H, W]);
    assert.deepEqual(graph.outputs[0].dims, ['batch', 5]);
    // calibrate() runs models on sparq's session.
    const session = await InferenceSession.create(encodeOnnxModel(graph));
    for (const n of [1, 6]) {
      const { nhwc, nchw } = images(n, n);
      const ours = net.forward(nhwc, 'eval').data;
      const theirs = await ortRun(graph, nchw, [n, C, H, W]);
      assert.ok(relativeError(ours, theirs) < 1e-5, `batch ${n}: relative error ${relativeError(ours, theirs)}`);
      const sparq = (await session.run({ input: { type: 'float32', dims: [n, C, H, W], data: nchw } })).logits.data as Float32Array;
      assert.ok(relativeError(ours, sparq) < 1e-5, `batch ${n}: sparq's session: relative error ${relativeError(ours, sparq)}`);
    }
  });

  it('an imported model exports to the same graph and computes the same, on copies of the weights', () => {
    const net = network();
    const bytes = encodeOnnxModel(exportOnnx(net));
    const imported = importOnnx(bytes);
    assert.deepEqual(imported.inputDims, [H, W, C]);
    const again = exportOnnx(imported);
    const original = exportOnnx(net);
    // Value names follow the network's nesting (the residual block was one); ops, attributes and constants do not.
    const plain = (g: OnnxGraph) => g.nodes.map((n) => [n.opType, n.inputs.length, Object.entries(n.attributes ?? {}).map(([k, v]) => [k, typeof v === 'object' && 'data' in v ? [...v.data] : v])]);
    assert.deepEqual(plain(again), plain(original));
    assert.deepEqual(again.initializers!.map((t) => [t.name, t.dims]), original.initializers!.map((t) => [t.name, t.dims]));
    again.initializers!.forEach((t, i) => assertSameArray(t.data as Float32Array, original.initializers![i].data as Float32Array, t.name));
    // An imported network keeps the model's value names: its export imports and exports to itself exactly.
    assert.deepEqual(exportOnnx(importOnnx(encodeOnnxModel(again))).nodes, again.nodes);
    const { nhwc } = images(3, 9);
    assertSameArray(imported.forward(nhwc, 'eval').data, Float32Array.from(net.forward(nhwc, 'eval').data), 'forward');
    const weight = imported.params().find((p) => p.name === 'fc1.weight')!;
    assert.equal(weight.decay, true);
    assert.equal(imported.params().find((p) => p.name === 'bn.weight')!.decay, false);
    weight.value[0] += 1;
    assert.notEqual(net.params().find((p) => p.name === 'fc1.weight')!.value[0], weight.value[0]);
  });

  it('imports a Gemm with transB = 0 (its weight [in, out]) and an inline bias', async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 4);
    const graph: OnnxGraph = {
      nodes: [
        { opType: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['h'] },
        { opType: 'Relu', inputs: ['h'], outputs: ['y'] },
      ],
      initializers: [{ name: 'w', type: 'float', dims: [4, 3], data: w }, { name: 'b', type: 'float', dims: [3], data: Float32Array.of(0.5, -0.5, 1) }],
      inputs: [{ name: 'x', type: 'float', dims: ['n', 4] }],
      outputs: [{ name: 'y', type: 'float', dims: ['n', 3] }],
    };
    const net = importOnnx(encodeOnnxModel(graph));
    assert.deepEqual(net.params()[0].dims, [3, 4]);
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 3 - 1);
    const ours = net.forward({ type: 'float32', dims: [2, 4], data: x }, 'eval').data;
    assert.ok(relativeError(ours, await ortRun(graph, x, [2, 4])) < 1e-6);
  });

  it('names what it cannot import or export', () => {
    const rejects = (error: typeof TypeError | typeof RangeError, message: RegExp) => (e: unknown) => e instanceof error && message.test((e as Error).message);
    const chain = (ops: string[], attributes = {}): Uint8Array => encodeOnnxModel({
      nodes: ops.map((opType, i) => ({ opType, inputs: [i === 0 ? 'x' : `v${i}`], outputs: [i === ops.length - 1 ? 'y' : `v${i + 1}`], attributes })),
      inputs: [{ name: 'x', type: 'float', dims: ['n', 4] }],
      outputs: [{ name: 'y', type: 'float', dims: null }],
    });
    assert.throws(() => importOnnx(chain(['Relu', 'Einsum', 'Relu', 'Det'])), rejects(RangeError, /^model uses ops the trainer has no layers for: Einsum, Det$/));
    assert.throws(() => importOnnx(chain(['Flatten'], { axis: 2 })), rejects(RangeError, /^model node "Flatten_0" \(Flatten\): Flatten must have axis = 1, got 2/));
    assert.throws(() => importOnnx(chain(['Gemm'])), rejects(RangeError, /^model node "Gemm_0" \(Gemm\): Gemm needs a weight input \(B\)/));
    assert.throws(() => importOnnx({} as never), rejects(TypeError, /^model must be ONNX bytes or a model readOnnx\(\) returned/));
    const unbuilt = sequential([dense(4, 2)]);
    assert.throws(() => exportOnnx(unbuilt), rejects(RangeError, /^options\.input is required/));
    assert.throws(() => exportOnnx(unbuilt, { input: [2, 4] }), rejects(RangeError, /^options\.input must be one sample's \[H, W, C\] or \[F\]/));
    assert.throws(() => exportOnnx(unbuilt, { input: [4], outputName: 'input' }), rejects(RangeError, /^options\.outputName must differ/));
    assert.throws(() => exportOnnx(unbuilt, { input: [4], opset: 11 }), rejects(RangeError, /^options\.opset must be an integer in \[14, 21\]/));
  });
});
