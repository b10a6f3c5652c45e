/**
 * MaxPool, AveragePool, the global pools and Conv where the window or kernel
 * is larger than the padded input (small images after heavy downsampling),
 * against onnxruntime-node. onnxruntime sizes a pool's output as
 * (padded - window) / stride + 1 truncated toward zero (ceil_mode: rounded
 * up, less a window starting in the end padding), so a window that
 * overhangs the input by less than a stride still pools what it covers,
 * and rejects the node only where the size would be negative; a Conv must
 * fit its kernel. sparq must give the same dims and values, or reject the
 * same models with a ModelError naming the node.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import type { Value } from '../../src/runtime/onnx/model.js';
import { encodeOnnxModel, type OnnxAttributeValue, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { ModelError } from '../../src/runtime/onnx/model.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { assertClose, randomFloats, randomInts, rng } from '../helpers.js';
import { compareNode, initializer, nodeGraph, rejectsNode, type NodeTest } from './ort-compare.js';

const r = rng(23);

/** Seeded values of `type`, distinct enough that a wrong window cannot match by chance. */
function input(type: 'float32' | 'uint8', dims: number[]): Value {
  const n = sizeOf(dims);
  return value(type, dims, type === 'float32' ? randomFloats(n, r, 10) : randomInts(Uint8Array, n, 0, 255, r));
}

/** A one-node model on an input with dynamic dims, so one session serves every shape. */
function poolGraph(op: string, attributes: Record<string, OnnxAttributeValue>, rank: number, opset: number, type: 'float' | 'uint8'): OnnxGraph {
  return {
    opset,
    nodes: [{ opType: op, name: 'pool', inputs: ['x'], outputs: ['y'], attributes }],
    inputs: [{ name: 'x', type, dims: Array.from({ length: rank }, (_, i) => `d${i}`) }],
    outputs: [{ name: 'y', type, dims: null }],
  };
}

/**
 * Runs the model in onnxruntime and sparq on every shape: the same dims and
 * values, or both reject (sparq with a ModelError naming the node). Returns
 * how many shapes gave an output from a window larger than its padded input.
 */
async function sweep(op: string, attributes: Record<string, OnnxAttributeValue>, shapes: number[][], opset: number, type: 'float32' | 'uint8' = 'float32'): Promise<number> {
  const bytes = encodeOnnxModel(poolGraph(op, attributes, shapes[0].length, opset, type === 'float32' ? 'float' : 'uint8'));
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  const session = await InferenceSession.create(bytes);
  const kernel = attributes.kernel_shape as number[];
  let oversized = 0;
  for (const dims of shapes) {
    const x = input(type, dims);
    const what = `${op} opset ${opset} ${JSON.stringify(attributes)} on ${type} [${dims}]`;
    let expected: ort.Tensor | undefined;
    try {
      expected = (await reference.run({ x: new ort.Tensor(type, x.data as Float32Array, dims) })).y;
    } catch {
      await assert.rejects(session.run({ x }), (e: Error) => e instanceof ModelError && /^node "pool" \(\w+\): the window \(\d+\) is larger than the padded input \(\d+\) by \d+, two strides/.test(e.message), what);
      continue;
    }
    const actual = (await session.run({ x })).y;
    assert.deepEqual(actual.dims, [...expected.dims], what);
    // Averages of values up to 10 may cancel to near 0: an absolute tolerance of a few float32 steps of the terms.
    const tolerance = op === 'AveragePool' ? 1e-5 : 0;
    assertClose(actual.data as ArrayLike<number>, expected.data as ArrayLike<number>, tolerance, tolerance, what);
    const pads = (attributes.pads as number[] | undefined) ?? [];
    const padded = dims.slice(2).map((d, i) => d + (pads[i] ?? 0) + (pads[i + kernel.length] ?? 0));
    const dilations = (attributes.dilations as number[] | undefined) ?? kernel.map(() => 1);
    if (sizeOf(actual.dims) > 0 && kernel.some((k, i) => dilations[i] * (k - 1) + 1 > padded[i])) oversized++;
  }
  return oversized;
}

/** Asserts onnxruntime rejects the one-node model of `test` (at creation or run) with a message matching `message`. */
async function ortRejects(test: NodeTest, message: RegExp): Promise<void> {
  const { graph, feeds } = nodeGraph(test);
  const run = async () => {
    const session = await ort.InferenceSession.create(encodeOnnxModel(graph), { logSeverityLevel: 4 });
    await session.run(Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, new ort.Tensor(v.type, v.data as Float32Array, v.dims)])));
  };
  await assert.rejects(run, message);
}

const SHAPES_2D = [[1, 2, 1, 1], [1, 2, 1, 2], [2, 1, 2, 3], [1, 1, 3, 1], [1, 1, 4, 4]];

describe('runtime ops: pools and convs on inputs smaller than the window, vs onnxruntime', () => {
  it('MaxPool and AveragePool (count_include_pad both ways, opsets 13 and 19) over kernels, strides, pads and ceil_mode', async () => {
    let oversized = 0, models = 0;
    for (const [op, extra, opsets] of [['MaxPool', {}, [13]], ['AveragePool', { count_include_pad: 0 }, [13]], ['AveragePool', { count_include_pad: 1 }, [13, 19]]] as const)
      for (const k of [2, 3, 5])
        for (const s of [1, 2, 3])
          for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 0, 1]])
            for (const ceil of [0, 1])
              for (const opset of opsets) {
                oversized += await sweep(op, { ...extra, kernel_shape: [k, k], strides: [s, s], pads, ceil_mode: ceil }, SHAPES_2D, opset);
                models++;
              }
    assert.equal(models, 216);
    assert.ok(oversized >= 150, `only ${oversized} outputs came from windows larger than the input`);
  });

  it('MaxPool with dilations, on uint8, and 1-D pools', async () => {
    let oversized = 0;
    for (const [k, d, s] of [[2, 2, 1], [2, 2, 2], [2, 3, 2], [3, 2, 3]])
      oversized += await sweep('MaxPool', { kernel_shape: [k, k], dilations: [d, d], strides: [s, s] }, SHAPES_2D, 13);
    for (const [k, s] of [[2, 2], [3, 2], [4, 3]]) oversized += await sweep('MaxPool', { kernel_shape: [k, k], strides: [s, s] }, SHAPES_2D, 13, 'uint8');
    const shapes1d = [[1, 2, 1], [2, 1, 2], [1, 1, 5]];
    for (const [k, s, ceil] of [[2, 2, 0], [3, 2, 1], [4, 3, 0]]) {
      oversized += await sweep('MaxPool', { kernel_shape: [k], strides: [s], ceil_mode: ceil }, shapes1d, 13);
      for (const opset of [13, 19]) oversized += await sweep('AveragePool', { kernel_shape: [k], strides: [s], ceil_mode: ceil, count_include_pad: 1 }, shapes1d, opset);
    }
    assert.ok(oversized >= 12, `only ${oversized} outputs came from windows larger than the input`);
  });

  it('the global pools on 1x1 maps; pools of an empty batch, and of empty planes otherwise rejected, as onnxruntime does', async () => {
    for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
      await compareNode({ op, inputs: [input('float32', [2, 3, 1, 1])] });
      await compareNode({ op, inputs: [input('float32', [0, 3, 2, 2])] });
      await rejectsNode({ op, inputs: [input('float32', [1, 0, 2, 2])] }, /input \[1,0,2,2\] is empty; only the batch dim may be 0/);
    }
    await rejectsNode({ op: 'MaxPool', attributes: { kernel_shape: [1, 1] }, inputs: [input('float32', [1, 1, 0, 2])] }, /input \[1,1,0,2\] is empty/);
    await compareNode({ op: 'MaxPool', attributes: { kernel_shape: [1, 1] }, inputs: [input('float32', [0, 1, 0, 2])] });
  });

  it('rejects pads as large as the window, as onnxruntime does (AveragePool averaged windows wholly in the padding)', async () => {
    for (const op of ['MaxPool', 'AveragePool'])
      for (const pads of [[2, 0, 0, 0], [0, 0, 2, 0]]) {
        const test = { op, attributes: { kernel_shape: [2, 2], pads }, inputs: [input('float32', [1, 1, 3, 3])] };
        await rejectsNode(test, new RegExp(`attribute pads \\[${pads}\\] must each be smaller than kernel_shape \\[2,2\\]`));
        await ortRejects(test, /Pad should be smaller than kernel/);
      }
  });

  it('a MaxPool fused into the conv before it, when the conv output is smaller than the window (direct and im2col convs)', async () => {
    // Conv 3x3 (direct kernel) or 3x3 stride 2 pads 1 (im2col), then MaxPool 2x2/2: at 3x3 and 2x2 inputs the conv
    // output is 1x1 and the pool runs after the conv; at 6x6 it fits and the conv kernel pools.
    const convs: [Record<string, OnnxAttributeValue>, number[][]][] = [
      [{ kernel_shape: [3, 3] }, [[1, 2, 3, 3], [2, 2, 6, 6]]],
      [{ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [[1, 2, 2, 2], [1, 2, 6, 6]]],
    ];
    for (const [conv, shapes] of convs) {
      const graph: OnnxGraph = {
        opset: 13,
        nodes: [
          { opType: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'], attributes: conv },
          { opType: 'MaxPool', name: 'pool', inputs: ['c'], outputs: ['y'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
        ],
        initializers: [{ name: 'w', type: 'float', dims: [4, 2, 3, 3], data: input('float32', [4, 2, 3, 3]).data as Float32Array }],
        inputs: [{ name: 'x', type: 'float', dims: ['n', 2, 'h', 'w'] }],
        outputs: [{ name: 'y', type: 'float', dims: null }],
      };
      const bytes = encodeOnnxModel(graph);
      const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
      // NCHW: the conv operator's fused pool; NHWC: the channels-last operator pools the conv's result.
      for (const [layout, ops] of [['nchw', ['Conv']], ['nhwc', ['Transpose', 'Conv', 'Transpose']]] as const) {
        const session = await InferenceSession.create(bytes, { layout });
        assert.deepEqual(session.profile().map((p) => p.opType), ops, `the pool was fused (${layout})`);
        for (const dims of shapes) {
          const x = input('float32', dims);
          const expected = (await reference.run({ x: new ort.Tensor('float32', x.data as Float32Array, dims) })).y;
          const actual = (await session.run({ x })).y;
          assert.deepEqual(actual.dims, [...expected.dims], `[${dims}] ${layout}`);
          assertClose(actual.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-5, `[${dims}] ${layout}`);
        }
      }
    }
  });

  it('rejects a Conv whose kernel is larger than the padded input, naming the node, as onnxruntime does', async () => {
    const cases: [number[], Record<string, OnnxAttributeValue>, number[], string][] = [
      [[1, 1, 2, 2], {}, [1, 1, 3, 3], '3x3\\) is larger than the padded input \\(2x2'],
      [[1, 1, 2, 2], { strides: [2, 2] }, [1, 1, 3, 3], '3x3\\) is larger than the padded input \\(2x2'],
      [[1, 2, 2, 2], { group: 2 }, [2, 1, 3, 3], '3x3\\) is larger than the padded input \\(2x2'],
      [[1, 1, 2, 2], { dilations: [2, 2] }, [1, 1, 2, 2], '3x3\\) is larger than the padded input \\(2x2'],
      [[1, 1, 1, 1], { pads: [1, 0, 0, 0] }, [1, 1, 3, 1], '3x1\\) is larger than the padded input \\(2x1'],
      [[1, 1, 2], {}, [1, 1, 3], '3\\) is larger than the padded input \\(2'],
    ];
    for (const [dims, attributes, wDims, message] of cases) {
      const test = { op: 'Conv', attributes, inputs: [input('float32', dims), initializer(input('float32', wDims))] };
      await rejectsNode(test, new RegExp(`the kernel \\(dilated ${message}\\)`));
      await ortRejects(test, /Invalid input shape/);
    }
  });
});
