import assert from 'node:assert/strict';

import { cpu, tensor } from '../../src/index.js';
import { planTranspose } from '../../src/backends/cpu/transpose.js';
import { native } from '../../src/native.js';
import { assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

function naive(x: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = new Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

describe('x32-transpose', () => {
  for (const variant of nativeVariants('x32-transpose'))
    it(`${variant}: transposes every element type over odd, tile-sized and 2- or 3-row shapes`, () => {
      const r = rng(61);
      for (const [rows, cols] of [[0, 5], [1, 1], [1, 37], [37, 1], [2, 19], [3, 50], [17, 33], [64, 64], [300, 129], [1024, 64]]) {
        const n = rows * cols;
        for (const x of [
          tensor('float32', [rows, cols], randomFloats(n, r)),
          tensor('int32', [rows, cols], randomInts(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r)),
          tensor('uint8', [rows, cols], randomInts(Uint8Array, n, 0, 255, r)),
          tensor('int8', [rows, cols], randomInts(Int8Array, n, -128, 127, r)),
        ]) {
          const y = cpu.transpose(x, { variant });
          assert.deepEqual(y.dims, [cols, rows]);
          assert.equal(y.type, x.type);
          assertSameArray(y.data, naive(x.data, rows, cols), `${x.type} ${rows}x${cols}`);
        }
      }
    });

  it('writes into out, runs async, and moves per-axis quantization to the other axis', async () => {
    const x = tensor('uint8', [3, 2], Uint8Array.from([1, 2, 3, 4, 5, 6]), { scale: Float32Array.from([0.5, 0.25]), zeroPoint: Int32Array.from([1, 2]), axis: 1 });
    const out = new Uint8Array(6);
    const y = await cpu.transposeAsync(x, { out });
    assert.equal(y.data, out);
    assert.deepEqual([...out], [1, 3, 5, 2, 4, 6]);
    assert.equal(y.axis, 0);
    assert.equal(cpu.transpose(tensor('int8', [2, 2], undefined, { scale: 1, axis: -2 })).axis, 1);
  });

  for (const variant of nativeVariants('x32-transpose'))
    it(`${variant}: planTranspose transposes each matrix of a batch, every element type, run after run`, () => {
      const r = rng(62);
      for (const [batches, rows, cols] of [[1, 3, 1024], [2, 16, 64], [3, 7, 5], [2, 1, 9]]) {
        const n = batches * rows * cols;
        for (const make of [() => randomFloats(n, r), () => randomInts(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r), () => randomInts(Uint8Array, n, 0, 255, r), () => randomInts(Int8Array, n, -128, 127, r)]) {
          const first = make();
          const type = first instanceof Float32Array ? 'float32' : first instanceof Int32Array ? 'int32' : first instanceof Uint8Array ? 'uint8' : 'int8';
          const plan = planTranspose({ type, dims: [batches, rows, cols] }, { variant });
          for (const x of [first, make()]) {
            const y = new (x.constructor as new (n: number) => typeof x)(n);
            plan.run(x as never, y as never);
            const want = Array.from({ length: batches }, (_, b) => naive(x.subarray(b * rows * cols, (b + 1) * rows * cols), rows, cols)).flat();
            assertSameArray(y, want, `${type} ${batches}x${rows}x${cols}`);
          }
        }
      }
    });

  it('planTranspose checks its shape once and its arrays on every run; the binding re-checks them', () => {
    assert.throws(() => planTranspose({ type: 'float32', dims: [2, 2, 2, 2] }), /^RangeError: x\.dims must be \[rows, cols\] or \[batches, rows, cols\]/);
    assert.throws(() => planTranspose({ type: 'float64' as never, dims: [2, 2] }), /^TypeError: x must be a tensor of type/);
    const plan = planTranspose({ type: 'float32', dims: [2, 3] });
    assert.throws(() => plan.run(new Float32Array(6), new Float32Array(5)), /^RangeError: y must be a Float32Array of 6 values, as planned/);
    assert.throws(() => plan.run(new Int32Array(6) as never, new Float32Array(6)), /^RangeError: x must be a Float32Array of 6 values, as planned/);
    const shared = new Float32Array(8);
    assert.throws(() => plan.run(shared.subarray(0, 6), shared.subarray(2, 8)), /^RangeError: y /);
    const addon = native();
    if (!addon) return;
    assert.throws(() => addon.planTranspose({ variant: null, type: 'float64' as never, rows: 2, cols: 3, batches: 1 }), /^TypeError: type must be 'float32', 'int32', 'uint8' or 'int8'/);
    const handle = addon.planTranspose({ variant: null, type: 'uint8', rows: 2, cols: 3, batches: 2 });
    assert.throws(() => addon.runPlan(handle, new Uint8Array(11), new Uint8Array(12)), /^RangeError: x has 11 elements, the plan needs 12/);
    assert.throws(() => addon.runPlan(handle, new Uint8Array(12), new Int8Array(12)), /^TypeError: y must be a Uint8Array/);
  });

  it('rejects a non-2-D tensor, an unsupported type and a wrong out', () => {
    assert.throws(() => cpu.transpose(tensor('float32', [2, 2, 2])), /x\.dims/);
    assert.throws(() => cpu.transpose({ type: 'float64', dims: [1, 1], data: new Float64Array(1) } as never), TypeError);
    assert.throws(() => cpu.transpose(tensor('float32', [2, 3]), { out: new Float32Array(5) }), /options\.out/);
    assert.throws(() => cpu.transpose(tensor('float32', [2, 3]), { out: new Int32Array(6) }), /options\.out/);
  });
});
