/** JSON and raw-byte tensors <-> Values: every type, both nestings, and every malformed tensor refused with a message naming it. */
import assert from 'node:assert/strict';

import { value } from '../../src/runtime/value.js';
import {
  MAX_RANK,
  bytesToValue,
  checkShape,
  jsonToValue,
  nestedToValue,
  valueToBytes,
  valueToJson,
  valueToNested,
} from '../../src/serve/protocol/json-tensor.js';
import { assertBadRequest } from './protocol-specs.js';

/** `levels` lists around 1, built in a loop (a recursive builder would overflow first). */
function deeplyNested(levels: number): unknown {
  let data: unknown = 1;
  for (let i = 0; i < levels; i++) data = [data];
  return data;
}

describe('serve protocol: JSON tensors', () => {
  describe('jsonToValue (shape stated by the request)', () => {
    it('takes flat and nested row-major data alike', () => {
      const flat = jsonToValue('input "x"', 'float32', [2, 3], [1, 2, 3, 4, 5, 6.5]);
      const nested = jsonToValue('input "x"', 'float32', [2, 3], [[1, 2, 3], [4, 5, 6.5]]);
      assert.deepEqual(flat, { type: 'float32', dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) });
      assert.deepEqual(nested, flat);
    });
    it('converts to each integer type and to bool', () => {
      assert.deepEqual(jsonToValue('t', 'uint8', [2], [0, 255]).data, Uint8Array.of(0, 255));
      assert.deepEqual(jsonToValue('t', 'int8', [2], [-128, 127]).data, Int8Array.of(-128, 127));
      assert.deepEqual(jsonToValue('t', 'int32', [2], [-(2 ** 31), 2 ** 31 - 1]).data, Int32Array.of(-(2 ** 31), 2 ** 31 - 1));
      assert.deepEqual(jsonToValue('t', 'int64', [2], [-(2 ** 53 - 1), 2 ** 53 - 1]).data, BigInt64Array.of(-(2n ** 53n - 1n), 2n ** 53n - 1n));
      assert.deepEqual(jsonToValue('t', 'bool', [4], [true, false, 1, 0]).data, Uint8Array.of(1, 0, 1, 0));
    });
    it('takes scalars and empty tensors', () => {
      assert.deepEqual(jsonToValue('t', 'int32', [], 7), value('int32', [], Int32Array.of(7)));
      assert.deepEqual(jsonToValue('t', 'int32', [], [7]), value('int32', [], Int32Array.of(7)));
      assert.deepEqual(jsonToValue('t', 'float32', [2, 0], []), value('float32', [2, 0]));
      assert.deepEqual(jsonToValue('t', 'float32', [2, 0], [[], []]), value('float32', [2, 0]));
    });
    it('refuses a wrong count, a nesting unlike the shape and ragged lists', () => {
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2, 3], [1, 2, 3, 4, 5]), /^input "x": data holds 5 values but shape \[2,3\] needs 6$/);
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2, 3], [[1, 2], [3, 4], [5, 6]]), /^input "x": data nested as \[3,2\] does not match shape \[2,3\]$/);
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2, 2], [[1, 2], [3]]), /^input "x": data is ragged: data\[1\] holds 1 entries, expected 2 as \[2,2\]$/);
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2, 2], [[1, 2], 3]), /data\[1\] is not a list, expected 2 entries as \[2,2\]$/);
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2, 1], [[1], [[2]]]), /data\[1\]\[0\] is a list, expected a value at depth 2/);
    });
    it('refuses non-numbers, non-integers and values out of range, naming the element', () => {
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2], [1, 'two']), /^input "x": element 1 \("two"\) is not a number \(float32\)$/);
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [2], [1, [2]]), /element 1 \(\[2\]\) is not a number/);
      assertBadRequest(() => jsonToValue('input "x"', 'int32', [2], [1, 2.5]), /element 1 \(2\.5\) must be an integer \(int32\)/);
      assertBadRequest(() => jsonToValue('input "x"', 'uint8', [2], [0, 256]), /element 1 \(256\) is out of range for uint8 \[0, 255\]/);
      assertBadRequest(() => jsonToValue('input "x"', 'uint8', [1], [-1]), /element 0 \(-1\) is out of range for uint8/);
      assertBadRequest(() => jsonToValue('input "x"', 'int8', [1], [128]), /out of range for int8 \[-128, 127\]/);
      assertBadRequest(() => jsonToValue('input "x"', 'int32', [1], [2 ** 31]), /out of range for int32/);
      assertBadRequest(() => jsonToValue('input "x"', 'int64', [1], [2 ** 53]), /out of range for int64 \[-9007199254740991, 9007199254740991\]/);
      assertBadRequest(() => jsonToValue('input "x"', 'bool', [2], [true, 2]), /element 1 \(2\) must be true, false, 0 or 1/);
      assertBadRequest(() => jsonToValue('input "x"', 'bool', [1], ['true']), /must be true, false, 0 or 1/);
    });
    it('refuses nesting deeper than MAX_RANK without overflowing the stack', () => {
      assertBadRequest(() => jsonToValue('input "x"', 'float32', [1], deeplyNested(1_000_000)), new RegExp(`data nests deeper than ${MAX_RANK} levels`));
    });
  });

  describe('checkShape', () => {
    it('takes non-negative integers', () => {
      assert.deepEqual(checkShape('t', [0, 3, 1]), [0, 3, 1]);
    });
    it('refuses other shapes and sizes past 2^32 - 1 elements', () => {
      assertBadRequest(() => checkShape('input "x"', [2, -1]), /^input "x": shape must be a list of non-negative integers, got \[2,-1\]$/);
      assertBadRequest(() => checkShape('input "x"', [1.5]), /non-negative integers/);
      assertBadRequest(() => checkShape('input "x"', '[2]'), /non-negative integers/);
      assertBadRequest(() => checkShape('input "x"', [65536, 65536]), /^input "x": shape \[65536,65536\] holds more than 2\^32 - 1 elements$/);
      assertBadRequest(() => checkShape('input "x"', new Array(MAX_RANK + 1).fill(1)), /33 dimensions, more than 32/);
    });
  });

  describe('nestedToValue (shape from the nesting)', () => {
    it('reads the shape off the lists', () => {
      assert.deepEqual(nestedToValue('t', 'int32', [[[1], [2]], [[3], [4]]]), value('int32', [2, 2, 1], Int32Array.of(1, 2, 3, 4)));
      assert.deepEqual(nestedToValue('t', 'float32', 2.5), value('float32', [], Float32Array.of(2.5)));
      assert.deepEqual(nestedToValue('t', 'float32', []), value('float32', [0]));
    });
    it('refuses ragged lists and deep nesting', () => {
      assertBadRequest(() => nestedToValue('input "x"', 'float32', [[1, 2], [3, 4, 5]]), /^input "x": data is ragged: data\[1\] holds 3 entries, expected 2 as \[2,2\]$/);
      assertBadRequest(() => nestedToValue('input "x"', 'float32', [[], [1]]), /data\[1\] holds 1 entries, expected 0/);
      assertBadRequest(() => nestedToValue('input "x"', 'float32', deeplyNested(100_000)), /data nests deeper than 32 levels/);
    });
  });

  describe('bytes', () => {
    it('round-trips every type through its little-endian bytes', () => {
      const values = [
        value('float32', [2], Float32Array.of(1.5, -2)),
        value('uint8', [3], Uint8Array.of(0, 7, 255)),
        value('int8', [2], Int8Array.of(-128, 127)),
        value('int32', [1, 2], Int32Array.of(-5, 2 ** 30)),
        value('int64', [2], BigInt64Array.of(-(2n ** 62n), 3n)),
        value('bool', [2], Uint8Array.of(1, 0)),
      ];
      for (const v of values) assert.deepEqual(bytesToValue('t', v.type, v.dims, valueToBytes(v)), v);
    });
    it('reads bytes at any offset of the body', () => {
      const body = Buffer.concat([Buffer.from([9]), valueToBytes(value('float32', [1], Float32Array.of(3.25)))]);
      assert.deepEqual(bytesToValue('t', 'float32', [1], body.subarray(1)).data, Float32Array.of(3.25));
    });
    it('refuses a byte count unlike the shape and bools other than 0 and 1', () => {
      assertBadRequest(() => bytesToValue('input "x"', 'int32', [2], Buffer.alloc(7)), /^input "x": 7 bytes of binary data, but shape \[2\] of int32 needs 8$/);
      assertBadRequest(() => bytesToValue('input "x"', 'bool', [2], Buffer.from([1, 2])), /^input "x": bool element 1 is 2, must be 0 or 1$/);
    });
  });

  describe('to JSON', () => {
    it('gives flat values, true/false for bool and numbers for int64', () => {
      assert.deepEqual(valueToJson('t', value('float32', [2], Float32Array.of(0.5, 2))), [0.5, 2]);
      assert.deepEqual(valueToJson('t', value('bool', [2], Uint8Array.of(1, 0))), [true, false]);
      assert.deepEqual(valueToJson('t', value('int64', [2], BigInt64Array.of(-3n, 2n ** 53n - 1n))), [-3, 2 ** 53 - 1]);
    });
    it('refuses int64 values JSON numbers cannot hold exactly', () => {
      assert.throws(() => valueToJson('output "y"', value('int64', [2], BigInt64Array.of(1n, 2n ** 53n))), {
        name: 'RangeError',
        message: 'output "y" element 1 is 9007199254740992, beyond the integers a JSON number holds exactly (2^53 - 1)',
      });
    });
    it('nests row-major as the dims, a scalar for rank 0', () => {
      assert.deepEqual(valueToNested('t', value('int32', [2, 1, 2], Int32Array.of(1, 2, 3, 4))), [[[1, 2]], [[3, 4]]]);
      assert.deepEqual(valueToNested('t', value('float32', [], Float32Array.of(4))), 4);
      assert.deepEqual(valueToNested('t', value('float32', [2, 0])), [[], []]);
    });
    it('round-trips through nestedToValue', () => {
      const v = value('int8', [2, 3], Int8Array.of(1, -2, 3, -4, 5, -6));
      assert.deepEqual(nestedToValue('t', 'int8', valueToNested('t', v)), v);
    });
  });
});
