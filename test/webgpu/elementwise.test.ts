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
    assert.deepEqual(await run(gpu.add(x, c)), [6, 9, 10, 12, 103, 104, 106, 108]);
    assert.deepEqual(await run(gpu.sub(c, x)), [14, 11, 10, 8, 97, 96, 94, 92]);
    assert.deepEqual(await run(gpu.mul(x, tensor('float32', [], Float32Array.of(0.5)))), [-2, -0.5, 0, 1, 1.5, 2, 3, 4]);
    assert.deepEqual(await run(gpu.div(x, tensor('float32', [2], Float32Array.of(1, 2)))), [-4, -0.5, 0, 1, 3, 2, 6, 4]);
    // The activation fused into the arithmetic, as cpu.add's.
    assert.deepEqual(await run(gpu.add(x, c, { activation: { min: 9, max: 104 } })), [9, 9, 10, 12, 103, 104, 104, 104]);
    assert.deepEqual(await run(gpu.sub(x, x, { activation: { kind: 'hardsigmoid', alpha: 0.5, beta: 0.25 } })), new Array(8).fill(0.25));
    assert.deepEqual(await run(gpu.activate(x, 'relu')), [0, 0, 0, 2, 3, 4, 6, 8]);
    assert.deepEqual(await run(gpu.activate(x, { min: 0, max: 6 })), [0, 0, 0, 2, 3, 4, 6, 6]);
    assert.deepEqual(await run(gpu.activate(x, { kind: 'hardsigmoid', alpha: 0.25, beta: 0.5 })), [0, 0.25, 0.5, 1, 1, 1, 1, 1]);
    // f32 steps (x / 6 + 0.5, then the product), then the clamp: within a few ULPs of the exact values.
    assertClose(await run(gpu.activate(x, { kind: 'hardswish', max: 5 })), [0, -1 / 3, 0, 2 * (5 / 6), 3, 4, 5, 5], 3e-7, 0, 'hardswish');
    assert.deepEqual(await run(gpu.globalAveragePool(x)), [-0.75, 5.25]);
  });

  it('rejects bad arguments, naming them', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [2, 3, 4]);
    for (const [call, pattern] of [
      [() => gpu.add(x, tensor('float32', [2, 4])), /^RangeError: b\.dims \[2,4\] does not broadcast with a's \[2,3,4\]/],
      [() => gpu.add(x, tensor('int32', [2, 3, 4]) as never), /^TypeError: b must be a tensor of type 'float32'/],
      [() => gpu.mul(tensor('float32', [2, 1, 2, 1, 2, 1, 2, 1, 2]), tensor('float32', [2, 1, 2, 1, 2, 1, 2, 1, 2, 1])), /^RangeError: b\.dims .* takes 10 loops, more than the 8/],
      [() => gpu.add(x, x, { activation: { kind: 'gelu' } as never }), /^TypeError: options\.activation\.kind must be 'clamp', 'hardsigmoid' or 'hardswish'/],
      [() => gpu.add(x, x, null as never), /^TypeError: options must be an object/],
      [() => gpu.activate(x, { kind: 'gelu' } as never), /^TypeError: activation\.kind must be/],
      [() => gpu.activate(x, { min: NaN }), /^TypeError: activation\.min must be a number/],
      [() => gpu.activate(x, 7 as never), /^TypeError: activation must be/],
      [() => gpu.activate(x, { min: 2, max: 1 }), /^RangeError: activation min \(2\) must be <= max \(1\)/],
      [() => gpu.globalAveragePool(tensor('float32', [2, 3])), /^RangeError: x\.dims must be \[N, C, \.\.\.spatial\]/],
      [() => gpu.globalAveragePool(tensor('float32', [2, 3, 0])), /^RangeError: x\.dims \[2,3,0\] has empty planes/],
    ] as [() => Promise<unknown>, RegExp][])
      await assert.rejects(call(), (e: Error) => pattern.test(`${e.name}: ${e.message}`), String(pattern));
  });
});
