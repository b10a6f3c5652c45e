/**
 * TensorProto → Value: the element type, the dims, and the data from
 * raw_data, the typed fields or an external file, with every count checked
 * against the bytes actually present before anything is allocated.
 */
import { checkTensorBytes } from '../../limits.js';
import type { Decoding } from './external-data.js';
import { OnnxLoadError, type Value, type ValueType } from './model.js';
import { DataLocation, int64ToBigInt, int64ToNumber, type Int64, type TensorProto } from './schema.js';

/** TensorProto.DataType names, by value, for error messages. */
const DATA_TYPE_NAMES = [
  'UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16', 'DOUBLE',
  'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16', 'FLOAT8E4M3FN', 'FLOAT8E4M3FNUZ', 'FLOAT8E5M2',
  'FLOAT8E5M2FNUZ', 'UINT4', 'INT4', 'FLOAT4E2M1', 'FLOAT8E8M0',
];

const VALUE_TYPES: Partial<Record<number, ValueType>> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool' };

const ELEMENT_BYTES: Record<ValueType, number> = { float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1 };

/** The sparq type of an ONNX data type, or null when sparq does not run it. */
export function valueType(dataType: number): ValueType | null {
  return VALUE_TYPES[dataType] ?? null;
}

/** 'DOUBLE (11)'. */
export function dataTypeName(dataType: number): string {
  return `${DATA_TYPE_NAMES[dataType] ?? 'unknown'} (${dataType})`;
}

/** "<what> has data type DOUBLE (11), which sparq does not support". */
export function unsupportedType(what: string, dataType: number): string {
  return `${what} has data type ${dataTypeName(dataType)}, which sparq does not support`;
}

/**
 * Decodes one tensor; `what` names it in errors ('tensor "w"'). Data in an
 * external file is asked for (yielded) once the dims say how many bytes it must hold.
 * @throws {OnnxLoadError} for an unsupported type, bad dims, or data that does not match the dims.
 */
export function* readTensor(proto: TensorProto, what: string): Decoding<Value> {
  const type = valueType(proto.data_type);
  if (type === null) throw new OnnxLoadError(unsupportedType(what, proto.data_type));
  if (proto.segment.length > 0) throw new OnnxLoadError(`${what} is segmented, which sparq does not support`);
  const dims = proto.dims.map(int64ToNumber);
  const count = elementCount(dims, what);
  const byteLength = count * ELEMENT_BYTES[type];
  const has = `${what} has dims [${dims.join(',')}] (${count} values)`;

  if (proto.data_location === DataLocation.EXTERNAL) {
    checkTensorBytes(what, byteLength);
    return { type, dims, data: fromBytes(type, yield { entries: proto.external_data, byteLength, what }) };
  }
  if (proto.data_location !== DataLocation.DEFAULT)
    throw new OnnxLoadError(`${what} has data_location ${proto.data_location}; ONNX defines only DEFAULT (0) and EXTERNAL (1)`);

  const raw = proto.raw_data;
  if (raw.length > 0) {
    if (raw.length !== byteLength) throw new OnnxLoadError(`${has} but raw_data holds ${raw.length} bytes (${byteLength} needed)`);
    checkTensorBytes(what, byteLength);
    // A fresh copy: raw_data is a view of the model bytes, at whatever offset it fell, and int32/float views need alignment.
    return { type, dims, data: fromBytes(type, new Uint8Array(raw)) };
  }
  const typed = typedField(proto, type);
  if (typed.length !== count) throw new OnnxLoadError(`${has} but ${typed.length} stored`);
  checkTensorBytes(what, byteLength);
  return { type, dims, data: fromTypedField(type, typed) };
}

/** The product of dims, each a non-negative integer, as a safe integer. */
function elementCount(dims: readonly number[], what: string): number {
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxLoadError(`${what} has dims [${dims.join(',')}]; each must be a non-negative integer below 2^53`);
    count *= d;
  }
  if (!Number.isSafeInteger(count)) throw new OnnxLoadError(`${what} has dims [${dims.join(',')}], more values than sparq can address`);
  return count;
}

/** The typed field ONNX uses for `type` when raw_data is empty. */
function typedField(proto: TensorProto, type: ValueType): readonly number[] | readonly Int64[] {
  switch (type) {
    case 'float32':
      return proto.float_data;
    case 'int64':
      return proto.int64_data;
    default:
      // int32_data also carries int8, uint8 and bool, one value per element.
      return proto.int32_data;
  }
}

/** Views little-endian `bytes` (owned and aligned) as `type`; bool is normalized to 0/1. */
function fromBytes(type: ValueType, bytes: Uint8Array): Value['data'] {
  // ONNX raw data is little-endian, like the x64 and arm64 hosts sparq runs on.
  switch (type) {
    case 'float32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    case 'int32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    case 'int64':
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    case 'bool':
      for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i] !== 0 ? 1 : 0;
      return bytes;
    case 'uint8':
      return bytes;
  }
}

function fromTypedField(type: ValueType, values: readonly number[] | readonly Int64[]): Value['data'] {
  switch (type) {
    case 'float32':
      return Float32Array.from(values as number[]);
    case 'int64':
      return BigInt64Array.from(values as Int64[], int64ToBigInt);
    case 'int32':
      return Int32Array.from(values as number[]);
    case 'int8':
      return Int8Array.from(values as number[]);
    case 'uint8':
      return Uint8Array.from(values as number[]);
    case 'bool':
      return Uint8Array.from(values as number[], (v) => (v !== 0 ? 1 : 0));
  }
}
