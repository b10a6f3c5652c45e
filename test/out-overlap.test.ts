/**
 * options.out sharing memory with an input (the same array, overlapping
 * views of one buffer, SharedArrayBuffer too) is a RangeError naming out:
 * kernels that write while they read gave wrong results. Views of one buffer
 * that do not overlap stay fine.
 */
import assert from 'node:assert/strict';

import { cpu, SparseMatrix, tensor, type Tensor } from '../src/index.js';
import { planConv2d } from '../src/backends/cpu/conv2d.js';
import { planQGemm } from '../src/backends/cpu/qgemm.js';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

function rejectsOut(call: () => unknown, input: string, name = 'options\\.out'): void {
  assert.throws(call, (e: unknown) => {
    assert.ok(e instanceof RangeError, String(e));
    assert.match(e.message, new RegExp(`^${name} must not overlap ${input.replace(/\./g, '\\.')}: they share bytes of one buffer$`));
    return true;
  });
}

describe('out overlapping an input', () => {
  it('transpose into its own input (it returned 1,4,7,4,5,8,7,8,9)', () => {
    const x = tensor('float32', [3, 3], iota(9));
    rejectsOut(() => cpu.transpose(x, { out: x.data }), 'x.data');
    assert.deepEqual(Array.from(x.data), Array.from(iota(9)), 'x untouched');
  });

  it('overlapping and disjoint views of one ArrayBuffer or SharedArrayBuffer', () => {
    for (const Buffer of [ArrayBuffer, SharedArrayBuffer]) {
      const all = new Float32Array(new Buffer(18 * 4));
      const x = tensor('float32', [3, 3], all.subarray(0, 9));
      x.data.set(iota(9));
      rejectsOut(() => cpu.transpose(x, { out: all.subarray(8, 17) }), 'x.data');
      const y = cpu.transpose(x, { out: all.subarray(9, 18) });
      assert.deepEqual(Array.from(y.data), [1, 4, 7, 2, 5, 8, 3, 6, 9], Buffer.name);
      // Another array type over the same bytes overlaps too.
      rejectsOut(() => cpu.quantize(tensor('float32', [4], all.subarray(0, 4)), { type: 'uint8', scale: 1, out: new Uint8Array(all.buffer, 12, 4) }), 'x.data');
    }
  });

  it('every CPU op with out checks every array it reads', () => {
    const f = (dims: number[]) => tensor('float32', dims, iota(dims.reduce((a, b) => a * b, 1)));
    const a = f([3, 3]), b = f([3, 3]), bias = iota(3);
    rejectsOut(() => cpu.gemm(a, b, { out: a.data }), 'a.data');
    rejectsOut(() => cpu.gemm(a, b, { out: b.data }), 'b');
    rejectsOut(() => cpu.gemm(a, cpu.packWeights(b), { out: b.data }), 'b');
    const wide = new Float32Array(9);
    rejectsOut(() => cpu.gemm(a, b, { bias: wide.subarray(0, 3), out: wide }), 'options.bias');

    const qa = tensor('uint8', [3, 3], Uint8Array.from(iota(9)), { scale: 1 });
    const qb = tensor('int8', [3, 3], Int8Array.from(iota(9)), { scale: 1 });
    rejectsOut(() => cpu.qgemm(qa, qb, { output: 'uint8', outScale: 1, out: qa.data }), 'a.data');
    rejectsOut(() => cpu.qgemm(qa, qb, { output: 'int8', outScale: 1, out: qb.data }), 'b');
    const qbias = new Int32Array(9);
    rejectsOut(() => cpu.qgemm(qa, qb, { bias: qbias.subarray(6), out: qbias }), 'options.bias');

    const x4 = f([1, 1, 3, 3]);
    rejectsOut(() => cpu.maxPool(x4, { kernelShape: [1, 1], out: x4.data }), 'x.data');
    rejectsOut(() => cpu.im2col(x4, { kernelShape: [1, 1], out: x4.data }), 'x.data');
    const conv = cpu.packConvWeights(f([1, 1, 1, 1]));
    rejectsOut(() => cpu.conv2d(x4, conv, { out: x4.data }), 'x.data');
    const w4 = f([1, 1, 1, 1]);
    rejectsOut(() => cpu.conv2d(tensor('float32', [1, 1, 1, 1]), cpu.packConvWeights(w4), { out: w4.data }), 'w');

    const acc = tensor('int32', [4], Int32Array.of(1, 2, 3, 4), { scale: 1 });
    rejectsOut(() => cpu.requantize(acc, { type: 'float32', out: new Float32Array(acc.data.buffer) }), 'acc.data');
    const q = tensor('uint8', [4], Uint8Array.of(1, 2, 3, 4), { scale: 1 });
    const both = new Float32Array(4);
    rejectsOut(() => cpu.dequantize({ ...q, data: new Uint8Array(both.buffer, 4, 4) }, { out: both }), 'x.data');

    const w = SparseMatrix.fromDense(f([3, 3]), { format: 'csr' });
    rejectsOut(() => cpu.spmm(w, a, { out: a.data }), 'x.data');
    rejectsOut(() => cpu.spmm(w, a, { out: w.values as Float32Array }), 'w.values');
    const qw = SparseMatrix.fromDense(tensor('int8', [3, 3], Int8Array.from(iota(9)), { scale: 1 }), { format: 'csr' });
    rejectsOut(() => cpu.qspmm(qw, qa, { output: 'uint8', outScale: 1, out: qa.data }), 'x.data');
    rejectsOut(() => cpu.qspmm(cpu.packSparseWeights(qw), qa, { output: 'int8', outScale: 1, out: qw.values as Int8Array }), 'w.values');
  });

  it('linear, on every kernel it picks', async () => {
    const x = tensor('float32', [3, 3], iota(9));
    for (const kernel of ['dense', 'csr'] as const) {
      const layer = cpu.linear(tensor('float32', [3, 3], iota(9)), { kernel });
      rejectsOut(() => layer.run(x, { out: x.data }), 'x.data');
      await assert.rejects(layer.runAsync(x, { out: x.data }), /^RangeError: options\.out must not overlap x\.data/);
    }
    const qx = tensor('uint8', [3, 3], Uint8Array.from(iota(9)), { scale: 1 });
    const q = cpu.linear(tensor('int8', [3, 3], Int8Array.from(iota(9)), { scale: 1 }), { kernel: 'dense' });
    rejectsOut(() => q.run(qx, { output: 'uint8', outScale: 1, out: qx.data }), 'x.data');
  });

  it('planned runs check their output array against the input and weights', () => {
    const plan = planQGemm({ type: 'uint8', dims: [3, 3], scale: 1 }, tensor('int8', [3, 3], Int8Array.from(iota(9)), { scale: 1 }), { output: 'uint8', outScale: 1 });
    const a = Uint8Array.from(iota(9));
    rejectsOut(() => plan.run(a, a), 'a', 'out');
    const convPlan = planConv2d({ type: 'float32', dims: [1, 1, 3, 3] }, cpu.packConvWeights(tensor('float32', [1, 1, 1, 1], Float32Array.of(2))));
    const x = iota(9);
    rejectsOut(() => convPlan.run(x, x), 'x', 'y');
    const y = new Float32Array(9);
    convPlan.run(x, y);
    assert.deepEqual(Array.from(y), Array.from(x, (v) => 2 * v));
  });

  it('async calls reject the same way', async () => {
    const x: Tensor<'float32'> = tensor('float32', [3, 3], iota(9));
    await assert.rejects(cpu.transposeAsync(x, { out: x.data }), /^RangeError: options\.out must not overlap x\.data/);
    await assert.rejects(cpu.gemmAsync(x, x, { out: x.data }), /^RangeError: options\.out must not overlap a\.data/);
  });
});
