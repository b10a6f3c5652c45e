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
import { InferenceSession } from '../../src/runtime/session.js';
import { pruneGraph } from '../../src/compress/prune/graph.js';
import { runningIsa } from '../../src/backends/cpu/isa-level.js';
import { native, type IsaLimit } from '../../src/native.js';
import { nhwcConv } from '../../src/runtime/ops/conv-nhwc.js';
import { runPasses } from '../../src/runtime/passes/index.js';
import { chooseNhwc } from '../../src/runtime/passes/nhwc-choice.js';
import { BENCHMARK_MODELS, toVariant } from '../fixtures/benchmark-models.js';
import { cifarCnn, pruneBlocks, randomImages } from '../fixtures/cifar-cnn.js';
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

  it('adds the int8 direct kernels\' per-image cost where the NCHW operator runs them: on a 3x3 map MobileNetV2-96\'s 90% block-pruned 960 -> 320 and 320 -> 1280 1x1 convs then cost more NCHW than NHWC', () => {
    // Measured (interleaved): qu8s8-conv2d 3.3-4.1x the NHWC sparse kernels there at VNNI, 2.8-3.1x at AVX2; the table alone called it 4-7x cheaper.
    for (const [oc, c] of [[320, 960], [1280, 320]]) {
      const data = Int8Array.from(pruneBlocks(randomFloats(oc * c, r, 0.5), oc, 4, 0.9, 1), (v) => Math.round(v * 200));
      const cost = convLayoutCost(node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', '', 'ys', 'yz']), new Map([['w', { type: 'int8', dims: [oc, c, 1, 1], data }]]), true);
      assert.ok(cost && cost.sparse, `${c} -> ${oc}`);
      if (runsDirectInt8(oc, c, data)) {
        assert.ok(cost.nchwPerImage > 0, `${c} -> ${oc}: per-image cost`);
        assert.ok(cost.nchw + cost.nchwPerImage / 9 > cost.nhwc, `${c} -> ${oc}: ${cost.nchw} + ${cost.nchwPerImage} / 9 against ${cost.nhwc}`);
      } else {
        // No int8 direct kernel (scalar), or capped below VNNI the float block kernel: no per-image cost measured or added.
        assert.equal(cost.nchwPerImage, 0, `${c} -> ${oc}`);
      }
    }
  });
});

/** Whether the NCHW operator would run these [oc, c, 1, 1] int8 weights on the direct int8 kernels (qu8s8-conv2d) at the running ISA. */
function runsDirectInt8(oc: number, c: number, data: Int8Array): boolean {
  const source = { type: 'int8' as const, dims: [oc, c, 1, 1], data: Float32Array.from(data) };
  return chooseConvPath(convShape(source, POINTWISE), convCandidates(source, POINTWISE, true)).path === 'direct-int8';
}

describe("runtime: layout 'auto' on the pruned int8 benchmark models", () => {
  const plan = async (model: 'mobilenetv2' | 'resnet18', size: number) => {
    const g = buildGraph(readOnnx(encodeOnnxModel(await toVariant(BENCHMARK_MODELS[model]({ size }), 'int8 90% block-pruned'))));
    runPasses(g);
    const convs = g.nodes.filter((n) => nhwcConv(n, g.constants));
    const moving = chooseNhwc(g, nhwcConv, (n) => convLayoutCost(n, g.constants, true));
    return { g, convs, moves: (n: OnnxNode) => moving !== undefined && moving(n, g.constants) };
  };

  it('moves MobileNetV2-96\'s last two 1x1 convs (3x3 maps, where the direct kernels cost most) wherever NCHW would run them on the direct int8 kernels, and at VNNI every conv', async () => {
    const { g, convs, moves } = await plan('mobilenetv2', 96);
    // The whole-model plan is pinned where the estimate was measured (VNNI); at other levels only what their kernels decide.
    if (cpu.info().isa === 'avx512vnni') assert.equal(convs.filter(moves).length, convs.length);
    let direct = 0;
    for (const n of convs.slice(-2)) {
      const w = g.constants.get(n.inputs[3])!;
      assert.deepEqual(w.dims.slice(2), [1, 1]);
      if (!runsDirectInt8(w.dims[0], w.dims[1], w.data as Int8Array)) continue;
      direct++;
      assert.ok(moves(n), `${w.dims.join('x')} moves NHWC`);
    }
    // Only the scalar build has no int8 direct kernel for either.
    assert.equal(direct > 0, hasInt8ConvKernel());
  });

  it('keeps ResNet-18 NCHW (its 3x3 convs on the direct kernels)', async () => {
    const { convs, moves } = await plan('resnet18', 224);
    assert.equal(convs.filter(moves).length, 0);
  });
});

describe("sessions: the 2:4-pruned float CIFAR CNN on one thread", () => {
  /** The kernel of every node of a session on `graph` after a batch-1 run. */
  const kernels = async (graph: ReturnType<typeof cifarCnn>): Promise<string[]> => {
    const session = await InferenceSession.create(encodeOnnxModel(graph));
    await session.run({ input: { type: 'float32', dims: [1, 3, 32, 32], data: randomImages(1, [3, 32, 32], 5) } });
    return session.profile().map((p) => p.kernel);
  };

  // linear()'s bsr4x1 crossover of 1 (AVX-512, one thread) once put these weights (bsr4x1 stores ~94% of them) on the NHWC
  // sparse kernel, 1.5x slower than dense with its panels, and layout 'auto' then weighed them NCHW on the direct dense kernel
  // (~1.3x slower than NHWC per image). At AVX2 and scalar the NCHW operator's own choice takes CSR for conv3 (2:4 halves
  // its multiply-adds) and the model stays NCHW; no level may run them on an NHWC sparse kernel.
  it("runs like the dense model where the GEMM runs AVX-512, and on no NHWC sparse kernel at any level", async () => {
    const dense = cifarCnn({});
    const pruned = pruneGraph(dense, { method: 'nm' }).graph;
    const [isa, threads] = [native()!.cpuInfo().isaLimit, native()!.getThreads()];
    cpu.setThreads(1);
    try {
      for (const cap of ['scalar', 'avx2', 'avx512', 'none'] as IsaLimit[]) {
        cpu.setIsaLimit(cap);
        const [want, got] = [await kernels(dense), await kernels(pruned)];
        if (runningIsa('f32-gemm').startsWith('avx512')) assert.deepEqual(got, want, `cap ${cap}`);
        assert.ok(got.every((k) => !/^conv-nhwc-/.test(k)), `cap ${cap}: ${got.join(' ')}`);
      }
    } finally {
      cpu.setIsaLimit(isa);
      cpu.setThreads(threads);
    }
  });
});
