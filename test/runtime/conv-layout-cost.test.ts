/**
 * convLayoutCost, layout 'auto''s estimate of a conv in each layout
 * (ops/conv-layout-cost.ts): which convs it covers, that it calls pruned
 * weights sparse only under the sparse policy, the depthwise ratio, the int8
 * direct kernels' per-image cost, and what chooseNhwc makes of the estimates
 * on pruned int8 benchmark models.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/index.js';
import { chooseConvPath, convCandidates, convShape } from '../../src/backends/cpu/conv/choice.js';
import { hasInt8ConvKernel } from '../../src/backends/cpu/conv2d.js';
import { buildGraph } from '../../src/runtime/graph.js';
import type { OnnxNode, Value } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { convLayoutCost } from '../../src/runtime/ops/conv-layout-cost.js';
import { nhwcConv } from '../../src/runtime/ops/conv-nhwc.js';
import { runPasses } from '../../src/runtime/passes/index.js';
import { chooseNhwc } from '../../src/runtime/passes/nhwc-choice.js';
import { BENCHMARK_MODELS, toVariant } from '../fixtures/benchmark-models.js';
import { pruneBlocks } from '../fixtures/cifar-cnn.js';
import { randomFloats, rng } from '../helpers.js';

const r = rng(7);
const node = (opType: string, inputs: string[], attributes: OnnxNode['attributes'] = new Map()): OnnxNode => ({ name: 'n', opType, domain: '', inputs, outputs: ['y'], attributes });
const weight = (dims: number[], data: Float32Array): Value => ({ type: 'float32', dims, data });
const POINTWISE = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], oneD: false } as const;

describe("runtime: convLayoutCost (layout 'auto''s estimate)", () => {
  const pruned = weight([64, 64, 1, 1], pruneBlocks(randomFloats(64 * 64, r, 0.5), 64, 4, 0.9, 1));
  const dense = weight([64, 64, 1, 1], randomFloats(64 * 64, r, 0.5));

  it('calls 90% block-pruned weights sparse under the sparse policy only, and dense ones never', () => {
    const sparse = convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', pruned]]), true);
    assert.ok(sparse && sparse.sparse && sparse.nchw > 0 && sparse.nhwc > 0);
    assert.deepEqual([sparse.channels, sparse.outChannels], [64, 64]);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', pruned]]), false)?.sparse, false);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', dense]]), true)?.sparse, false);
  });

  it('puts depthwise NCHW at 3x its NHWC estimate', () => {
    const attributes = new Map([['group', { type: 'int', value: 64 } as const]]);
    const c = convLayoutCost(node('Conv', ['x', 'w'], attributes), new Map([['w', weight([64, 1, 3, 3], randomFloats(576, r, 0.5))]]), true);
    assert.ok(c && c.nhwc > 0 && !c.sparse);
    assert.equal(c.nchw, 3 * c.nhwc);
    assert.equal(c.channels, 64);
  });

  it('has no estimate for other nodes, weights given at run time, grouped convs or attributes the handler rejects', () => {
    const constants = new Map([['w', dense], ['w2', weight([64, 32, 1, 1], randomFloats(2048, r, 0.5))]]);
    assert.equal(convLayoutCost(node('Relu', ['x']), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'x2']), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w2'], new Map([['group', { type: 'int', value: 2 } as const]])), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w'], new Map([['strides', { type: 'ints', value: [1] } as const]])), constants, true), undefined);
  });

  it('adds the int8 direct kernels\' per-image cost: on a 3x3 map MobileNetV2-96\'s 90% block-pruned 960 -> 320 and 320 -> 1280 1x1 convs cost more NCHW than NHWC', function () {
    // Measured (interleaved): qu8s8-conv2d 3.3-4.1x the NHWC sparse kernels there at VNNI, 2.8-3.1x at AVX2; the table alone called it 4-7x cheaper.
    if (!hasInt8ConvKernel()) this.skip();
    let direct = 0;
    for (const [oc, c] of [[320, 960], [1280, 320]]) {
      const data = Int8Array.from(pruneBlocks(randomFloats(oc * c, r, 0.5), oc, 4, 0.9, 1), (v) => Math.round(v * 200));
      const source = { type: 'int8' as const, dims: [oc, c, 1, 1], data: Float32Array.from(data) };
      // Capped below VNNI the NCHW operator may take the float block kernel instead, whose per-image cost is not measured.
      if (chooseConvPath(convShape(source, POINTWISE), convCandidates(source, POINTWISE, true)).path !== 'direct-int8') continue;
      direct++;
      const cost = convLayoutCost(node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', '', 'ys', 'yz']), new Map([['w', { type: 'int8', dims: [oc, c, 1, 1], data }]]), true);
      assert.ok(cost && cost.sparse && cost.nchwPerImage > 0, `${c} -> ${oc}`);
      assert.ok(cost.nchw + cost.nchwPerImage / 9 > cost.nhwc, `${c} -> ${oc}: ${cost.nchw} + ${cost.nchwPerImage} / 9 against ${cost.nhwc}`);
    }
    assert.ok(direct > 0, 'one of the convs runs on the direct int8 kernels');
  });
});

describe("runtime: layout 'auto' on the pruned int8 benchmark models", () => {
  const moved = async (model: 'mobilenetv2' | 'resnet18', size: number) => {
    const g = buildGraph(readOnnx(encodeOnnxModel(await toVariant(BENCHMARK_MODELS[model]({ size }), 'int8 90% block-pruned'))));
    runPasses(g);
    const convs = g.nodes.filter((n) => nhwcConv(n, g.constants));
    const moving = chooseNhwc(g, nhwcConv, (n) => convLayoutCost(n, g.constants, true));
    return { convs: convs.length, moved: moving ? convs.filter((n) => moving(n, g.constants)).length : 0 };
  };
  before(function () {
    // The estimate this pins down is the one of the VNNI kernels (where qu8s8-conv2d's costs were measured).
    if (cpu.info().isa !== 'avx512vnni') this.skip();
  });

  it('moves every conv of MobileNetV2-96 (the last two 1x1 convs run on 3x3 maps, where the direct kernels cost most)', async () => {
    const { convs, moved: n } = await moved('mobilenetv2', 96);
    assert.equal(n, convs);
  });

  it('keeps ResNet-18 NCHW (its 3x3 convs on the direct kernels)', async () => {
    assert.equal((await moved('resnet18', 224)).moved, 0);
  });
});
