import assert from 'node:assert/strict';

import { cpu, tensor, type ElementType, type Tensor } from '../../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

function random(type: ElementType, size: number, r: () => number): Tensor['data'] {
  if (type === 'float32') return randomFloats(size, r);
  if (type === 'int32') return randomInts(Int32Array, size, -(2 ** 31), 2 ** 31 - 1, r);
  return type === 'uint8' ? randomInts(Uint8Array, size, 0, 255, r) : randomInts(Int8Array, size, -128, 127, r);
}

describe('webgpu transpose', () => {
  after(releaseGpu);

  it('equals cpu.transpose on every type, one matrix and batches, at odd sizes', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(501);
    for (const type of ['float32', 'int32', 'uint8', 'int8'] as ElementType[])
      for (const [batch, rows, cols] of [[1, 1, 1], [1, 5, 3], [3, 7, 13], [2, 64, 33], [4, 1, 9]]) {
        const x = tensor(type, [batch, rows, cols], random(type, batch * rows * cols, r) as never);
        const got = await gpu.transpose(x);
        const back = await gpu.download(got);
        got.dispose();
        assert.deepEqual(back.dims, [batch, cols, rows]);
        for (let b = 0; b < batch; b++) {
          const m = tensor(type, [rows, cols], x.data.subarray(b * rows * cols, (b + 1) * rows * cols) as never);
          assertSameArray(back.data.subarray(b * rows * cols, (b + 1) * rows * cols), cpu.transpose(m).data, `${type} ${batch}x${rows}x${cols} matrix ${b}`);
        }
        if (batch === 1) {
          const two = await gpu.transpose(tensor(type, [rows, cols], x.data as never));
          assertSameArray((await gpu.download(two)).data, cpu.transpose(tensor(type, [rows, cols], x.data as never)).data, `${type} 2-D`);
          two.dispose();
        }
      }
  });

  it('moves a per-axis parameter with its axis and rejects other ranks', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('int8', [2, 3], Int8Array.of(1, 2, 3, 4, 5, 6), { scale: Float32Array.of(1, 2, 3), zeroPoint: new Int32Array(3), axis: 1 });
    const got = await gpu.transpose(x);
    assert.equal(got.axis, cpu.transpose(x).axis);
    got.dispose();
    await assert.rejects(gpu.transpose(tensor('float32', [2])), /^TypeError: x\.dims must have 2 or 3 dimensions, got 1/);
  });
});
