/**
 * MobileNet-style blocks exported the way PyTorch and Paddle export them
 * (test/fixtures/mobilenet-blocks.ts): depthwise convs, BN, HardSwish /
 * HardSigmoid, squeeze-excite, residual Add, Constant-node weights, opsets
 * 9 to 14, dynamic batch and spatial dims. Each model is created once in
 * sparq and in onnxruntime-node and run at two batch sizes x two spatial
 * sizes, so one session serves every shape.
 *
 * The same blocks run with option layout 'nhwc' too (the last describe).
 *
 * Float tolerance: |sparq - onnxruntime| <= 1e-4 * |onnxruntime| + 1e-4 *
 * max|onnxruntime| per element (relative 1e-4, with the absolute part
 * scaled to the output for values near 0, where the two GEMMs' different
 * summation orders dominate).
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { conv1dBlocks, downsamplingBlocks, groupedBlocks, paddingBlocks, paddleBlocks, pytorchBlocks } from '../fixtures/mobilenet-blocks.js';
import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession, type SessionOptions } from '../../src/runtime/session.js';
import { assertClose, rng } from '../helpers.js';
import { assertInt8Outputs, ortInt8Case } from './ort-compare.js';

const RTOL = 1e-4;

/** Seeded inputs in [0, 1) (QDQ quantizes the input with the calibrated range). */
function input(dims: number[], seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r());
}

interface Run {
  dims: number[];
  x: Float32Array;
  ours: Float32Array;
  reference: Float32Array;
}

/**
 * Runs `graph` on every input shape in one sparq and one onnxruntime session; returns both outputs per shape.
 * Layout 'nchw' unless `options` says otherwise: the first describe checks the NCHW kernels each conv runs on.
 */
async function runBoth(graph: OnnxGraph, shapes: number[][], options: SessionOptions = {}): Promise<{ runs: Run[]; session: InferenceSession }> {
  const bytes = encodeOnnxModel(graph);
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const session = await InferenceSession.create(bytes, { layout: 'nchw', ...options });
  const [inputName, outputName] = [graph.inputs[0].name, graph.outputs[0].name];
  const runs: Run[] = [];
  for (const [i, dims] of shapes.entries()) {
    const x = input(dims, 100 + i);
    const expected = (await reference.run({ [inputName]: new ort.Tensor('float32', x, dims) }))[outputName];
    const actual = (await session.run({ [inputName]: { type: 'float32', dims, data: x } }))[outputName];
    assert.deepEqual(actual.dims, [...expected.dims], `output dims for input [${dims}]`);
    runs.push({ dims, x, ours: actual.data as Float32Array, reference: expected.data as Float32Array });
  }
  return { runs, session };
}

function assertFloatClose(runs: Run[]): void {
  for (const { dims, ours, reference } of runs) {
    const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(ours, reference, RTOL, RTOL * scale, `input [${dims}]`);
  }
}

/** Batch 1 and 3, times an even and an odd spatial size (odd sizes hit the stride-2 and SAME_UPPER edges). */
const shapes2d = (channels: number, sizes: [number, number][]) => [1, 3].flatMap((n) => sizes.map(([h, w]) => [n, channels, h, w]));

describe('runtime: MobileNet-style blocks vs onnxruntime', () => {
  for (const opset of [13, 14] as const)
    it(`PyTorch export, opset ${opset} (${opset === 13 ? 'x * HardSigmoid' : 'HardSwish'}): BN folded into the convs, SE and residual Add in float`, async () => {
      const { runs, session } = await runBoth(pytorchBlocks({ opset }), shapes2d(16, [[16, 16], [13, 11]]));
      assertFloatClose(runs);
      // The pass folded every BN (each follows a Conv read by nothing else) and fused the ReLUs after the depthwise and SE convs.
      const ops = session.profile().map((p) => p.opType);
      assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Relu'), ops.join(', '));
      assert.equal(ops.filter((o) => o === 'Conv').length, 10);
      // The depthwise convs (one in each of the two blocks) run on f32-dwconv2d, or f32-dwconv2d-nhwc where the session moved them to NHWC.
      assert.equal(session.profile().filter((p) => /^conv-depthwise(-nhwc)?$/.test(p.kernel)).length, 2, session.profile().map((p) => p.kernel).join(', '));
      // Each HardSwish (written as x * HardSigmoid(x) at opset 13) and the residual Add fused into their convs.
      assert.ok(!['HardSwish', 'Add'].some((op) => ops.includes(op)), ops.join(', '));
      assert.equal(ops.filter((o) => o === 'Mul').length, 2, ops.join(', '));
    });

  it('PyTorch eval-mode export (BN already folded into the conv biases)', async () => {
    const { runs } = await runBoth(pytorchBlocks({ foldBn: true }), shapes2d(16, [[8, 8], [9, 12]]));
    assertFloatClose(runs);
  });

  it('runs the same numbers with the passes off', async () => {
    const { runs } = await runBoth(pytorchBlocks({ opset: 14 }), shapes2d(16, [[16, 16]]), { optimize: false });
    assertFloatClose(runs);
  });

  for (const opset of [9, 11] as const)
    it(`Paddle export, opset ${opset}: Constant-node weights, Clip ReLU6 (${opset === 9 ? 'attributes' : 'inputs'}), Shape->Gather->Unsqueeze->Concat reshape`, async () => {
      const { runs, session } = await runBoth(paddleBlocks({ opset }), shapes2d(16, [[16, 16], [15, 10]]));
      assertFloatClose(runs);
      // The Constant-node weights became constants before the other passes, so every BN folded, the
      // ReLU6 Clips after the depthwise convs fused, and x * Clip(x + 3, 0, 6) / 6 became a HardSwish
      // fused into its conv (hardswish-forms, fuse-post-op), as did the residual Add.
      const ops = session.profile().map((p) => p.opType);
      assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Constant'), ops.join(', '));
      assert.ok(!['Clip', 'Div', 'HardSwish'].some((op) => ops.includes(op)), ops.join(', '));
      assert.equal(ops.filter((o) => o === 'Add').length, 1, ops.join(', '));
    });

  it('auto_pad SAME_UPPER convs (odd and even kernels, stride 2) and AveragePool with count_include_pad', async () => {
    const { runs } = await runBoth(paddingBlocks(), shapes2d(8, [[12, 12], [11, 9]]));
    assertFloatClose(runs);
  });

  it('1-D convs: SAME_UPPER stride 2, depthwise, AveragePool1d with count_include_pad', async () => {
    const { runs } = await runBoth(conv1dBlocks(), [1, 3].flatMap((n) => [[n, 8, 20], [n, 8, 17]]));
    assertFloatClose(runs);
  });

  it('grouped convs (4 and 8 channels per group) and a depthwise one with 2 outputs per channel, each in one f32-dwconv2d call', async () => {
    const { runs, session } = await runBoth(groupedBlocks(), shapes2d(16, [[14, 14], [13, 9]]));
    assertFloatClose(runs);
    assert.deepEqual(session.profile().filter((p) => p.opType === 'Conv').map((p) => p.kernel), ['conv-grouped', 'conv-grouped', 'conv-depthwise']);
  });

  it('a net that downsamples 32x32 images to 1x1 before its last pools, whose windows are then larger than their input', async () => {
    const { runs, session } = await runBoth(downsamplingBlocks(), [[1, 3, 32, 32], [2, 3, 32, 32], [1, 3, 64, 64], [1, 3, 13, 11]]);
    assertFloatClose(runs);
    // The 2x2 MaxPools fused into the pointwise convs before them (the last one, at 32x32, runs after its conv:
    // the kernel pools only windows that fit); the padded 3x3 one stays.
    assert.equal(session.profile().filter((p) => p.opType === 'MaxPool').length, 1);
  });

  // quantizeQdq puts Q/DQ on the inputs of the convs, the Gemm, Flatten and
  // the elementwise ops (HardSwish, HardSigmoid, the SE Mul and
  // GlobalAveragePool, the residual Add), so every conv runs on the integer
  // kernels and each elementwise op is one float operation between a DQ and
  // a Q, the same in every backend: exact.
  it(`the QDQ version of the PyTorch blocks, exactly ${ortInt8Case()}`, async () => {
    const graph = pytorchBlocks({ foldBn: true });
    const calibration = [0, 1].map((i) => ({ input: { type: 'float32', dims: [4, 16, 16, 16], data: input([4, 16, 16, 16], 200 + i) } }));
    const qdq = quantizeQdq(graph, await calibrate(graph, calibration));
    const { runs, session } = await runBoth(qdq, shapes2d(16, [[16, 16], [13, 11]]));
    const bytes = encodeOnnxModel(qdq);
    for (const { dims, x, ours, reference } of runs) {
      const logits = (o: Float32Array) => ({ logits: { type: 'float32' as const, dims: [dims[0], o.length / dims[0]], data: o } });
      await assertInt8Outputs(bytes, { input: { type: 'float32', dims, data: x } }, logits(ours), logits(reference), { tolerance: 0 });
    }
    // All 10 convs and the classifier run on the integer kernels; Flatten moves the 8-bit values.
    const ops = session.profile().map((p) => p.opType);
    assert.equal(ops.filter((o) => o === 'QLinearConv').length, 10, ops.join(', '));
    assert.ok(!ops.includes('Conv'), ops.join(', '));
    assert.ok(ops.includes('QLinearMatMul'), ops.join(', '));
  });
});

describe("runtime: MobileNet-style blocks vs onnxruntime with layout 'nhwc'", () => {
  const nhwc = { layout: 'nhwc' } as const;
  const floats: [string, () => OnnxGraph, number, [number, number][]][] = [
    ['PyTorch export, opset 13', () => pytorchBlocks({ opset: 13 }), 16, [[16, 16], [13, 11]]],
    ['PyTorch export, opset 14', () => pytorchBlocks({ opset: 14 }), 16, [[16, 16]]],
    ['PyTorch eval-mode export', () => pytorchBlocks({ foldBn: true }), 16, [[9, 12]]],
    ['Paddle export, opset 9', () => paddleBlocks({ opset: 9 }), 16, [[16, 16]]],
    ['Paddle export, opset 11', () => paddleBlocks({ opset: 11 }), 16, [[15, 10]]],
    ['auto_pad SAME_UPPER blocks', paddingBlocks, 8, [[11, 9]]],
    ['grouped blocks', groupedBlocks, 16, [[13, 9]]],
  ];
  for (const [name, graph, channels, sizes] of floats)
    it(name, async () => {
      const { runs, session } = await runBoth(graph(), shapes2d(channels, sizes), nhwc);
      assertFloatClose(runs);
      await session.release();
    });

  it('with the passes off (BatchNormalization and the activations left as nodes)', async () => {
    const { runs, session } = await runBoth(pytorchBlocks({ opset: 14 }), shapes2d(16, [[16, 16]]), { ...nhwc, optimize: false });
    assertFloatClose(runs);
    assert.ok(session.profile().some((p) => p.opType === 'Transpose'), 'the layout pass moved nothing');
  });

  it('1-D convs and a net downsampling to 1x1', async () => {
    assertFloatClose((await runBoth(conv1dBlocks(), [[2, 8, 17]], nhwc)).runs);
    assertFloatClose((await runBoth(downsamplingBlocks(), [[2, 3, 32, 32], [1, 3, 13, 11]], nhwc)).runs);
  });

  it('the QDQ version of the PyTorch blocks: the same bytes as with layout nchw', async () => {
    const graph = pytorchBlocks({ foldBn: true });
    const calibration = [0, 1].map((i) => ({ input: { type: 'float32', dims: [4, 16, 16, 16], data: input([4, 16, 16, 16], 200 + i) } }));
    const qdq = quantizeQdq(graph, await calibrate(graph, calibration));
    const shapes = shapes2d(16, [[16, 16], [13, 11]]);
    const moved = await runBoth(qdq, shapes, nhwc);
    const kept = await runBoth(qdq, shapes, { layout: 'nchw' });
    moved.runs.forEach((run, i) => assert.deepEqual(run.ours, kept.runs[i].ours, `input [${run.dims}]`));
    assert.ok(moved.session.profile().some((p) => p.opType === 'Transpose'), 'the layout pass moved nothing');
  });
});
