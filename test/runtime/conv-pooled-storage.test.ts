/**
 * Where a conv operator's result lives when a max pool is fused into it: the
 * pooled result must come from the caller's allocate (a session's buffer
 * pool, which gets it back when the value dies), and the unpooled product
 * must not (the pool would hand it out and never see it dropped). Every path
 * that pools after its kernel: im2col + GEMM, the grouped float conv, the
 * quantized depthwise conv.
 */
import assert from 'node:assert/strict';

import { prepareConv, type ConvLayer } from '../../src/backends/cpu/conv/operator.js';
import type { ConvAllocate, ConvRunGeometry } from '../../src/backends/cpu/conv/layer.js';
import { randomFloats, randomInts, rng } from '../helpers.js';

const r = rng(41);
const geometry: ConvRunGeometry = { kernelShape: [3, 3], pads: [1, 1, 1, 1] };
const pool = { kernelShape: [2, 2], strides: [2, 2] } as const;

/** An allocate that records what it handed out. */
function recording(): { allocate: ConvAllocate; handed: ArrayBufferLike[] } {
  const handed: ArrayBufferLike[] = [];
  const allocate: ConvAllocate = (type, length) => {
    const data = type === 'float32' ? new Float32Array(length) : type === 'int32' ? new Int32Array(length) : type === 'uint8' ? new Uint8Array(length) : new Int8Array(length);
    handed.push(data.buffer);
    return data;
  };
  return { allocate, handed };
}

const channels = 4, outChannels = 8;
const floatLayer = (group: number, path: ConvLayer<'float32'>['path']): ConvLayer<'float32'> => ({
  weights: { type: 'float32', dims: [outChannels, channels / group, 3, 3], data: randomFloats(outChannels * (channels / group) * 9, r) },
  window: { kernel: [3, 3], strides: [1, 1] }, group, output: 'float32', pool, sparse: false, path,
});
const qDepthwise: ConvLayer<'int8'> = {
  weights: { type: 'int8', dims: [channels, 1, 3, 3], data: randomInts(Int8Array, channels * 9, -127, 127, r), scales: new Float32Array([0.01]) },
  window: { kernel: [3, 3], strides: [1, 1] }, group: channels, output: 'uint8', outScale: 0.05, outZeroPoint: 128, pool, sparse: false,
};

describe('runtime: a conv with a fused max pool takes only its pooled result from allocate', () => {
  const cases: [string, ConvLayer<'float32' | 'int8'>, 'float32' | 'uint8'][] = [
    ['im2col + GEMM', floatLayer(1, 'im2col'), 'float32'],
    ['grouped float conv', floatLayer(2, 'auto'), 'float32'],
    ['quantized depthwise conv', qDepthwise, 'uint8'],
  ];
  for (const [name, layer, type] of cases) {
    it(name, () => {
      const op = prepareConv(layer);
      const dims = [2, channels, 6, 6];
      const x = type === 'float32'
        ? { type, dims, data: randomFloats(2 * channels * 36, r) } as const
        : { type, dims, data: randomInts(Uint8Array, 2 * channels * 36, 0, 255, r) } as const;
      const { allocate, handed } = recording();
      const y = op.run(x, type === 'float32' ? {} : { scale: 0.02, zeroPoint: 120 }, geometry, allocate);
      assert.deepEqual(y.dims, [2, layer.weights.dims[0], 3, 3]);
      assert.equal(handed.length, 1, 'one array from allocate: the pooled result');
      assert.equal(y.data.buffer, handed[0]);
    });
  }
});
