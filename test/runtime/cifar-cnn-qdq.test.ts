import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { chooseConvPath, convCandidates, convShape } from '../../src/backends/cpu/conv/choice.js';
import type { WindowAttributes } from '../../src/runtime/ops/conv-attributes.js';
import type { Oracle } from '../../src/runtime/compare/oracle.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { int8Weights, SEVEN_BIT_WEIGHT } from '../../src/runtime/compare/ort-int8.js';
import { assertInt8Outputs, ortInt8Case } from './ort-compare.js';

const convKernels = (session: InferenceSession) => session.profile().filter((p) => p.opType === 'QLinearConv').map((p) => p.kernel);

/**
 * `kernels` (a session's QLinearConv labels, in order) are what the conv cost
 * model chooses for the QDQ model's int8 conv weights on the variants this
 * CPU runs: a direct path's label, or an im2col one (qconv, qconv-<sparse format>).
 */
function assertChosenKernels(kernels: string[], bytes: Uint8Array, trySparse: boolean): void {
  const graph = readOnnx(bytes).graph;
  const dq = new Map(graph.nodes.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.outputs[0], n]));
  const chosen = graph.nodes.filter((n) => n.opType === 'Conv').map((conv) => {
    const [q, scale, zeroPoint] = dq.get(conv.inputs[1])!.inputs.map((name) => graph.initializers.get(name)!);
    const w = { type: 'int8' as const, dims: q.dims, data: q.data as Int8Array, scales: scale.data as Float32Array, zeroPoints: Int32Array.from(zeroPoint.data as Int8Array) };
    const window = { kernel: [q.dims[2], q.dims[3]], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], oneD: false } as WindowAttributes;
    return chooseConvPath(convShape(w, window), convCandidates(w, window, trySparse)).path;
  });
  assert.equal(kernels.length, chosen.length);
  chosen.forEach((path, i) => assert.match(kernels[i], path.startsWith('direct') ? new RegExp(`^qconv-${path}$`) : /^qconv(-(?!direct)[a-z0-9]+)?$/, `layer ${i}: ${kernels.join(', ')}; cost model: ${chosen.join(', ')}`));
}

async function qdqModel(prune = 0, image: [number, number, number] = [3, 32, 32], pruneBlock: 1 | 4 = 1, reduceRange = false): Promise<Uint8Array> {
  const graph: OnnxGraph = cifarCnn({ prune, image, pruneBlock });
  const feeds = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [4, ...image], data: randomImages(4, image, 100 + seed) } }));
  return encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, feeds), { reduceRange }));
}

/** sparq's logits bit for bit against the exact reference, and against onnxruntime where its int8 is exact here (assertInt8Outputs). */
async function assertExact(bytes: Uint8Array, batch: number, image: [number, number, number] = [3, 32, 32], layout: 'auto' | 'nchw' = 'auto'): Promise<{ session: InferenceSession; oracle: Oracle }> {
  const x = randomImages(batch, image, 3);
  const feeds = { input: { type: 'float32', dims: [batch, ...image], data: x } };
  const expected = await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x, [batch, ...image]) });
  const session = await InferenceSession.create(bytes, { layout });
  const oracle = await assertInt8Outputs(bytes, feeds, await session.run(feeds), expected, { tolerance: 0 });
  return { session, oracle };
}

const CASE = ortInt8Case();

describe('runtime: the CIFAR-10 CNN in QDQ int8 (per-channel weights)', () => {
  for (const [prune, batch] of [[0, 1], [0, 5], [0.9, 2]] as const) {
    it(`runs int8 end to end, exactly (pruned ${prune * 100}%, batch ${batch}) ${CASE}`, async () => {
      const { session } = await assertExact(await qdqModel(prune), batch);
      const ops = session.profile().map((p) => p.opType);
      // Dense: layout 'auto' runs the convs NHWC (the input quantized straight into NHWC bytes), back to NCHW before Flatten.
      const back = prune === 0 ? ['Transpose'] : [];
      assert.deepEqual(ops, ['QuantizeLinear', 'QLinearConv', 'QLinearConv', 'QLinearConv', ...back, 'Flatten', 'QLinearMatMul', 'QLinearMatMul', 'DequantizeLinear']);
    });
  }

  // Which kernel each layer takes is the conv cost model's call for the
  // variants this CPU runs (conv-choice.test.ts tests the model itself), so
  // it differs between VNNI, AVX2, AVX-512 without VNNI, NEON and scalar:
  // these check that the session follows it, and stays exact.
  it(`runs 90% block-pruned int8 on sparse kernels (blocks, CSR or 8-bit blocks, as the cost model picks), exactly ${CASE}`, async () => {
    const bytes = await qdqModel(0.9, [3, 32, 32], 4);
    const { session } = await assertExact(bytes, 3);
    const kernels = convKernels(session);
    for (const k of kernels) assert.match(k, /-(csr|block4|int8)$/, kernels.join(', '));
    assertChosenKernels(kernels, bytes, true);
  });

  it(`runs dense int8 convs on the kernels the cost model picks for this CPU, exactly, and on dense ones with sparsity off ${CASE}`, async () => {
    const bytes = await qdqModel(0);
    // The NCHW operator's choices (layout 'auto' runs this dense model NHWC, on qconv-nhwc).
    const { session } = await assertExact(bytes, 2, [3, 32, 32], 'nchw');
    assertChosenKernels(convKernels(session), bytes, true);
    for (const k of convKernels((await assertExact(bytes, 2)).session)) assert.equal(k, 'qconv-nhwc');
    const off = convKernels(await InferenceSession.create(bytes, { sparsity: 'off', layout: 'nchw' }));
    for (const k of off) assert.match(k, /^qconv(-direct)?$/, off.join(', '));
    assertChosenKernels(off, bytes, false);
  });

  // onnxruntime's u8s8 kernels on x86 without VNNI add two u8 x s8 products
  // in int16 with saturation; weights within [-64, 64] keep every pair below
  // its limit, so onnxruntime is exact on every CPU, and the oracle.
  it('with 7-bit (reduce_range) weights equals onnxruntime bit for bit on every CPU, those without VNNI included', async () => {
    const bytes = await qdqModel(0, [3, 32, 32], 1, true);
    assert.ok(int8Weights(readOnnx(bytes).graph).every((w) => w.every((v) => Math.abs(v) <= SEVEN_BIT_WEIGHT)));
    const { oracle } = await assertExact(bytes, 3);
    assert.equal(oracle.authority, 'onnxruntime', oracle.reason);
  });

  it(`runs the 1x28x28 variant exactly too ${CASE}`, async () => {
    await assertExact(await qdqModel(0, [1, 28, 28]), 3, [1, 28, 28]);
  });

  // The built-in crossover table puts int8 CSR's break-even at 6-7% density
  // (src/backends/cpu/crossover-table.ts), so 97% pruning must run sparse.
  it(`picks sparse int8 kernels for 97%-pruned layers and stays exact ${CASE}`, async () => {
    const bytes = await qdqModel(0.97);
    await assertExact(bytes, 2);
    const session = await InferenceSession.create(bytes);
    assert.ok(session.profile().some((p) => /^q(conv|spmm)-/.test(p.kernel)), session.profile().map((p) => p.kernel).join(', '));
  });
});
