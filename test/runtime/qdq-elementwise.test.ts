/**
 * passes/fuse-quantized-elementwise.ts and the nodes it makes
 * (ops/qlinear-elementwise.ts): QDQ graphs of the elementwise tails of
 * quantized CNNs, each run with the passes (fused, on the 8-bit values) and
 * without (DequantizeLinear -> float op -> QuantizeLinear), which must agree
 * exactly, and against onnxruntime: exactly with its graph optimizations
 * off (it then runs the same float nodes); with them on (its default) it
 * fuses DQ -> Add/Mul -> Q into its own QLinearAdd/QLinearMul, which round
 * differently, within one output step.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { BENCHMARK_MODELS, toVariant } from '../fixtures/benchmark-models.js';
import { buildGraph, type Graph } from '../../src/runtime/graph.js';
import type { Value } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { fuseQuantizedElementwise } from '../../src/runtime/passes/fuse-quantized-elementwise.js';
import { runPasses } from '../../src/runtime/passes/index.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { assertClose, assertSameArray, rng } from '../helpers.js';

const r = rng(31);
const f32 = (name: string, v: number): OnnxTensor => ({ name, type: 'float', dims: [], data: Float32Array.of(v) });
const u8 = (name: string, v: number): OnnxTensor => ({ name, type: 'uint8', dims: [], data: Uint8Array.of(v) });
const i8 = (name: string, v: number): OnnxTensor => ({ name, type: 'int8', dims: [], data: Int8Array.of(v) });
const feed = (dims: number[], scale = 4): Value => value('float32', dims, Float32Array.from({ length: sizeOf(dims) }, () => (r() * 2 - 1) * scale));

/** Q(`from`) then DQ, with parameters `p` ('p.scale', 'p.zp'): `from`'s quantized form `${p}.q` and its float `${p}.dq`. */
function qdq(from: string, p: string): OnnxNode[] {
  return [
    { opType: 'QuantizeLinear', inputs: [from, `${p}.scale`, `${p}.zp`], outputs: [`${p}.q`] },
    { opType: 'DequantizeLinear', inputs: [`${p}.q`, `${p}.scale`, `${p}.zp`], outputs: [`${p}.dq`] },
  ];
}

function params(p: string, scale: number, zp: number, type: 'uint8' | 'int8' = 'uint8'): OnnxTensor[] {
  return [f32(`${p}.scale`, scale), type === 'uint8' ? u8(`${p}.zp`, zp) : i8(`${p}.zp`, zp)];
}

/**
 * A MobileNetV3 block tail in QDQ: h = HardSwish(x), the squeeze-excite
 * s = HardSigmoid(GlobalAveragePool(h)), m = h * s, y = Relu(m + x): every
 * op between a DQ and a Q, x.dq and h.dq each read twice.
 */
function blockTail(type: 'uint8' | 'int8' = 'uint8'): OnnxGraph {
  const zp = type === 'uint8' ? 128 : 0;
  return {
    opset: 17,
    nodes: [
      ...qdq('x', 'x'),
      { opType: 'HardSwish', inputs: ['x.dq'], outputs: ['hs'] },
      ...qdq('hs', 'h'),
      { opType: 'GlobalAveragePool', inputs: ['h.dq'], outputs: ['gap'] },
      ...qdq('gap', 'g'),
      { opType: 'HardSigmoid', inputs: ['g.dq'], outputs: ['hsig'], attributes: { alpha: 0.2, beta: 0.5 }, floatAttributes: ['alpha', 'beta'] },
      ...qdq('hsig', 's'),
      { opType: 'Mul', inputs: ['h.dq', 's.dq'], outputs: ['mul'] },
      ...qdq('mul', 'm'),
      { opType: 'Add', inputs: ['m.dq', 'x.dq'], outputs: ['add'] },
      { opType: 'Relu', inputs: ['add'], outputs: ['relu'] },
      ...qdq('relu', 'y'),
    ],
    initializers: [
      ...params('x', 0.031, zp, type), ...params('h', 0.027, zp, type), ...params('g', 0.0123, zp, type),
      ...params('s', 1 / 255, type === 'uint8' ? 0 : -128, type), ...params('m', 0.021, zp, type), ...params('y', 0.025, type === 'uint8' ? 0 : -128, type),
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['n', 8, 5, 6] }],
    outputs: [{ name: 'y.dq', type: 'float', dims: null }],
  };
}

/** DQ(a), DQ(b) -> `op` -> Q, a of `aDims` and b of `bDims` fed as float and quantized in the graph. */
function binary(op: string, aDims: number[], bDims: number[], extra: Partial<OnnxGraph> = {}): OnnxGraph {
  return {
    opset: 17,
    nodes: [...qdq('a', 'a'), ...qdq('b', 'b'), { opType: op, inputs: ['a.dq', 'b.dq'], outputs: ['c'] }, ...qdq('c', 'y')],
    initializers: [...params('a', 0.03, 128), ...params('b', 0.05, 120), ...params('y', 0.04, 125)],
    inputs: [{ name: 'a', type: 'float', dims: aDims }, { name: 'b', type: 'float', dims: bDims }],
    outputs: [{ name: 'y.dq', type: 'float', dims: null }],
    ...extra,
  };
}

function graphOf(model: OnnxGraph): Graph {
  return buildGraph(readOnnx(encodeOnnxModel(model)));
}

const opTypes = (g: Graph) => g.nodes.map((n) => n.opType);

/** The model's outputs with the passes and without them (the float DQ -> op -> Q), which must be equal. */
async function assertSameAsUnfused(model: OnnxGraph, feeds: Record<string, Value>): Promise<void> {
  const bytes = encodeOnnxModel(model);
  const fused = await (await InferenceSession.create(bytes)).run(feeds);
  const plain = await (await InferenceSession.create(bytes, { optimize: false })).run(feeds);
  for (const name of Object.keys(plain)) {
    assert.deepEqual(fused[name].dims, plain[name].dims, name);
    assertSameArray(fused[name].data as Float32Array, plain[name].data as Float32Array, name);
  }
}

/** sparq's outputs against onnxruntime's float nodes (optimizations off) exactly, and its default within one step of `yScale`. */
async function assertOrt(model: OnnxGraph, feeds: Record<string, Value>, yScale: number): Promise<void> {
  const bytes = encodeOnnxModel(model);
  const actual = await (await InferenceSession.create(bytes)).run(feeds);
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data as Float32Array, v.dims)]));
  for (const [level, atol] of [['disabled', 0], ['all', yScale * 1.0001]] as const) {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, logSeverityLevel: 3 });
    const expected = await session.run(ortFeeds);
    for (const name of Object.keys(expected))
      assertClose(actual[name].data as Float32Array, expected[name].data as Float32Array, 0, atol, `${name}, onnxruntime optimizations ${level}`);
    await session.release();
  }
}

describe('passes: fuseQuantizedElementwise', () => {
  for (const type of ['uint8', 'int8'] as const)
    it(`runs a ${type} MobileNetV3 block tail (HardSwish, squeeze-excite, residual Add + Relu) on the 8-bit values, exactly`, async () => {
      const model = blockTail(type);
      const g = graphOf(model);
      assert.equal(fuseQuantizedElementwise(g), true);
      assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QLinearLookup', 'QLinearGlobalAveragePool', 'QLinearLookup', 'QLinearMul', 'QLinearAdd', 'DequantizeLinear']);
      const add = g.nodes[5];
      assert.deepEqual([add.domain, add.inputs], ['com.microsoft', ['m.q', 'm.scale', 'm.zp', 'x.q', 'x.scale', 'x.zp', 'y.scale', 'y.zp']]);
      assert.deepEqual([add.attributes.get('sparq_activation_min')?.value, add.attributes.get('sparq_activation_max')?.value], [0, Infinity]);
      assert.equal(g.nodes[1].attributes.get('sparq_op')?.value, 'HardSwish');
      assert.equal(g.nodes[3].attributes.get('alpha')?.value, Math.fround(0.2));
      const x = feed([2, 8, 5, 6]);
      await assertSameAsUnfused(model, { x });
      await assertOrt(model, { x }, 0.025);
    });

  const binaries: [string, number[], number[]][] = [
    ['Add, same shape', [2, 3, 4, 5], [2, 3, 4, 5]],
    ['Mul, one value per channel (NCHW [N, C, 1, 1])', [2, 3, 4, 5], [2, 3, 1, 1]],
    ['Mul, one vector per image (NHWC [N, 1, 1, C])', [2, 4, 5, 24], [2, 1, 1, 24]],
    ['Sub, the per-channel operand first', [1, 3, 1, 1], [2, 3, 4, 5]],
    // No kernel runs this broadcast: the node takes the float path, still exact.
    ['Add, a broadcast the kernels do not run ([2, 1, 4, 1] on [2, 3, 4, 5])', [2, 1, 4, 1], [2, 3, 4, 5]],
  ];
  for (const [what, aDims, bDims] of binaries)
    it(`fuses ${what}, exactly`, async () => {
      const op = what.split(',')[0];
      const model = binary(op, aDims, bDims);
      const g = graphOf(model);
      assert.equal(fuseQuantizedElementwise(g), true);
      assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QuantizeLinear', `QLinear${op}`, 'DequantizeLinear']);
      const feeds = { a: feed(aDims), b: feed(bDims) };
      await assertSameAsUnfused(model, feeds);
      await assertOrt(model, feeds, 0.04);
    });

  it('fuses Sigmoid and Clip (constant bounds) into tables, exactly', async () => {
    for (const [op, inputs, extra] of [['Sigmoid', ['x.dq'], []], ['Clip', ['x.dq', 'lo', 'hi'], [f32('lo', -0.5), f32('hi', 1.25)]]] as const) {
      const model: OnnxGraph = {
        opset: 17,
        nodes: [...qdq('x', 'x'), { opType: op, inputs, outputs: ['o'] }, ...qdq('o', 'y')],
        initializers: [...params('x', 0.03, 128), ...params('y', 0.006, 100), ...extra],
        inputs: [{ name: 'x', type: 'float', dims: [3, 40] }],
        outputs: [{ name: 'y.dq', type: 'float', dims: null }],
      };
      const g = graphOf(model);
      assert.equal(fuseQuantizedElementwise(g), true);
      assert.deepEqual(opTypes(g), ['QuantizeLinear', op === 'Sigmoid' ? 'QLinearSigmoid' : 'QLinearLookup', 'DequantizeLinear']);
      await assertSameAsUnfused(model, { x: feed([3, 40]) });
    }
  });

  it('keeps a DQ that a float node still reads, and fuses the other reader', async () => {
    const base = binary('Add', [2, 3, 4, 5], [2, 3, 4, 5]);
    const model: OnnxGraph = { ...base, outputs: [...base.outputs, { name: 'a.dq', type: 'float', dims: null }] };
    const g = graphOf(model);
    assert.equal(fuseQuantizedElementwise(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'DequantizeLinear', 'QuantizeLinear', 'QLinearAdd', 'DequantizeLinear']);
    await assertSameAsUnfused(model, { a: feed([2, 3, 4, 5]), b: feed([2, 3, 4, 5]) });
  });

  it('runs for CPU sessions only: a WebGPU session keeps the float nodes its GPU kernels run', () => {
    const model = binary('Add', [2, 3], [2, 3]);
    const [cpu, gpu] = [graphOf(model), graphOf(model)];
    assert.ok(runPasses(cpu).includes('fuse-quantized-elementwise'));
    assert.ok(!runPasses(gpu, 'webgpu').includes('fuse-quantized-elementwise'));
    assert.ok(opTypes(cpu).includes('QLinearAdd') && opTypes(gpu).includes('Add'));
  });

  const untouched: [string, OnnxGraph][] = [
    ['an op output with a second reader', { ...binary('Add', [4], [4]), outputs: [{ name: 'y.dq', type: 'float', dims: null }, { name: 'c', type: 'float', dims: null }] }],
    ['a per-axis DQ', (() => {
      const m = binary('Add', [1, 2, 3], [1, 2, 3]);
      const perAxis = (t: OnnxTensor): OnnxTensor => (t.name === 'a.scale' ? { ...t, dims: [2], data: Float32Array.of(0.03, 0.02) } : t.name === 'a.zp' ? { ...t, dims: [2], data: Uint8Array.of(128, 120) } : t);
      return { ...m, initializers: m.initializers!.map(perAxis), nodes: m.nodes.map((n) => (n.inputs[1] === 'a.scale' ? { ...n, attributes: { axis: 1 } } : n)) };
    })()],
    ['operands of two types (uint8 a, int8 b)', (() => {
      const m = binary('Mul', [6], [6]);
      return { ...m, initializers: m.initializers!.map((t) => (t.name === 'b.zp' ? i8('b.zp', 3) : t)) };
    })()],
    ['a Clip whose min is above its max', (() => {
      const m = binary('Add', [6], [6]);
      const nodes = m.nodes.map((n) => (n.opType === 'Add' ? { ...n, outputs: ['s'] } : n));
      return { ...m, nodes: [...nodes.slice(0, 5), { opType: 'Clip', inputs: ['s', 'hi', 'lo'], outputs: ['c'] }, ...nodes.slice(5)], initializers: [...m.initializers!, f32('lo', 0), f32('hi', 1)] };
    })()],
    ['a float op without a Q after it', { ...binary('Add', [6], [6]), nodes: binary('Add', [6], [6]).nodes.slice(0, 5), outputs: [{ name: 'c', type: 'float', dims: null }] }],
  ];
  for (const [what, model] of untouched)
    it(`leaves ${what} in float`, async () => {
      const g = graphOf(model);
      const before = structuredClone(g);
      assert.equal(fuseQuantizedElementwise(g), false);
      assert.deepStrictEqual(g, before);
      await assertSameAsUnfused(model, { a: feed(model.inputs[0].dims as number[]), b: feed(model.inputs[1].dims as number[]) });
    });
});

describe('benchmark models, int8: no DequantizeLinear / QuantizeLinear left between the convs, in either layout', function () {
  this.timeout(300_000);
  for (const model of ['mobilenetv3-small', 'resnet18'] as const)
    it(`${model}: one QuantizeLinear (the input) and one DequantizeLinear (the logits); NHWC logits equal NCHW ones`, async () => {
      const bytes = encodeOnnxModel(await toVariant(BENCHMARK_MODELS[model]({ size: 32 }), 'int8 dense'));
      const feeds = { input: feed([2, 3, 32, 32], 1) };
      const logits: Float32Array[] = [];
      for (const layout of ['nchw', 'nhwc'] as const) {
        const session = await InferenceSession.create(bytes, { layout });
        const ops = session.profile().map((p) => p.opType);
        assert.deepEqual([ops.filter((op) => op === 'QuantizeLinear').length, ops.filter((op) => op === 'DequantizeLinear').length], [1, 1], `${layout}: ${ops.join(', ')}`);
        logits.push((await session.run(feeds)).logits.data as Float32Array);
        await session.release();
      }
      assertSameArray(logits[1], logits[0], 'NHWC against NCHW');
    });
});
