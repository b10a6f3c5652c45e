/**
 * Tensors as the REST protocols carry them: JSON numbers (flat, or nested
 * row-major lists) and raw little-endian bytes, to and from runtime Values.
 * Every malformed tensor is a RequestError naming it (`what`).
 */
import type { Value, ValueType } from '../../runtime/onnx/model.js';
import { VALUE_ARRAYS, value, type ValueArrays } from '../../runtime/value.js';
import { sizeOf } from '../../tensor.js';
import { MAX_ELEMENTS } from '../../validate.js';
import { RequestError } from '../model-spec.js';

/**
 * Deeper nesting is refused before it is walked: no ONNX model sparq runs
 * has a rank near it, and the walk recurses once per level.
 */
export const MAX_RANK = 32;

/** A nested JSON list (or a scalar) with the shape its nesting gives, as a Value of `type`. */
export function nestedToValue(what: string, type: ValueType, data: unknown): Value {
  const dims = nestedShape(what, data);
  return valueOf(what, type, dims, flatten(what, data, dims));
}

/** JSON data of a tensor whose shape the request states: flat, or nested exactly as `dims`. */
export function jsonToValue(what: string, type: ValueType, dims: readonly number[], data: unknown): Value {
  checkSize(what, dims);
  const nested = nestedShape(what, data);
  if (nested.length === 1 && !Array.isArray((data as unknown[])[0])) {
    if (nested[0] !== sizeOf(dims)) throw new RequestError(`${what}: data holds ${nested[0]} values but shape [${dims}] needs ${sizeOf(dims)}`);
    return valueOf(what, type, dims, data as unknown[]);
  }
  if (nested.length !== dims.length || nested.some((d, i) => d !== dims[i]))
    throw new RequestError(`${what}: data nested as [${nested}] does not match shape [${dims}]`);
  return valueOf(what, type, dims, flatten(what, data, dims));
}

/** The tensor's raw little-endian bytes (the hosts Node runs on are little-endian), which must be exactly its size. */
export function bytesToValue(what: string, type: ValueType, dims: readonly number[], bytes: Uint8Array): Value {
  checkSize(what, dims);
  const Typed = VALUE_ARRAYS[type];
  const expected = sizeOf(dims) * Typed.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== expected)
    throw new RequestError(`${what}: ${bytes.byteLength} bytes of binary data, but shape [${dims}] of ${type} needs ${expected}`);
  // A copy into a buffer of its own: the body's bytes may sit at an offset the typed array cannot be aligned on.
  const data = new Typed(new Uint8Array(bytes).buffer) as ValueArrays[typeof type];
  if (type === 'bool') {
    const bad = data.findIndex((b: number | bigint) => b !== 0 && b !== 1);
    if (bad >= 0) throw new RequestError(`${what}: bool element ${bad} is ${data[bad]}, must be 0 or 1`);
  }
  return value(type, dims, data);
}

/** The tensor's raw bytes, no copy. */
export function valueToBytes(v: Value): Buffer {
  return Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
}

/** The tensor's elements as JSON values, flat: numbers, or true/false for bool. */
export function valueToJson(what: string, v: Value): number[] | boolean[] {
  if (v.type === 'bool') return Array.from(v.data as Uint8Array, (b) => b !== 0);
  if (v.type !== 'int64') return Array.from(v.data as Exclude<Value['data'], BigInt64Array>);
  return Array.from(v.data as BigInt64Array, (b, i) => {
    const n = Number(b);
    if (!Number.isSafeInteger(n)) throw new RangeError(`${what} element ${i} is ${b}, beyond the integers a JSON number holds exactly (2^53 - 1)`);
    return n;
  });
}

/** The tensor's elements as JSON values nested row-major as its dims (a scalar for rank 0). */
export function valueToNested(what: string, v: Value): unknown {
  return nest(valueToJson(what, v), v.dims, 0, 0);
}

function nest(flat: readonly unknown[], dims: readonly number[], axis: number, offset: number): unknown {
  if (axis === dims.length) return flat[offset];
  const stride = sizeOf(dims.slice(axis + 1));
  return Array.from({ length: dims[axis] }, (_, i) => nest(flat, dims, axis + 1, offset + i * stride));
}

/** A shape the request states: non-negative integers, spanning at most MAX_ELEMENTS. */
export function checkShape(what: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new RequestError(`${what}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  if (shape.length > MAX_RANK) throw new RequestError(`${what}: shape has ${shape.length} dimensions, more than ${MAX_RANK}`);
  checkSize(what, shape);
  return shape;
}

function checkSize(what: string, dims: readonly number[]): void {
  if (sizeOf(dims) > MAX_ELEMENTS) throw new RequestError(`${what}: shape [${dims}] holds more than 2^32 - 1 elements`);
}

/** The shape the nesting gives, read down the first elements (a loop: nesting depth costs no stack). */
function nestedShape(what: string, data: unknown): number[] {
  const dims: number[] = [];
  for (let level = data; Array.isArray(level); level = level[0]) {
    if (dims.length === MAX_RANK) throw new RequestError(`${what}: data nests deeper than ${MAX_RANK} levels`);
    dims.push(level.length);
    if (level.length === 0) break;
  }
  return dims;
}

/** The leaves of `data` in row-major order, each list at depth d holding dims[d] entries and the leaves sitting at depth dims.length. */
function flatten(what: string, data: unknown, dims: readonly number[]): unknown[] {
  const leaves: unknown[] = [];
  // The indices down to the list being walked; the path is spelled out only for an error, not for every entry.
  const at: number[] = [];
  const ragged = (why: string): never => {
    throw new RequestError(`${what}: data is ragged: data${at.map((i) => `[${i}]`).join('')} ${why}`);
  };
  const walk = (level: unknown, axis: number): void => {
    if (axis === dims.length) {
      if (Array.isArray(level)) ragged(`is a list, expected a value at depth ${dims.length}`);
      leaves.push(level);
      return;
    }
    if (!Array.isArray(level)) ragged(`is not a list, expected ${dims[axis]} entries as [${dims}]`);
    const list = level as unknown[];
    if (list.length !== dims[axis]) ragged(`holds ${list.length} entries, expected ${dims[axis]} as [${dims}]`);
    for (let i = 0; i < list.length; i++) {
      at.push(i);
      walk(list[i], axis + 1);
      at.pop();
    }
  };
  walk(data, 0);
  return leaves;
}

const INTEGER_RANGES = {
  uint8: [0, 255],
  int8: [-128, 127],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

/** JSON leaves converted to `type`: numbers (integers in range for integer types), true/false or 0/1 for bool. */
function valueOf(what: string, type: ValueType, dims: readonly number[], leaves: readonly unknown[]): Value {
  const bad = (i: number, why: string): never => {
    throw new RequestError(`${what}: element ${i} (${JSON.stringify(leaves[i])}) ${why}`);
  };
  if (type === 'bool')
    return value(type, dims, Uint8Array.from(leaves, (x, i) => (x === true || x === 1 ? 1 : x === false || x === 0 ? 0 : bad(i, 'must be true, false, 0 or 1'))));
  leaves.forEach((x, i) => {
    if (typeof x !== 'number') bad(i, `is not a number (${type})`);
  });
  const numbers = leaves as readonly number[];
  if (type === 'float32') return value(type, dims, Float32Array.from(numbers));
  const [min, max] = INTEGER_RANGES[type];
  numbers.forEach((x, i) => {
    if (!Number.isInteger(x)) bad(i, `must be an integer (${type})`);
    if (x < min || x > max) bad(i, `is out of range for ${type} [${min}, ${max}]`);
  });
  if (type === 'int64') return value(type, dims, BigInt64Array.from(numbers, (x) => BigInt(x)));
  return value(type, dims, new VALUE_ARRAYS[type](numbers));
}
