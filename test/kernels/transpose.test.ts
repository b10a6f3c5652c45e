import assert from 'node:assert/strict';

import { cpu, tensor } from '../../src/index.js';
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

  it('rejects a non-2-D tensor, an unsupported type and a wrong out', () => {
    assert.throws(() => cpu.transpose(tensor('float32', [2, 2, 2])), /x\.dims/);
    assert.throws(() => cpu.transpose({ type: 'float64', dims: [1, 1], data: new Float64Array(1) } as never), TypeError);
    assert.throws(() => cpu.transpose(tensor('float32', [2, 3]), { out: new Float32Array(5) }), /options\.out/);
    assert.throws(() => cpu.transpose(tensor('float32', [2, 3]), { out: new Int32Array(6) }), /options\.out/);
  });
});
