/**
 * Calls with an empty operand are valid: they return correctly shaped empty
 * results, or, when only the reduction is empty (K = 0, C = 0), what the
 * output stage makes of zero sums: the bias, activated or requantized.
 */
import assert from 'node:assert/strict';

import { cpu, SparseMatrix, tensor, type Tensor } from '../src/index.js';

const empty = (t: Tensor, dims: number[], what: string) => {
  assert.deepEqual(t.dims, dims, what);
  assert.equal(t.data.length, 0, what);
};

describe('empty calls', () => {
  it('quantize, dequantize and requantize per axis over an empty axis (it threw "channels must be >= 1")', async () => {
    const none = new Float32Array(0);
    empty(cpu.quantize(tensor('float32', [2, 0, 3]), { type: 'uint8', scale: none, axis: 1 }), [2, 0, 3], 'quantize');
    empty(await cpu.quantizeAsync(tensor('float32', [2, 0, 3]), { type: 'int8', scale: none, axis: 1 }), [2, 0, 3], 'quantizeAsync');
    empty(cpu.dequantize(tensor('uint8', [2, 0, 3], undefined, { scale: none, axis: 1 })), [2, 0, 3], 'dequantize');
    empty(cpu.requantize(tensor('int32', [2, 0, 3], undefined, { scale: none, axis: 1 }), { type: 'uint8', scale: 1 }), [2, 0, 3], 'requantize');
    const m = cpu.minmax(tensor('float32', [2, 0, 3]), { axis: 1 });
    assert.deepEqual([m.min.length, m.max.length], [0, 0]);
    empty(cpu.quantize(tensor('float32', [0, 4]), { type: 'uint8', scale: 0.5 }), [0, 4], 'per tensor');
  });

  it('qgemm with int8 weights [4, 0] per column (it threw "zeroPoints has 0 elements")', async () => {
    const b = tensor('int8', [4, 0], undefined, { scale: new Float32Array(0), axis: 1 });
    const a = tensor('uint8', [2, 4], undefined, { scale: 1 });
    empty(cpu.qgemm(a, b), [2, 0], 'int32');
    empty(cpu.qgemm(a, cpu.packWeights(b), { output: 'float32' }), [2, 0], 'float32, packed');
    empty(await cpu.qgemmAsync(a, b, { output: 'uint8', outScale: 1 }), [2, 0], 'async uint8');
    empty(cpu.qgemm(tensor('uint8', [0, 4]), tensor('int8', [4, 3], undefined, { scale: 1 })), [0, 3], 'M = 0');
  });

  it('qgemm with K = 0 gives the output stage of the bias', () => {
    const a = tensor('uint8', [2, 0], undefined, { scale: 0.5, zeroPoint: 3 });
    const b = tensor('int8', [0, 3], undefined, { scale: Float32Array.of(1, 2, 4), zeroPoint: Int32Array.of(0, 1, 2), axis: 1 });
    const bias = Int32Array.of(10, -3, 7);
    assert.deepEqual(Array.from(cpu.qgemm(a, b, { bias }).data), [10, -3, 7, 10, -3, 7]);
    assert.deepEqual(Array.from(cpu.qgemm(a, b, { bias, output: 'float32', activation: 'relu' }).data), [5, 0, 14, 5, 0, 14]);
    assert.deepEqual(Array.from(cpu.qgemm(a, b, { bias, output: 'uint8', outScale: 2, outZeroPoint: 100 }).data), [102, 98, 107, 102, 98, 107]);
  });

  it('qspmm with [0, 8] weights and per-row scales (it threw "multiplier has 0 elements")', async () => {
    const w = SparseMatrix.fromDense(tensor('int8', [0, 8], undefined, { scale: new Float32Array(0), axis: 0 }), { format: 'csr' });
    const x = tensor('uint8', [8, 3], undefined, { scale: 1 });
    empty(cpu.qspmm(w, x, { output: 'float32' }), [0, 3], 'qspmm');
    empty(await cpu.qspmmAsync(cpu.packSparseWeights(w), x, { output: 'uint8', outScale: 1 }), [0, 3], 'qspmmAsync');
    const k0 = SparseMatrix.fromDense(tensor('int8', [2, 0], undefined, { scale: 1 }), { format: 'csr' });
    assert.deepEqual(Array.from(cpu.qspmm(k0, tensor('uint8', [0, 2], undefined, { scale: 1 }), { bias: Int32Array.of(4, -4) }).data), [4, 4, -4, -4]);
  });

  it('gemm with M, N or K = 0 (K = 0: the activated bias)', async () => {
    empty(cpu.gemm(tensor('float32', [0, 2]), tensor('float32', [2, 3])), [0, 3], 'M = 0');
    empty(cpu.gemm(tensor('float32', [2, 2]), tensor('float32', [2, 0])), [2, 0], 'N = 0');
    const k0 = tensor('float32', [0, 3]);
    const want = [1, 0, 3, 1, 0, 3];
    assert.deepEqual(Array.from(cpu.gemm(tensor('float32', [2, 0]), k0, { bias: Float32Array.of(1, -2, 3), activation: 'relu' }).data), want);
    assert.deepEqual(Array.from((await cpu.gemmAsync(tensor('float32', [2, 0]), cpu.packWeights(k0), { bias: Float32Array.of(1, -2, 3), activation: 'relu' })).data), want);
  });

  it('spmm with N, K or M = 0', () => {
    const csr = (dims: [number, number]) => SparseMatrix.fromDense(tensor('float32', dims), { format: 'csr' });
    empty(cpu.spmm(csr([0, 8]), tensor('float32', [8, 3])), [0, 3], 'N = 0');
    empty(cpu.spmm(csr([2, 8]), tensor('float32', [8, 0])), [2, 0], 'M = 0');
    assert.deepEqual(Array.from(cpu.spmm(csr([2, 0]), tensor('float32', [0, 2]), { bias: Float32Array.of(1, 2) }).data), [1, 1, 2, 2]);
  });

  it('conv2d with no output channels or no input channels (it threw "w must hold at least one weight")', async () => {
    const x = tensor('float32', [1, 2, 3, 3]);
    empty(cpu.conv2d(x, cpu.packConvWeights(tensor('float32', [0, 2, 1, 1]))), [1, 0, 3, 3], 'OC = 0');
    const c0 = cpu.packConvWeights(tensor('float32', [2, 0, 3, 3]));
    const y = await cpu.conv2dAsync(tensor('float32', [1, 0, 4, 4]), c0, { bias: Float32Array.of(1.5, -1), activation: 'relu' });
    assert.deepEqual(y.dims, [1, 2, 2, 2]);
    assert.deepEqual(Array.from(y.data), [1.5, 1.5, 1.5, 1.5, 0, 0, 0, 0]);
    const q = cpu.conv2d(tensor('uint8', [1, 0, 2, 2], undefined, { zeroPoint: 9 }), cpu.packConvWeights(tensor('int8', [1, 0, 1, 1], undefined, { scale: 1 })), { bias: Int32Array.of(-7) });
    assert.deepEqual(Array.from(q.data), [-7, -7, -7, -7]);
    assert.throws(() => cpu.packConvWeights(tensor('float32', [1, 1, 0, 1])), /^RangeError: w\.dims \[1, 1, 0, 1\] have an empty kernel: KH and KW must be >= 1/);
  });

  it('maxPool, im2col, transpose and linear over empty batches, channels and weights', () => {
    empty(cpu.maxPool(tensor('float32', [0, 2, 3, 3]), { kernelShape: [2, 2] }), [0, 2, 2, 2], 'maxPool N = 0');
    empty(cpu.maxPool(tensor('int8', [1, 0, 3, 3]), { kernelShape: [2, 2] }), [1, 0, 2, 2], 'maxPool C = 0');
    empty(cpu.im2col(tensor('float32', [0, 2, 3, 3]), { kernelShape: [2, 2] }), [1, 0, 8], 'im2col N = 0');
    empty(cpu.im2col(tensor('uint8', [1, 0, 3, 3]), { kernelShape: [2, 2] }), [1, 4, 0], 'im2col C = 0');
    empty(cpu.transpose(tensor('int32', [0, 3])), [3, 0], 'transpose');
    for (const kernel of ['auto', 'dense'] as const) {
      empty(cpu.linear(tensor('float32', [0, 4]), { kernel }).run(tensor('float32', [4, 2])), [0, 2], `linear N = 0, ${kernel}`);
      const k0 = cpu.linear(tensor('float32', [3, 0]), { kernel, bias: Float32Array.of(1, 2, 3) }).run(tensor('float32', [0, 2]));
      assert.deepEqual(Array.from(k0.data), [1, 1, 2, 2, 3, 3], `linear K = 0, ${kernel}`);
    }
    for (const kernel of ['dense', 'csr'] as const)
      empty(cpu.linear(tensor('float32', [3, 4], Float32Array.of(1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0)), { kernel }).run(tensor('float32', [4, 0])), [3, 0], `linear M = 0, ${kernel}`);
    const q = cpu.linear(tensor('int8', [0, 4], undefined, { scale: new Float32Array(0), axis: 0 }), { kernel: 'dense' });
    empty(q.run(tensor('uint8', [4, 2], undefined, { scale: 1 }), { output: 'float32' }), [0, 2], 'int8 linear N = 0');
  });
});
