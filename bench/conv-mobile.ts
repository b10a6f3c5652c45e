/**
 * The pointwise and strided layers of MobileNetV2 and ResNet-18 through the
 * conv operator (src/backends/cpu/conv/: the path a session would run, the
 * cost model's choice), beside the same layer forced onto im2col + GEMM and
 * onnxruntime-node's Conv / QLinearConv on the same shapes and threads;
 * fp32, and int8 (per-tensor int8 weights on uint8 images, uint8 output).
 * bench/conv.ts runs it with --set mobile (npm run bench:conv:mobile).
 *
 * Columns: sparq's chosen path and its ms, the im2col path's ms,
 * onnxruntime's ms, ort / sparq (above 1: sparq faster) and im2col / chosen;
 * then the NHWC operator (backends/cpu/conv/nhwc.ts: one GEMM on the
 * channels-last image, or on its NHWC im2col) on the same layer, its ms and
 * ort / nhwc (onnxruntime still NCHW in, NCHW out).
 */
import { ort, ortSession } from './ort-models.js';
import { timeIt } from './timing.js';
import { seededRandom } from '../test/fixtures/cifar-cnn.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../src/runtime/onnx/write.js';
import { convRunGeometry, type WindowAttributes } from '../src/runtime/ops/conv-attributes.js';
import type { ConvAllocate, ConvValue, ConvWeightSource } from '../src/backends/cpu/conv/layer.js';
import { prepareConv } from '../src/backends/cpu/conv/operator.js';
import { prepareConvNhwc } from '../src/backends/cpu/conv/nhwc.js';
import { sizeOf } from '../src/tensor.js';

/** [name, input channels, input size, output channels, kernel, stride, pad]. */
type Layer = [string, number, number, number, number, number, number];

export const MOBILE_LAYERS: Layer[] = [
  ['mbv2 1x1 56x56 24->144', 24, 56, 144, 1, 1, 0],
  ['mbv2 1x1 28x28 32->192', 32, 28, 192, 1, 1, 0],
  ['mbv2 1x1 14x14 96->576', 96, 14, 576, 1, 1, 0],
  ['mbv2 1x1 7x7 160->960', 160, 7, 960, 1, 1, 0],
  ['mbv2 first 3x3/2 224 3->32', 3, 224, 32, 3, 2, 1],
  ['mbv2 first 3x3/2 96 3->32', 3, 96, 32, 3, 2, 1],
  ['resnet stem 7x7/2 224 3->64', 3, 224, 64, 7, 2, 3],
  ['resnet 3x3/2 56 64->128', 64, 56, 128, 3, 2, 1],
  ['resnet 3x3/2 28 128->256', 128, 28, 256, 3, 2, 1],
  ['resnet 1x1/2 56 64->128', 64, 56, 128, 1, 2, 0],
  ['resnet 1x1/2 28 128->256', 128, 28, 256, 1, 2, 0],
];

const Q = { xScale: 1 / 255, xZero: 128, yScale: 0.05, yZero: 0 };

function graph(n: number, [, c, h, oc, k, s, p]: Layer, w: Float32Array | Int8Array, wScale: number): OnnxGraph {
  const attributes = { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] };
  const scalar = (name: string, type: 'float' | 'uint8' | 'int8', v: number): OnnxTensor =>
    ({ name, type, dims: [], data: type === 'float' ? Float32Array.of(v) : type === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v) }) as OnnxTensor;
  const float = w instanceof Float32Array;
  const node: OnnxNode = float
    ? { opType: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attributes }
    : { opType: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'], attributes };
  const type = float ? 'float' : 'uint8';
  return {
    opset: 13,
    nodes: [node],
    inputs: [{ name: 'x', type, dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type, dims: null }],
    initializers: float
      ? [{ name: 'w', type: 'float', dims: [oc, c, k, k], data: w }]
      : [scalar('xs', 'float', Q.xScale), scalar('xz', 'uint8', Q.xZero), { name: 'w', type: 'int8', dims: [oc, c, k, k], data: w as Int8Array },
        scalar('ws', 'float', wScale), scalar('wz', 'int8', 0), scalar('ys', 'float', Q.yScale), scalar('yz', 'uint8', Q.yZero)],
  };
}

const buffers = new Map<string, Float32Array | Uint8Array>();
const allocate: ConvAllocate = (type, length) => {
  const key = `${type} ${length}`;
  if (!buffers.has(key)) buffers.set(key, type === 'float32' ? new Float32Array(length) : new Uint8Array(length));
  return buffers.get(key)!;
};

/** Prints one table row per layer, batch and type. */
export async function benchMobileConvs(batches: number[], threads: number, budgetMs: number): Promise<void> {
  console.log('\n| layer | batch | type | sparq path | sparq ms | im2col ms | ort ms | ort / sparq | im2col / sparq | nhwc ms | ort / nhwc |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const batch of batches)
    for (const layer of MOBILE_LAYERS) {
      const [name, c, h, oc, k, s, p] = layer;
      const random = seededRandom(h * 31 + c + k);
      const wf = Float32Array.from({ length: oc * c * k * k }, () => (random() - 0.5) * 0.3);
      const xf = Float32Array.from({ length: batch * c * h * h }, () => random());
      const window: WindowAttributes = { kernel: [k, k], strides: [s, s], dilations: [1, 1], pads: [p, p, p, p], oneD: false };
      const { geometry } = convRunGeometry(window, [batch, c, h, h]);
      const wScale = wf.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
      const wq = Int8Array.from(wf, (v) => Math.round(v / wScale));
      for (const int8 of [false, true]) {
        const weights: ConvWeightSource<'float32' | 'int8'> = int8
          ? { type: 'int8', dims: [oc, c, k, k], data: wq, scales: Float32Array.of(wScale) }
          : { type: 'float32', dims: [oc, c, k, k], data: wf };
        const x: ConvValue<'float32' | 'uint8'> = int8
          ? { type: 'uint8', dims: [batch, c, h, h], data: Uint8Array.from(xf, (v) => Math.round(v * 255)) }
          : { type: 'float32', dims: [batch, c, h, h], data: xf };
        const xQuant = int8 ? { scale: Q.xScale, zeroPoint: Q.xZero } : {};
        const output = int8 ? { output: 'uint8' as const, outScale: Q.yScale, outZeroPoint: Q.yZero } : { output: 'float32' as const };
        // The session's default policy (sparsity 'auto') for the chosen path; the dense GEMM for the forced im2col one.
        const time = async (path: 'auto' | 'im2col' | 'im2col-int8') => {
          const op = prepareConv({ weights, window, group: 1, ...output, sparse: path === 'auto', path });
          const run = () => op.run(x, xQuant, geometry, allocate);
          run();
          return { label: op.label, ms: (await timeIt(run, { budgetMs })).p50 * 1e3 };
        };
        const timeNhwc = async () => {
          // The image's values as NHWC: the timing does not depend on what they mean.
          const plan = prepareConvNhwc({ weights, window, group: 1, ...output, sparse: false }).plan([batch, h, h, c], xQuant, geometry);
          const y = allocate(plan.type === 'float32' ? 'float32' : 'uint8', sizeOf(plan.dims)) as Float32Array | Uint8Array;
          const run = () => plan.run(x.data as Float32Array | Uint8Array, y);
          run();
          return (await timeIt(run, { budgetMs })).p50 * 1e3;
        };
        const chosen = await time('auto');
        const nhwc = await timeNhwc();
        const im2col = await time(int8 ? 'im2col-int8' : 'im2col');
        const session = await ortSession(graph(batch, layer, int8 ? wq : wf, wScale), threads);
        const feeds = { x: new ort.Tensor(x.type, x.data, [batch, c, h, h]) };
        const theirs = (await timeIt(() => session.run(feeds), { budgetMs })).p50 * 1e3;
        await session.release();
        const f = (ms: number) => ms.toFixed(batch === 1 ? 4 : 3);
        console.log(`| ${name} | ${batch} | ${int8 ? 'int8' : 'fp32'} | ${chosen.label} | ${f(chosen.ms)} | ${f(im2col.ms)} | ${f(theirs)} | **${(theirs / chosen.ms).toFixed(2)}x** | ${(im2col.ms / chosen.ms).toFixed(2)}x | ${f(nhwc)} | **${(theirs / nhwc).toFixed(2)}x** |`);
      }
    }
}
