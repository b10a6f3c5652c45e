import assert from 'node:assert/strict';

import { NpyError, readNpy } from '../../src/io/npy.js';
import { npyBytes } from '../fixtures/npy.js';

const fails = (bytes: Uint8Array, message: RegExp) => assert.throws(() => readNpy(bytes, 'x.npy'), (e: Error) => {
  assert.ok(e instanceof NpyError, String(e));
  assert.match(e.message, /^x\.npy: /);
  assert.match(e.message, message);
  return true;
});

describe('io: readNpy', () => {
  const cases = [
    { descr: '<f4', dtype: 'float32', data: Float32Array.of(1.5, -2, 3.25, 0, -0, 7) },
    { descr: '<f8', dtype: 'float64', data: Float64Array.of(1e-300, -2, 3.25, 1 / 3, Infinity, 7) },
    { descr: '|i1', dtype: 'int8', data: Int8Array.of(-128, -1, 0, 1, 2, 127) },
    { descr: '|u1', dtype: 'uint8', data: Uint8Array.of(0, 1, 2, 128, 254, 255) },
    { descr: '<i4', dtype: 'int32', data: Int32Array.of(-(2 ** 31), -1, 0, 1, 2, 2 ** 31 - 1) },
    { descr: '<i8', dtype: 'int64', data: BigInt64Array.of(-(2n ** 63n), -1n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n) },
  ] as const;
  for (const { descr, dtype, data } of cases) {
    it(`reads ${descr} as ${dtype}, format 1 and 2, aligned and not`, () => {
      for (const version of [1, 2] as const) {
        for (const align of [64, 1]) {
          const array = readNpy(npyBytes({ descr, shape: [2, 3], data, version, align }), 'x.npy');
          assert.equal(array.dtype, dtype);
          assert.deepEqual(array.dims, [2, 3]);
          assert.deepEqual(array.data, data);
        }
      }
    });
  }

  it('reads 1-d, 0-d (one value) and empty shapes, and a header with its keys in another order', () => {
    assert.deepEqual(readNpy(npyBytes({ descr: '<f4', shape: [3], data: Float32Array.of(1, 2, 3) }), 'x.npy').dims, [3]);
    const scalar = readNpy(npyBytes({ descr: '<f4', shape: [], data: Float32Array.of(5) }), 'x.npy');
    assert.deepEqual([scalar.dims, Array.from(scalar.data as Float32Array)], [[], [5]]);
    assert.deepEqual(readNpy(npyBytes({ descr: '<i4', shape: [0, 4], data: new Int32Array(0) }), 'x.npy').data, new Int32Array(0));
    const bytes = npyBytes({ descr: '<f4', shape: [2], data: Float32Array.of(1, 2) });
    const header = "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}";
    const reordered = Buffer.from(bytes).toString('latin1').replace(/\{[^}]*\}/, (dict) => header.padEnd(dict.length));
    assert.deepEqual(readNpy(Buffer.from(reordered, 'latin1'), 'x.npy').data, Float32Array.of(1, 2));
  });

  it('names the file and the problem: magic, version, truncation, order, dtype, header, trailing bytes', () => {
    const good = npyBytes({ descr: '<f4', shape: [2, 3], data: new Float32Array(6) });
    fails(Buffer.from('PK\x03\x04 not numpy at all'), /not a \.npy file/);
    fails(good.subarray(0, 4), /not a \.npy file/);
    fails(npyBytes({ descr: '<f4', shape: [2], data: new Float32Array(2), version: 3 }), /format version 3\.0 is not supported/);
    fails(good.subarray(0, 7), /truncated in the header/);
    fails(good.subarray(0, 9), /truncated in the header/);
    fails(good.subarray(0, 40), /truncated in the header/);
    fails(good.subarray(0, good.length - 1), /truncated: shape \(2,3\) of float32 needs 24 data bytes, the file has 23/);
    fails(Uint8Array.from([...good, 0]), /has 1 bytes after the data/);
    fails(npyBytes({ descr: '<f4', shape: [2, 3], data: new Float32Array(6), fortranOrder: true }), /Fortran order/);
    fails(npyBytes({ descr: '>f4', shape: [2], data: new Float32Array(2) }), /dtype '>f4' is not supported/);
    fails(npyBytes({ descr: '<f2', shape: [2], data: new Uint16Array(2) }), /dtype '<f2' is not supported/);
    fails(npyBytes({ descr: '<U3', shape: [1], data: new Uint32Array(3) }), /dtype '<U3' is not supported/);
    const broken = Buffer.from(good).toString('latin1').replace("'shape'", "'shope'");
    fails(Buffer.from(broken, 'latin1'), /header is not a NumPy header dict/);
    const symbolic = Buffer.from(good).toString('latin1').replace('(2, 3)', '(2, n)');
    fails(Buffer.from(symbolic, 'latin1'), /shape \(2, n\) is not a tuple of integers/);
  });
});
