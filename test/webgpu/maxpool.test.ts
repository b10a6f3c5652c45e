import assert from 'node:assert/strict';

import { cpu, tensor } from '../../src/index.js';
import type { MaxPoolOptions } from '../../src/backends/cpu/maxpool.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

const CASES: [number[], MaxPoolOptions][] = [
  [[1, 3, 8, 8], { kernelShape: [2, 2], strides: [2, 2] }],
  [[2, 3, 7, 9], { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[1, 2, 7, 7], { kernelShape: [2, 3], strides: [2, 2], ceilMode: true }],
  [[3, 1, 5, 6], { kernelShape: [3, 2], strides: [1, 3], pads: [2, 0, 0, 1], ceilMode: true }],
  [[1, 5, 3, 3], { kernelShape: [1, 1] }],
  // Windows larger than the padded input: one output each, and none.
  [[2, 3, 1, 2], { kernelShape: [2, 3], strides: [2, 2], pads: [0, 1, 0, 0] }],
  [[1, 2, 1, 1], { kernelShape: [2, 2] }],
];

describe('webgpu maxPool', () => {
  after(releaseGpu);

  it('equals cpu.maxPool element for element on float32, uint8 and int8', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(401);
    for (const [dims, options] of CASES) {
      const size = dims.reduce((a, b) => a * b, 1);
      // -0 and 0 in one window: the first one wins on both.
      const floats = randomFloats(size, r, 5);
      floats[0] = -0;
      floats[1] = 0;
      for (const x of [
        tensor('float32', dims, floats),
        tensor('uint8', dims, randomInts(Uint8Array, size, 0, 255, r), { scale: 0.5, zeroPoint: 3 }),
        tensor('int8', dims, randomInts(Int8Array, size, -128, 127, r)),
      ]) {
        const got = await gpu.maxPool(x, options);
        const back = await gpu.download(got);
        got.dispose();
        const expected = cpu.maxPool(x, options);
        assert.deepEqual(back.dims, expected.dims);
        assertSameArray(back.data, expected.data, `${x.type} [${dims}] ${JSON.stringify(options)}`);
        assert.equal(back.zeroPoint, x.zeroPoint);
      }
    }
  });

  it('rejects bad arguments like the CPU', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [1, 1, 4, 4]);
    for (const [t, bad] of [
      [x, { kernelShape: [6, 6] }],
      [x, { kernelShape: [2, 2], pads: [2, 0, 0, 0] }],
      [tensor('int32', [1, 1, 2, 2]), { kernelShape: [1, 1] }],
      [tensor('uint8', [1, 2, 2, 2], undefined, { scale: Float32Array.of(1, 1), zeroPoint: Int32Array.of(0, 0), axis: 3 }), { kernelShape: [1, 1] }],
    ] as [typeof x, MaxPoolOptions][]) {
      let expected: Error | undefined;
      try {
        cpu.maxPool(t, bad);
      } catch (e) {
        expected = e as Error;
      }
      assert.ok(expected, `the CPU rejects ${JSON.stringify(bad)}`);
      await assert.rejects(gpu.maxPool(t, bad), (e: Error) => e.constructor === expected!.constructor && e.message === expected!.message);
    }
  });
});
