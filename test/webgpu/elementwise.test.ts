import assert from 'node:assert/strict';

import { broadcastLoops } from '../../src/backends/webgpu/elementwise.js';
import { tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

describe('webgpu f32-vbinary-wgsl, f32-vunary-wgsl, f32-gavgpool-wgsl', () => {
  after(releaseGpu);

  it('merges broadcast loops: size-1 axes dropped, runs where the same operand repeats joined', () => {
    assert.deepEqual(broadcastLoops([2, 6, 5, 7], [2, 6, 5, 7]), { dims: [2, 6, 5, 7], sizes: [420], aStrides: [1], bStrides: [1] });
    assert.deepEqual(broadcastLoops([2, 6, 5, 7], [2, 6, 1, 1]), { dims: [2, 6, 5, 7], sizes: [12, 35], aStrides: [35, 1], bStrides: [1, 0] });
    assert.deepEqual(broadcastLoops([6, 1, 1], [2, 6, 5, 7]), { dims: [2, 6, 5, 7], sizes: [2, 6, 35], aStrides: [0, 1, 0], bStrides: [210, 35, 1] });
    assert.deepEqual(broadcastLoops([2, 1, 5], [3, 1]), { dims: [2, 3, 5], sizes: [2, 3, 5], aStrides: [5, 0, 1], bStrides: [0, 1, 0] });
    assert.deepEqual(broadcastLoops([1, 1], []), { dims: [1, 1], sizes: [], aStrides: [], bStrides: [] });
    assert.equal(broadcastLoops([2, 3], [4, 3]), undefined);
  });

  it('computes broadcast arithmetic, activations and global average pooling', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [1, 2, 2, 2], Float32Array.of(-4, -1, 0, 2, 3, 4, 6, 8));
    const c = tensor('float32', [2, 1, 1], Float32Array.of(10, 100));
    const run = async (p: Promise<{ dims: readonly number[] }>) => Array.from((await gpu.download((await p) as never)).data as Float32Array);
    assert.deepEqual(await run(gpu.binary('add', x, c)), [6, 9, 10, 12, 103, 104, 106, 108]);
    assert.deepEqual(await run(gpu.binary('sub', c, x)), [14, 11, 10, 8, 97, 96, 94, 92]);
    assert.deepEqual(await run(gpu.binary('mul', x, tensor('float32', [], Float32Array.of(0.5)))), [-2, -0.5, 0, 1, 1.5, 2, 3, 4]);
    assert.deepEqual(await run(gpu.binary('div', x, tensor('float32', [2], Float32Array.of(1, 2)))), [-4, -0.5, 0, 1, 3, 2, 6, 4]);
    assert.deepEqual(await run(gpu.activation(x, { kind: 'clamp', min: 0, max: 6 })), [0, 0, 0, 2, 3, 4, 6, 6]);
    assert.deepEqual(await run(gpu.activation(x, { kind: 'clamp', min: 2, max: 1 })), [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(await run(gpu.activation(x, { kind: 'hardSigmoid', alpha: 0.25, beta: 0.5 })), [0, 0.25, 0.5, 1, 1, 1, 1, 1]);
    // f32 steps (x / 6 + 0.5, then the product): within a few ULPs of the exact values.
    assertClose(await run(gpu.activation(x, { kind: 'hardSwish' })), [0, -1 / 3, 0, 2 * (5 / 6), 3, 4, 6, 8], 3e-7, 0, 'hardSwish');
    assert.deepEqual(await run(gpu.activation(x, { kind: 'leakyRelu', alpha: 0.5 })), [-2, -0.5, 0, 2, 3, 4, 6, 8]);
    assert.deepEqual(await run(gpu.globalAveragePool(x)), [-0.75, 5.25]);
  });

  it('rejects bad arguments, naming them', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [2, 3, 4]);
    for (const [call, pattern] of [
      [() => gpu.binary('pow' as never, x, x), /^RangeError: op must be one of 'add', 'sub', 'mul', 'div'/],
      [() => gpu.binary('add', x, tensor('float32', [2, 4])), /^RangeError: b\.dims \[2,4\] does not broadcast with a's \[2,3,4\]/],
      [() => gpu.binary('add', x, tensor('int32', [2, 3, 4]) as never), /^TypeError: b must be a tensor of type 'float32'/],
      [() => gpu.binary('mul', tensor('float32', [2, 1, 2, 1, 2, 1, 2, 1, 2]), tensor('float32', [2, 1, 2, 1, 2, 1, 2, 1, 2, 1])), /^RangeError: b\.dims .* takes 10 loops, more than the 8/],
      [() => gpu.activation(x, { kind: 'gelu' } as never), /^RangeError: activation\.kind must be one of/],
      [() => gpu.activation(x, { kind: 'clamp', min: NaN }), /^TypeError: activation\.min must be a number/],
      [() => gpu.activation(x, null as never), /^TypeError: activation must be an object/],
      [() => gpu.globalAveragePool(tensor('float32', [2, 3])), /^RangeError: x\.dims must be \[N, C, \.\.\.spatial\]/],
      [() => gpu.globalAveragePool(tensor('float32', [2, 3, 0])), /^RangeError: x\.dims \[2,3,0\] has empty planes/],
    ] as [() => Promise<unknown>, RegExp][])
      await assert.rejects(call(), (e: Error) => pattern.test(`${e.name}: ${e.message}`), String(pattern));
  });
});
