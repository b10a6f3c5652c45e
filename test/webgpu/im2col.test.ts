import assert from 'node:assert/strict';

import { cpu, tensor } from '../../src/index.js';
import type { Im2colOptions } from '../../src/backends/cpu/im2col.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/** Geometries around the edges: padding on every side, strides, dilations, groups, 1x1, odd element counts (partial last words for uint8). */
const CASES: [number[], Im2colOptions][] = [
  [[1, 3, 5, 5], { kernelShape: [3, 3] }],
  [[2, 3, 7, 6], { kernelShape: [3, 3], pads: [1, 1, 1, 1] }],
  [[3, 2, 9, 8], { kernelShape: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1] }],
  [[1, 4, 9, 9], { kernelShape: [3, 3], dilations: [2, 3], pads: [0, 2, 1, 0] }],
  [[2, 6, 5, 7], { kernelShape: [2, 2], group: 3, pads: [1, 0, 0, 1] }],
  [[1, 5, 3, 3], { kernelShape: [1, 1] }],
  [[1, 1, 1, 1], { kernelShape: [1, 1] }],
];

describe('webgpu im2col', () => {
  after(releaseGpu);

  it('equals cpu.im2col element for element, float32 and uint8 (padded with the zero point)', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(301);
    for (const [dims, options] of CASES) {
      const size = dims.reduce((a, b) => a * b, 1);
      const f = tensor('float32', dims, randomFloats(size, r, 3));
      const q = tensor('uint8', dims, randomInts(Uint8Array, size, 0, 255, r), { scale: 0.1, zeroPoint: 77 });
      for (const x of [f, q]) {
        const got = await gpu.im2col(x, options);
        const back = await gpu.download(got);
        got.dispose();
        const expected = cpu.im2col(x, options);
        assert.deepEqual(back.dims, expected.dims, `${x.type} [${dims}] dims`);
        assertSameArray(back.data, expected.data, `${x.type} [${dims}] ${JSON.stringify(options)}`);
        if (x.type === 'uint8') assert.equal(back.zeroPoint, 77);
      }
    }
  });

  it('takes padValue and rejects bad arguments like the CPU', async function () {
    const gpu = await gpuOrSkip(this);
    const q = tensor('uint8', [1, 2, 3, 3], randomInts(Uint8Array, 18, 0, 255, rng(302)));
    const options: Im2colOptions = { kernelShape: [2, 2], pads: [1, 1, 1, 1], padValue: 200 };
    const got = await gpu.im2col(q, options);
    assertSameArray((await gpu.download(got)).data, cpu.im2col(q, options).data, 'padValue 200');
    got.dispose();
    const f = tensor('float32', [1, 2, 3, 3]);
    for (const [x, bad] of [
      [f, { kernelShape: [4, 4] }],
      [f, { kernelShape: [2, 2], padValue: 1 }],
      [f, { kernelShape: [2, 2], group: 4 }],
      [q, { kernelShape: [2, 2], padValue: 256 }],
      [tensor('float32', [2, 3, 3]), { kernelShape: [1, 1] }],
    ] as [typeof f, Im2colOptions][]) {
      let expected: Error | undefined;
      try {
        cpu.im2col(x, bad);
      } catch (e) {
        expected = e as Error;
      }
      assert.ok(expected, `the CPU rejects ${JSON.stringify(bad)}`);
      await assert.rejects(gpu.im2col(x, bad), (e: Error) => e.constructor === expected!.constructor && e.message === expected!.message);
    }
  });
});
