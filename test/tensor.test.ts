/**
 * tensor() checks what it is given, and objects sparq hands out (packed
 * weights, layers, sparse matrices) are recognized as made by it: a fake
 * built from a prototype gets a TypeError naming the argument.
 */
import assert from 'node:assert/strict';

import { cpu, Linear, PackedSparseWeights, PackedWeights, SparseMatrix, tensor } from '../src/index.js';

function throwsNamed(fn: () => unknown, type: typeof TypeError | typeof RangeError, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, message);
    return true;
  });
}

describe('tensor()', () => {
  it('rejects an unknown type (it threw "TYPED_ARRAY_OF[type] is not a constructor")', () => {
    throwsNamed(() => tensor('nope' as never, [1]), RangeError, /^type must be one of 'float32', 'uint8', 'int8', 'int32', got "nope"$/);
    throwsNamed(() => tensor(1 as never, [1]), TypeError, /^type must be a string/);
  });

  it('rejects data that does not match the dims or the type (it accepted [2] with 7 elements)', () => {
    throwsNamed(() => tensor('float32', [2], new Float32Array(7)), RangeError, /^data has 7 elements but dims \[2\] need 2$/);
    throwsNamed(() => tensor('float32', [2], new Int32Array(2) as never), TypeError, /^data must be a Float32Array for type 'float32'$/);
    throwsNamed(() => tensor('uint8', [2], [1, 2] as never), TypeError, /^data must be a Uint8Array/);
  });

  it('rejects dims that are not non-negative integers up to 2^31 - 1 (it accepted [NaN])', () => {
    throwsNamed(() => tensor('float32', [NaN]), RangeError, /^dims\[0\] must be a non-negative integer <= 2\^31 - 1, got NaN$/);
    throwsNamed(() => tensor('float32', [2, -1]), RangeError, /^dims\[1\] must be a non-negative integer/);
    throwsNamed(() => tensor('float32', [1.5]), RangeError, /^dims\[0\] must be a non-negative integer/);
    throwsNamed(() => tensor('float32', [2 ** 31]), RangeError, /^dims\[0\] must be a non-negative integer <= 2\^31 - 1, got 2147483648$/);
    throwsNamed(() => tensor('float32', ['2'] as never), TypeError, /^dims\[0\] must be a number, got string$/);
    throwsNamed(() => tensor('float32', 4 as never), TypeError, /^dims must be an array of dimensions$/);
    throwsNamed(() => tensor('float32', [2 ** 17, 2 ** 17]), RangeError, /^dims \[131072, 131072\] span 17179869184 elements/);
    assert.deepEqual(tensor('float32', [0, 2 ** 31 - 1]).dims, [0, 2 ** 31 - 1]);
  });

  it('rejects quantization parameters out of range', () => {
    const q = (type: 'uint8' | 'int8' | 'int32' | 'float32', quant: object, dims = [2, 3]) => () => tensor(type, dims, undefined, quant as never);
    throwsNamed(q('uint8', { scale: 0 }), RangeError, /^quant\.scale must be a finite positive number, got 0$/);
    throwsNamed(q('uint8', { scale: NaN }), RangeError, /^quant\.scale must be a finite positive number/);
    throwsNamed(q('uint8', { scale: Infinity }), RangeError, /^quant\.scale must be a finite positive number/);
    throwsNamed(q('uint8', { scale: '1' }), TypeError, /^quant\.scale must be a number, or a typed array or array of numbers \(per axis\)$/);
    throwsNamed(q('uint8', { zeroPoint: 256 }), RangeError, /^quant\.zeroPoint must be an integer in \[0, 255\], got 256$/);
    throwsNamed(q('int8', { zeroPoint: -129 }), RangeError, /^quant\.zeroPoint must be an integer in \[-128, 127\]/);
    throwsNamed(q('int8', { zeroPoint: 0.5 }), RangeError, /^quant\.zeroPoint must be an integer/);
    throwsNamed(q('int32', { zeroPoint: 2 ** 31 }), RangeError, /^quant\.zeroPoint must be an integer in \[-2147483648, 2147483647\]/);
    throwsNamed(q('int8', { scale: 1, axis: 2 }), RangeError, /^quant\.axis must be an integer in \[-2, 1\], got 2$/);
    throwsNamed(q('int8', { scale: Float32Array.of(1, 1) }), TypeError, /^quant\.scale is per axis: the axis it runs along is required$/);
    throwsNamed(q('int8', { scale: Float32Array.of(1, 1), axis: 1 }), RangeError, /^quant\.scale must have dims\[axis\] = 3 values, got 2$/);
    throwsNamed(q('int8', { scale: Float32Array.of(1, 0, 1), axis: -1 }), RangeError, /^quant\.scale\[1\] must be a finite positive number, got 0$/);
    throwsNamed(q('uint8', { scale: [1, 1], zeroPoint: Int32Array.of(0, 300), axis: 0 }), RangeError, /^quant\.zeroPoint\[1\] must be an integer in \[0, 255\], got 300$/);
    throwsNamed(q('uint8', 5 as never), TypeError, /^quant must be an object$/);
  });

  it('accepts every valid form of quantization parameters', () => {
    const t = tensor('int8', [2, 3], undefined, { scale: Float32Array.of(0.5, 1, 2), zeroPoint: Int32Array.of(-1, 0, 1), axis: 1 });
    assert.equal(t.axis, 1);
    assert.equal(tensor('uint8', [4], undefined, { scale: 0.1, zeroPoint: 255 }).zeroPoint, 255);
    assert.equal(tensor('int32', [2, 2], undefined, { scale: [1, 2] as never, axis: 0 }).axis, 0);
    assert.equal(tensor('int8', [2, 2], undefined, { scale: 1, axis: -2 }).axis, -2);
  });
});

describe('handles sparq made', () => {
  const x = tensor('float32', [2, 2]);
  it('packed weights (it threw "Cannot read properties of undefined")', () => {
    const fake = Object.create(PackedWeights.prototype);
    throwsNamed(() => cpu.gemm(x, fake), TypeError, /^b must be a PackedWeights made by packWeights\(\)$/);
    throwsNamed(() => cpu.qgemm(tensor('uint8', [2, 2]), fake), TypeError, /^b must be a PackedWeights made by packWeights\(\)$/);
  });

  it('packed sparse weights, sparse matrices, conv weights and layers', () => {
    const qx = tensor('uint8', [2, 2]);
    throwsNamed(() => cpu.qspmm(Object.create(PackedSparseWeights.prototype), qx), TypeError, /^w must be a PackedSparseWeights made by packSparseWeights\(\)$/);
    const fakeSparse = Object.assign(Object.create(SparseMatrix.prototype), { type: 'float32', format: 'csr', dims: [2, 2] });
    throwsNamed(() => cpu.spmm(fakeSparse, x), TypeError, /^w must be a SparseMatrix made by SparseMatrix\.fromDense\(\), SparseMatrix\.fromCsr\(\) or new SparseMatrix\(\)$/);
    throwsNamed(() => cpu.packSparseWeights(fakeSparse), TypeError, /^w must be a SparseMatrix made by/);
    throwsNamed(() => cpu.linear(fakeSparse), TypeError, /^weight must be a SparseMatrix made by/);
    const conv = Object.create(Object.getPrototypeOf(cpu.packConvWeights(tensor('float32', [1, 1, 1, 1]))));
    throwsNamed(() => cpu.conv2d(tensor('float32', [1, 1, 2, 2]), conv), TypeError, /^w must be a ConvWeights made by packConvWeights\(\)$/);
    const layer = Object.create(Linear.prototype) as Linear;
    throwsNamed(() => layer.run(x), TypeError, /^this must be a Linear made by linear\(\)$/);
  });

  it('an object made as one kind is not accepted as another', () => {
    const packed = cpu.packWeights(tensor('float32', [2, 2]));
    Object.setPrototypeOf(packed, PackedSparseWeights.prototype);
    throwsNamed(() => cpu.qspmm(packed as never, tensor('uint8', [2, 2])), TypeError, /^w must be a PackedSparseWeights made by/);
  });
});

describe('linear names its input x', () => {
  it('in the errors of the dense int8 path (it said a)', () => {
    const layer = cpu.linear(tensor('int8', [3, 2], Int8Array.of(1, 2, 3, 4, 5, 6), { scale: 1 }), { kernel: 'dense' });
    throwsNamed(() => layer.run(tensor('uint8', [2, 4]), { output: 'float32' }), TypeError, /^x\.scale is required for 'float32' output$/);
    throwsNamed(() => layer.run({ ...tensor('uint8', [2, 4]), zeroPoint: 256 }), RangeError, /^x\.zeroPoint must be an integer in \[0, 255\]/);
    throwsNamed(() => layer.run(tensor('uint8', [2, 4], undefined, { scale: [1, 1] as never, axis: 0 })), TypeError, /^x\.axis must be undefined/);
  });
});
