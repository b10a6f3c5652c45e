/**
 * The defects the API fuzzer (test/fuzz/api/) found, each as the call that
 * showed it (seed 20261204 unless said), reduced: what must come out now.
 */
import assert from 'node:assert/strict';

import { cpu, packSparseWeights, packWeights, SparseMatrix, tensor } from '../../src/index.js';

/** A copy of `a` whose buffer was transferred away (as postMessage with transfer does): length 0. */
function detached<T extends Float32Array | Int32Array | Int8Array>(a: T): T {
  const copy = a.slice() as T;
  structuredClone(copy.buffer, { transfer: [copy.buffer] });
  return copy;
}

function int8Csr(): SparseMatrix<'int8'> {
  return SparseMatrix.fromDense(tensor('int8', [2, 8], Int8Array.from({ length: 16 }, (_, i) => i % 3), { scale: 0.5 }), { format: 'csr' });
}

describe('API fuzz regressions', () => {
  it('refuses a detached per-axis scale or zero point by name (was V8\'s "Cannot perform %TypedArray%.prototype.values on a detached ArrayBuffer")', () => {
    const x = { type: 'int8' as const, dims: [2, 3], data: new Int8Array(6), axis: 1 };
    assert.throws(() => cpu.dequantize({ ...x, scale: detached(Float32Array.of(1, 1, 1)) }), /^RangeError: x\.scale must have dims\[axis\] = 3 values, got 0/);
    assert.throws(() => cpu.dequantize({ ...x, scale: Float32Array.of(1, 1, 1), zeroPoint: detached(Int32Array.of(0, 0, 0)) }),
      /^RangeError: x\.zeroPoint must have dims\[axis\] = 3 values, got 0/);
  });

  it('runs empty weights whose detached buffer holds no values (call 17972: was "Cannot perform ... on a detached ArrayBuffer")', () => {
    const a = tensor('uint8', [4, 3], new Uint8Array(12).fill(7), { scale: 0.5, zeroPoint: 56 });
    const b = { type: 'int8' as const, dims: [3, 0], data: detached(new Int8Array(0)), scale: 0.25, zeroPoint: -88 };
    assert.deepEqual(cpu.qgemm(a, b).dims, [4, 0]);
    assert.deepEqual(cpu.packConvWeights({ type: 'int8', dims: [0, 1, 1, 1], data: detached(new Int8Array(0)), scale: 1 }).dims, [0, 1, 1, 1]);
    // Seed 5: an empty bias of no rows, detached ("Cannot perform %TypedArray%.prototype.values").
    const w = SparseMatrix.fromDense(tensor('float32', [0, 4]), { format: 'csr' });
    assert.deepEqual(cpu.planSpmmNhwc(w, { type: 'float32', dims: [3, 4] }, { bias: detached(new Float32Array(0)) }).dims, [3, 0]);
  });

  it('refuses a threshold of another type by name (was "Cannot convert a Symbol value to a string")', () => {
    for (const threshold of [Symbol('t'), Object.create(null), '0.5'])
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'csr', threshold } as never), /^TypeError: options\.threshold must be a number/);
  });

  it('keeps the fields of packed weights and sparse matrices read-only (a reassigned PackedWeights.source was "Cannot read properties of null")', () => {
    const packed = packWeights(tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4)));
    assert.throws(() => ((packed as unknown as { source: unknown }).source = null), TypeError);
    const w = int8Csr();
    for (const field of ['indptr', 'dims', 'quant', 'blockShape', 'format'])
      assert.throws(() => ((w as unknown as Record<string, unknown>)[field] = null), TypeError, field);
    assert.throws(() => ((w.dims as unknown as number[])[0] = 9), TypeError);
    const c = cpu.packConvWeights(tensor('float32', [1, 1, 1, 1], Float32Array.of(2)));
    assert.throws(() => ((c as unknown as { nativePlans: unknown }).nativePlans = null), TypeError);
  });

  it('refuses sparse weights whose indptr was changed in place, at once (calls 96263, 139144: qspmm looped over 2^31 entries)', () => {
    // 2^24 makes the old loops take seconds, not minutes: without the check these calls return instead of throwing.
    const x = tensor('uint8', [8, 2], new Uint8Array(16), { scale: 1 });
    const calls: [string, (w: SparseMatrix<'int8'>) => unknown][] = [
      ['w', (w) => cpu.qspmm(w, x)], ['w', (w) => packSparseWeights(w)], ['matrix', (w) => w.toDense()], ['weight', (w) => cpu.linear(w)],
    ];
    for (const [name, call] of calls) {
      const w = int8Csr();
      w.indptr[2] = 2 ** 24;
      assert.throws(() => call(w), new RegExp(`^RangeError: ${name}\\.indices must have indptr\\[rows\\] = ${2 ** 24} entries`));
    }
    const f = SparseMatrix.fromDense(tensor('float32', [2, 8], Float32Array.from({ length: 16 }, (_, i) => i % 3)), { format: 'csr' });
    f.indptr[1] = -5;
    assert.throws(() => cpu.spmm(f, tensor('float32', [8, 2])), /^RangeError: w\.indptr must not decrease/);
  });

  it('packs a snapshot of the weights\' shape: the caller changing its tensor\'s dims after packing changes nothing (was a [2, 9] result from [3, 4] weights)', () => {
    const b = tensor('float32', [3, 4], new Float32Array(12).fill(1));
    const packed = packWeights(b);
    (b.dims as number[])[1] = 9;
    (b as { dims: readonly number[] }).dims = [3, 2 ** 31 - 1];
    const c = cpu.gemm(tensor('float32', [2, 3], new Float32Array(6).fill(1)), packed);
    assert.deepEqual(c.dims, [2, 4]);
    assert.deepEqual(Array.from(c.data), new Array(8).fill(3));
    const dims: [number, number] = [2, 3];
    const m = SparseMatrix.fromCsr(dims, Int32Array.of(0, 1, 1), Int32Array.of(2), Float32Array.of(5));
    dims[0] = 9;
    assert.deepEqual(m.toDense().dims, [2, 3]);
  });
});
