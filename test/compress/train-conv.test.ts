/**
 * The trainer's image layers: gradients against finite differences, the
 * exported ONNX node against onnxruntime-node and sparq's session, ONNX
 * import, and bad arguments.
 */
import assert from 'node:assert/strict';

import { Conv2d, conv2d } from '../../src/compress/train/layers/conv2d.js';
import { DepthwiseConv2d, depthwiseConv2d } from '../../src/compress/train/layers/conv-depthwise.js';
import { AveragePool, averagePool, MaxPool, maxPool } from '../../src/compress/train/layers/pool.js';
import { GlobalAveragePool, globalAveragePool } from '../../src/compress/train/layers/pool-global.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import { relu } from '../../src/compress/train/layers/activation.js';
import { graph, sequential } from '../../src/compress/train/network.js';
import { exportOnnx, importOnnx } from '../../src/compress/train/onnx.js';
import type { ImportContext } from '../../src/compress/train/import-context.js';
import { IMPORTERS } from '../../src/compress/train/onnx-importers.js';
import { param, type Layer } from '../../src/compress/train/layer.js';
import { ModelError, type OnnxGraph as ModelGraph, type OnnxNode as ModelNode } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { Attributes } from '../../src/runtime/ops/op.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { compareWithOrt } from '../runtime/ort-compare.js';
import { assertSameArray, randomFloats, rng } from '../helpers.js';
import { checkLayerGradients } from './gradcheck.js';

const r = rng(2027);

function images(dims: number[]): Tensor<'float32'> {
  return tensor('float32', dims, randomFloats(dims.reduce((a, b) => a * b, 1), r));
}

/** Images of distinct values at least 0.01 apart (shuffled): no max pool window has a tie within the check's eps. */
function distinctImages(dims: number[]): Tensor<'float32'> {
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, (_, i) => (i - size / 2) * 0.01);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [data[i], data[j]] = [data[j], data[i]];
  }
  return tensor('float32', dims, data);
}

function conv(name: string, dims: [number, number, number, number], bias: boolean, options: ConstructorParameters<typeof Conv2d>[2] = {}): Conv2d {
  const weight = param(`${name}.weight`, dims, randomFloats(dims.reduce((a, b) => a * b, 1), r, 0.5), true);
  return new Conv2d(weight, bias ? param(`${name}.bias`, [dims[0]], randomFloats(dims[0], r), false) : undefined, options);
}

function depthwise(name: string, c: number, k: [number, number], bias: boolean, options: ConstructorParameters<typeof DepthwiseConv2d>[2] = {}): DepthwiseConv2d {
  const weight = param(`${name}.weight`, [c, 1, ...k], randomFloats(c * k[0] * k[1], r, 0.5), true);
  return new DepthwiseConv2d(weight, bias ? param(`${name}.bias`, [c], randomFloats(c, r), false) : undefined, options);
}

function toNchw(x: Tensor<'float32'>): Tensor<'float32'> {
  const [n, h, w, c] = x.dims;
  const out = new Float32Array(x.data.length);
  for (let b = 0, i = 0; b < n; b++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++, i++) out[(b * c + ch) * h * w + p] = x.data[i];
  return tensor('float32', [n, c, h, w], out);
}

/** The layer's exported node on NCHW x in onnxruntime-node and sparq's session (equal within 1e-5), and the layer's eval forward equal to both. */
async function assertMatchesOnnx(layer: Layer, x: Tensor<'float32'>, what: string): Promise<void> {
  const [n, h, w, c] = x.dims;
  const ny = toNchw(layer.forward(x, 'eval'));
  const graph: OnnxGraph = {
    nodes: layer.toOnnx('x', 'y'),
    initializers: layer.params().map((p) => ({ name: p.name, type: 'float' as const, dims: p.dims, data: p.value })),
    inputs: [{ name: 'x', type: 'float', dims: [n, c, h, w] }],
    outputs: [{ name: 'y', type: 'float', dims: ny.dims }],
  };
  const nx = toNchw(x);
  const actual = await compareWithOrt(graph, { x: { type: 'float32', dims: [...nx.dims], data: nx.data } }, { tolerance: 1e-5, atol: 1e-6 });
  assert.deepEqual(actual.y.dims, ny.dims, what);
  const session = actual.y.data as Float32Array;
  for (let i = 0; i < session.length; i++)
    assert.ok(Math.abs(ny.data[i] - session[i]) <= 1e-5 * Math.abs(session[i]) + 1e-6, `${what}: index ${i}: layer ${ny.data[i]}, ONNX ${session[i]}`);
}

describe('trainer image layers', () => {
  describe('Conv2d', () => {
    const cases: [string, () => Conv2d, number[]][] = [
      ['3x3, pads 1, bias', () => conv('c1', [4, 3, 3, 3], true, { pads: [1, 1, 1, 1] }), [2, 5, 6, 3]],
      ['3x2, strides [2, 1], dilations [1, 2], asymmetric pads, no bias', () => conv('c2', [5, 2, 3, 2], false, { strides: [2, 1], dilations: [1, 2], pads: [0, 1, 2, 0] }), [2, 7, 6, 2]],
      ['1x1 (no im2col)', () => conv('c3', [6, 4, 1, 1], true), [3, 4, 3, 4]],
      ['1x1 stride 2', () => conv('c4', [3, 4, 1, 1], true, { strides: [2, 2] }), [1, 5, 5, 4]],
      ['5x5 on 17 channels, stride 2', () => conv('c5', [3, 17, 5, 5], true, { strides: [2, 2], pads: [2, 2, 2, 2] }), [1, 7, 8, 17]],
      // More outputs than KH*KW*C: dW as dy^T * col (col packed).
      ['stem 3x3 1 -> 12, no bias', () => conv('c7', [12, 1, 3, 3], false, { pads: [1, 1, 1, 1] }), [2, 5, 4, 1]],
      ['3x3 2 -> 20, stride 2, bias', () => conv('c8', [20, 2, 3, 3], true, { strides: [2, 2], pads: [0, 0, 1, 1] }), [2, 6, 5, 2]],
    ];
    for (const [what, make, dims] of cases) {
      it(`${what}: gradients match finite differences`, () => checkLayerGradients(make(), images(dims)));
      it(`${what}: forward equals the exported Conv node`, () => assertMatchesOnnx(make(), images(dims), what));
    }

    it('adds into its grads (two backward passes give twice one)', () => {
      const layer = conv('c6', [2, 3, 3, 3], true, { pads: [1, 1, 1, 1] });
      const x = images([1, 4, 4, 3]), dy = images([1, 4, 4, 2]);
      layer.forward(x, 'train');
      layer.backward(dy);
      const once = layer.params().map((p) => Float32Array.from(p.grad));
      layer.backward(dy);
      layer.params().forEach((p, i) => p.grad.forEach((g, j) => assert.ok(Math.abs(g - 2 * once[i][j]) <= 1e-6 * Math.abs(g), `${p.name}[${j}]`)));
    });

    it('checks its params, options, inputs and gradients', () => {
      const w = param('w', [2, 3, 3, 3], new Float32Array(54), true);
      assert.throws(() => new Conv2d(param('w', [2, 3, 3], new Float32Array(18), true), undefined), /weight\.dims/);
      assert.throws(() => new Conv2d(w, param('b', [3], new Float32Array(3), false)), /bias\.dims/);
      assert.throws(() => new Conv2d(w, undefined, { kernelShape: [3, 2] }), /options\.kernelShape/);
      assert.throws(() => new Conv2d(w, undefined, { strides: [0, 1] }), /options\.strides\[0\]/);
      assert.throws(() => new Conv2d(w, undefined, { pads: [1, 1] as never }), /options\.pads/);
      assert.throws(() => new Conv2d(w, undefined, { dilations: [1, 1.5] }), /options\.dilations\[1\]/);
      const layer = new Conv2d(w, undefined);
      assert.deepEqual(layer.outputDims([2, 5, 6, 3]), [2, 3, 4, 2]);
      assert.throws(() => layer.outputDims([2, 5, 6, 4]), /Conv w.*\[N, H, W, 3\]/);
      assert.throws(() => layer.outputDims([2, 2, 6, 3]), /Conv w.*larger than the padded input/);
      assert.throws(() => layer.outputDims([5, 6, 3]), /Conv w.*NHWC/);
      assert.throws(() => layer.forward(images([1, 4, 4, 2]), 'train'), /Conv w/);
      assert.throws(() => layer.backward(images([1, 2, 2, 2])), /Conv w.*forward in train mode/);
      layer.forward(images([1, 4, 4, 3]), 'train');
      assert.throws(() => layer.backward(images([1, 2, 3, 2])), /dy/);
    });
  });

  describe('DepthwiseConv2d', () => {
    const cases: [string, () => DepthwiseConv2d, number[]][] = [
      ['3x3, stride 2, pads 1, bias', () => depthwise('d1', 5, [3, 3], true, { strides: [2, 2], pads: [1, 1, 1, 1] }), [2, 7, 6, 5]],
      ['3x2, dilations 2, asymmetric pads, no bias', () => depthwise('d2', 3, [3, 2], false, { dilations: [2, 2], pads: [1, 0, 0, 2] }), [1, 6, 5, 3]],
    ];
    for (const [what, make, dims] of cases) {
      it(`${what}: gradients match finite differences`, () => checkLayerGradients(make(), images(dims)));
      it(`${what}: forward equals the exported Conv node`, () => assertMatchesOnnx(make(), images(dims), what));
    }

    it('checks its params', () => {
      assert.throws(() => new DepthwiseConv2d(param('w', [4, 2, 3, 3], new Float32Array(72), true), undefined), /weight\.dims/);
      assert.throws(() => new DepthwiseConv2d(param('w', [4, 1, 3, 3], new Float32Array(36), true), param('b', [2], new Float32Array(2), false)), /bias\.dims/);
      const layer = new DepthwiseConv2d(param('w', [4, 1, 3, 3], new Float32Array(36), true), undefined);
      assert.throws(() => layer.outputDims([1, 5, 5, 3]), /Conv w/);
      assert.throws(() => layer.backward(images([1, 3, 3, 4])), /forward in train mode/);
    });
  });

  describe('pools', () => {
    const cases: [string, () => Layer, number[]][] = [
      ['MaxPool 2x2 stride 2', () => new MaxPool('p1', { kernelShape: [2, 2], strides: [2, 2] }), [2, 7, 6, 3]],
      ['MaxPool 3x3 stride 2 pads 1', () => new MaxPool('p2', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), [1, 6, 7, 17]],
      ['AveragePool 3x3 stride 2 pads 1', () => new AveragePool('p3', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2] }), [2, 5, 6, 3]],
      ['AveragePool counting the padding', () => new AveragePool('p4', { kernelShape: [3, 2], strides: [1, 2], pads: [1, 1, 2, 1], countIncludePad: true }), [1, 5, 4, 2]],
      ['GlobalAveragePool', () => new GlobalAveragePool('p5'), [3, 4, 5, 6]],
    ];
    for (const [what, make, dims] of cases) {
      it(`${what}: gradients match finite differences`, () => checkLayerGradients(make(), distinctImages(dims)));
      it(`${what}: forward equals the exported node`, () => assertMatchesOnnx(make(), images(dims), what));
    }

    it('MaxPool passes each window\'s gradient to its first maximum', () => {
      const pool = new MaxPool('p', { kernelShape: [2, 2], strides: [1, 1] });
      pool.forward(tensor('float32', [1, 2, 3, 1], Float32Array.of(1, 5, 5, 5, 2, 0)), 'train');
      assert.deepEqual([...pool.backward(tensor('float32', [1, 1, 2, 1], Float32Array.of(1, 10))).data], [0, 11, 0, 0, 0, 0]);
    });

    it('MaxPool 2x2 (its unpadded fast path) and 3x3 pads 1 send gradients where a plain first-maximum search does, ties, zeros of both signs and NaN included', () => {
      const r = rng(5);
      const cases: [number[], number[], number[], number[]][] = [[[2, 2], [2, 2], [0, 0, 0, 0], [2, 7, 6, 3]], [[2, 2], [1, 1], [0, 0, 0, 0], [1, 5, 4, 2]], [[2, 2], [1, 2], [0, 0, 0, 0], [1, 6, 7, 5]], [[3, 3], [2, 2], [1, 1, 1, 1], [1, 6, 7, 3]]];
      for (const [kernelShape, strides, pads, dims] of cases) {
        const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => [0, -0, 1, 2, -1][Math.floor(r() * 5)]);
        x.fill(NaN, 0, 2 * dims[2] * dims[3] - 1); // NaN rows: windows wholly in them have no maximum an input equals
        const pool = new MaxPool('p', { kernelShape: kernelShape as [number, number], strides: strides as [number, number], pads: pads as [number, number, number, number] });
        const y = pool.forward(tensor('float32', dims, x), 'train');
        const dy = Float32Array.from({ length: y.data.length }, () => r());
        const expected = new Float32Array(x.length);
        const [n, h, w, c] = dims, [, oh, ow] = y.dims;
        for (let b = 0, o = 0; b < n; b++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++)
              for (let ch = 0; ch < c; ch++, o++) {
                const at: number[] = [];
                for (let i = 0; i < kernelShape[0]; i++)
                  for (let j = 0; j < kernelShape[1]; j++) {
                    const ih = oy * strides[0] - pads[0] + i, iw = ox * strides[1] - pads[1] + j;
                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) at.push(((b * h + ih) * w + iw) * c + ch);
                  }
                const first = at.find((i) => x[i] === y.data[o]);
                if (first !== undefined) expected[first] += dy[o];
              }
        assertSameArray(pool.backward(tensor('float32', [...y.dims], dy)).data, expected, `${kernelShape} strides ${strides} pads ${pads}`);
      }
    });

    it('check their options and inputs', () => {
      assert.throws(() => new MaxPool('', { kernelShape: [2, 2] }), /name/);
      assert.throws(() => new MaxPool('p', {} as never), /options\.kernelShape/);
      assert.throws(() => new MaxPool('p', { kernelShape: [2, 2], pads: [2, 0, 0, 0] }), /options\.pads\[0\]/);
      assert.throws(() => new MaxPool('p', { kernelShape: [2, 2], dilations: [2, 2] } as never), /options\.dilations/);
      assert.throws(() => new AveragePool('p', { kernelShape: [2, 2], countIncludePad: 1 as never }), /options\.countIncludePad/);
      assert.throws(() => new MaxPool('p', { kernelShape: [3, 3] }).outputDims([1, 2, 5, 1]), /MaxPool p/);
      assert.throws(() => new GlobalAveragePool('g').outputDims([1, 0, 5, 1]), /GlobalAveragePool g/);
      assert.throws(() => new AveragePool('p', { kernelShape: [2, 2] }).backward(images([1, 1, 1, 1])), /forward in train mode/);
    });
  });

  describe('ONNX import', () => {
    const importers = IMPORTERS;
    /** What the trainer's registry hands an importer, from a decoded model. */
    const input = (graph: ModelGraph, node: ModelNode): ImportContext => ({
      node,
      attributes: new Attributes(node),
      constant: (name) => graph.initializers.get(name),
      param: (name, decay) => {
        const v = graph.initializers.get(name)!;
        return param(name, v.dims, Float32Array.from(v.data as Float32Array), decay);
      },
      buffer: (name) => assert.fail(`no buffer expected, asked for ${name}`),
    });

    it('builds each layer from its node and initializers, and exports the same node', () => {
      const layers: Layer[] = [
        conv('a', [4, 3, 3, 3], true, { strides: [2, 1], pads: [1, 0, 1, 2], dilations: [1, 2] }),
        depthwise('b', 4, [3, 3], false, { pads: [1, 1, 1, 1] }),
        new MaxPool('c', { kernelShape: [2, 2], strides: [2, 2] }),
        new AveragePool('d', { kernelShape: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true }),
        new GlobalAveragePool('e'),
      ];
      const nodes = layers.flatMap((l, i) => l.toOnnx(i === 0 ? 'x' : `t${i}`, i === layers.length - 1 ? 'y' : `t${i + 1}`));
      const graph: OnnxGraph = {
        nodes,
        initializers: layers.flatMap((l) => l.params()).map((p) => ({ name: p.name, type: 'float' as const, dims: p.dims, data: p.value })),
        inputs: [{ name: 'x', type: 'float', dims: [1, 3, 9, 9] }],
        outputs: [{ name: 'y', type: 'float', dims: null }],
      };
      const model = readOnnx(encodeOnnxModel(graph)).graph;
      model.nodes.forEach((node, i) => {
        const layer = importers.get(node.opType)!(input(model, node));
        assert.equal(layer.constructor, layers[i].constructor, node.opType);
        assert.deepEqual(layer.toOnnx('in', 'out'), layers[i].toOnnx('in', 'out'), node.opType);
        layer.params().forEach((p, j) => assert.deepEqual(p.value, layers[i].params()[j].value));
      });
    });

    it('refuses what the layers do not run', () => {
      const node = (opType: string, attributes: OnnxGraph['nodes'][number]['attributes'], inputs = ['x']) => {
        const graph: OnnxGraph = {
          nodes: [{ opType, name: 'n', inputs, outputs: ['y'], attributes }],
          initializers: [{ name: 'w', type: 'float', dims: [4, 2, 3, 3], data: new Float32Array(72) }, { name: 'b', type: 'float', dims: [3], data: new Float32Array(3) }],
          inputs: [{ name: 'x', type: 'float', dims: [1, 4, 8, 8] }],
          outputs: [{ name: 'y', type: 'float', dims: null }],
        };
        const model = readOnnx(encodeOnnxModel(graph)).graph;
        return () => importers.get(opType)!(input(model, model.nodes[0]));
      };
      const refused = (message: RegExp) => (e: unknown) => e instanceof ModelError && message.test(e.message);
      assert.throws(node('Conv', { group: 2 }, ['x', 'w']), refused(/group 2/));
      assert.throws(node('Conv', {}, ['x', 'x']), refused(/weight "x"/));
      assert.throws(node('Conv', {}, ['x', 'w', 'b']), refused(/bias "b"/));
      assert.throws(node('Conv', { auto_pad: 'SAME_UPPER' }, ['x', 'w']), refused(/auto_pad SAME_UPPER/));
      assert.throws(node('Conv', { kernel_shape: [3, 2] }, ['x', 'w']), refused(/kernel_shape/));
      assert.throws(node('MaxPool', { kernel_shape: [2, 2], ceil_mode: 1 }), refused(/ceil_mode/));
      assert.throws(node('MaxPool', { kernel_shape: [2, 2], storage_order: 1 }), refused(/storage_order/));
      assert.throws(node('AveragePool', { kernel_shape: [2, 2], dilations: [2, 2] }), refused(/dilated/));
      assert.throws(node('MaxPool', {}), refused(/kernel_shape/));
      assert.throws(node('MaxPool', { kernel_shape: [3] }), refused(/1-D/));
    });
  });

  describe('in a network', () => {
    const network = () => sequential([
      conv2d(2, 6, { kernelShape: [3, 3], pads: [1, 1, 1, 1], name: 'c1' }), relu(),
      depthwiseConv2d(6, { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], name: 'd1' }), relu(),
      maxPool({ kernelShape: [2, 2], strides: [2, 2] }),
      conv2d(6, 8, { kernelShape: [1, 1], name: 'c2', bias: false }),
      averagePool({ kernelShape: [2, 2], pads: [0, 0, 1, 1] }),
      globalAveragePool(), flatten(), dense(8, 3, { name: 'fc' }),
    ], { input: [9, 8, 2] });

    /** The float32 values' bits, NaN payloads and zero signs included. */
    const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

    /** Each layer's backward calls, counted on the layer object. */
    function countBackward(layer: Layer): { calls: number } {
      const count = { calls: 0 }, backward = layer.backward.bind(layer);
      layer.backward = ((dy: Tensor<'float32'>, needInputGrad?: boolean) => (count.calls++, backward(dy, needInputGrad ?? true))) as Layer['backward'];
      return count;
    }

    it('fuses a ReLU into the MaxPool reading it: the same gradient bits as the layers\' own backward one after the other, without the ReLU\'s', () => {
      const pools: [number[], number[], number[]][] = [[[2, 2], [2, 2], [0, 0, 0, 0]], [[2, 2], [1, 1], [0, 0, 0, 0]], [[3, 3], [2, 2], [1, 1, 1, 1]]];
      for (const [kernelShape, strides, pads] of pools) {
        const pool = () => maxPool({ kernelShape: kernelShape as [number, number], strides: strides as [number, number], pads: pads as [number, number, number, number] });
        // On the input itself: zeros of both signs, ties, NaN and windows with nothing > 0; then over a conv's output.
        const layers = [relu(), pool(), conv('c1', [4, 3, 3, 3], true, { pads: [1, 1, 1, 1] }), relu(), pool(), flatten()];
        const relus = [layers[0], layers[3]].map(countBackward);
        const net = sequential(layers);
        const dims = [2, 11, 9, 3], size = dims.reduce((a, b) => a * b, 1);
        const x = tensor('float32', dims, Float32Array.from({ length: size }, () => [0, -0, 1, 2, -1, 0.5][Math.floor(r() * 6)]));
        x.data.fill(NaN, 0, 5);
        const y = net.forward(x, 'train');
        const dy = tensor('float32', [...y.dims], Float32Array.from({ length: y.data.length }, (_, i) => (i % 7 === 0 ? -0 : r() - 0.5)));
        const fused = bits(net.backward(dy).data), fusedGrads = layers[2].params().map((p) => bits(p.grad));
        assert.deepEqual(relus.map((c) => c.calls), [0, 0], `${kernelShape} strides ${strides}: the ReLUs' backward is fused into the pools'`);
        for (const p of layers[2].params()) p.grad.fill(0);
        const chained = layers.reduceRight((g, layer) => layer.backward(g), dy);
        const what = `${kernelShape} strides ${strides} pads ${pads}`;
        assert.deepEqual(fused, bits(chained.data), `${what}: dx`);
        assert.deepEqual(fusedGrads, layers[2].params().map((p) => bits(p.grad)), `${what}: conv params' grads`);
      }
    });

    it('runs the ReLU\'s and the pool\'s own backward where they were replaced after the network was built (qat()\'s fake-quantizing wrappers)', () => {
      const layers = [relu(), maxPool({ kernelShape: [2, 2], strides: [2, 2] })];
      const net = sequential(layers);
      const counts = layers.map(countBackward);
      const y = net.forward(images([1, 4, 6, 2]), 'train');
      net.backward(tensor('float32', [...y.dims], randomFloats(y.data.length, r)));
      assert.deepEqual(counts.map((c) => c.calls), [1, 1]);
    });

    it('keeps a ReLU\'s own backward where more than the pool reads its output', () => {
      const layers = [relu(), maxPool({ kernelShape: [2, 2], strides: [2, 2] }), maxPool({ kernelShape: [2, 2], strides: [2, 2] })];
      const net = graph((b, x) => {
        const h = b.apply(layers[0], x);
        return b.add(b.apply(layers[1], h), b.apply(layers[2], h));
      });
      const count = countBackward(layers[0]);
      const y = net.forward(images([1, 4, 6, 2]), 'train');
      net.backward(tensor('float32', [...y.dims], randomFloats(y.data.length, r)));
      assert.equal(count.calls, 1);
    });

    it('exports to ONNX that onnxruntime runs as the network does, and imports back', async () => {
      const net = network();
      const x = images([3, 9, 8, 2]);
      const y = Float32Array.from(net.forward(x, 'eval').data);
      const graph = exportOnnx(net);
      const nx = toNchw(x);
      const actual = await compareWithOrt(graph, { input: { type: 'float32', dims: [...nx.dims], data: nx.data } }, { tolerance: 1e-5, atol: 1e-6 });
      const onnx = actual.logits.data as Float32Array;
      y.forEach((v, i) => assert.ok(Math.abs(v - onnx[i]) <= 1e-5 * Math.abs(onnx[i]) + 1e-6, `logits[${i}]: network ${v}, ONNX ${onnx[i]}`));
      const back = importOnnx(encodeOnnxModel(graph));
      assert.deepEqual([...back.forward(x, 'eval').data], [...y]);
    });

    it('gives layers of one kind their own node names, as onnxruntime requires (the seed CNN\'s two max pools)', async () => {
      const pool = () => maxPool({ kernelShape: [2, 2], strides: [2, 2] });
      const net = sequential([pool(), conv2d(1, 2, { kernelShape: [1, 1], name: 'maxpool_2' }), pool(), pool(), flatten()], { input: [8, 8, 1] });
      const graph = exportOnnx(net);
      const names = graph.nodes.map((n) => n.name).filter((n) => n !== undefined);
      assert.deepEqual(names.filter((n) => n.startsWith('maxpool')).sort(), ['maxpool', 'maxpool_2', 'maxpool_3', 'maxpool_4']);
      assert.equal(new Set(names).size, names.length);
      const x = images([1, 8, 8, 1]);
      await compareWithOrt(graph, { input: { type: 'float32', dims: [1, 1, 8, 8], data: x.data } }, { tolerance: 1e-5, atol: 1e-6 });
    });

    it('factories start from seeded He-uniform weights and zero biases, and check their arguments', () => {
      const a = conv2d(3, 4, { kernelShape: [3, 3], name: 'k' }), b = conv2d(3, 4, { kernelShape: [3, 3], name: 'k' });
      assert.deepEqual(a.weight.value, b.weight.value);
      const limit = Math.sqrt(6 / 27);
      assert.ok(a.weight.value.every((v) => Math.abs(v) <= limit) && a.weight.value.some((v) => Math.abs(v) > limit / 2));
      assert.deepEqual([...a.bias!.value], [0, 0, 0, 0]);
      assert.equal(a.weight.name, 'k.weight');
      assert.notDeepEqual(conv2d(3, 4, { kernelShape: [3, 3], name: 'k', seed: 5 }).weight.value, a.weight.value);
      assert.equal(depthwiseConv2d(5, { kernelShape: [3, 3] }).weight.dims.join(), '5,1,3,3');
      assert.throws(() => conv2d(0, 4, { kernelShape: [3, 3] }), /inChannels/);
      assert.throws(() => conv2d(3, 4.5, { kernelShape: [3, 3] }), /outChannels/);
      assert.throws(() => conv2d(3, 4, { kernelShape: [3, 3], bias: 1 as never }), /options\.bias/);
      assert.throws(() => conv2d(3, 4, { kernelShape: [3, 3], init: 'zeros' as never }), /options\.init/);
      assert.throws(() => conv2d(3, 4, { kernelShape: [3, 3], name: '' }), /options\.name/);
      assert.throws(() => depthwiseConv2d(-1, { kernelShape: [3, 3] }), /channels/);
      assert.throws(() => maxPool({ kernelShape: [2] as never }), /options\.kernelShape/);
      assert.throws(() => globalAveragePool({ name: 3 as never }), /options\.name/);
      assert.throws(() => sequential([conv2d(3, 4, { kernelShape: [3, 3] })], { input: [8, 8, 2] }), /Conv conv\.weight/);
    });
  });
});
