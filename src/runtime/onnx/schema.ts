/**
 * The part of onnx.proto the loader reads, with ONNX's field numbers, and
 * the decoder for it. Fields not declared here (doc strings, metadata,
 * model-local functions, training info, ...) are skipped by protobufjs
 * without being decoded. Messages sparq rejects whenever they appear
 * (sparse tensors, subgraphs, non-tensor types) are declared as bytes: their
 * presence is enough to name them in an error, and a hostile, deeply nested
 * subgraph is never decoded.
 *
 * onnx.proto is proto2; declaring it as proto3 changes nothing on the wire,
 * and protobufjs accepts repeated numbers both packed and unpacked.
 */
import protobuf from 'protobufjs';

import { OnnxLoadError } from './model.js';

const ONNX_PROTO = `
syntax = "proto3";
package onnx;

message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  GraphProto graph = 7;
}

message OperatorSetIdProto {
  string domain = 1;
  int64 version = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated bytes sparse_initializer = 15;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
}

message AttributeProto {
  string name = 1;
  string ref_attr_name = 21;
  int32 type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  bytes segment = 3;
  repeated float float_data = 4;
  repeated int32 int32_data = 5;
  repeated int64 int64_data = 7;
  string name = 8;
  bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  int32 data_location = 14;
}

message StringStringEntryProto {
  string key = 1;
  string value = 2;
}

message ValueInfoProto {
  string name = 1;
  TypeProto type = 2;
}

message TypeProto {
  oneof value {
    Tensor tensor_type = 1;
    bytes sequence_type = 4;
    bytes map_type = 5;
    bytes sparse_tensor_type = 8;
    bytes optional_type = 9;
  }
  message Tensor {
    int32 elem_type = 1;
    TensorShapeProto shape = 2;
  }
}

message TensorShapeProto {
  repeated Dimension dim = 1;
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
}
`;

/** A bytes field as protobufjs decodes it: an absent one reads as its default, an empty plain array. */
export type Bytes = Uint8Array | never[];

/** An int64 as protobufjs decodes it: a Long-like pair of 32-bit halves, or a number. */
export type Int64 = number | { low: number; high: number };

export interface ModelProto {
  ir_version: Int64;
  opset_import: OperatorSetIdProto[];
  producer_name: string;
  producer_version: string;
  graph: GraphProto | null;
}

export interface OperatorSetIdProto {
  domain: string;
  version: Int64;
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  sparse_initializer: Uint8Array[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeProto[];
}

export interface AttributeProto {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: Int64;
  s: Bytes;
  t: TensorProto | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
}

export interface TensorProto {
  dims: Int64[];
  data_type: number;
  segment: Bytes;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  name: string;
  raw_data: Bytes;
  external_data: StringStringEntryProto[];
  data_location: number;
}

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface ValueInfoProto {
  name: string;
  type: TypeProto | null;
}

export interface TypeProto {
  /** Which kind of type this is; undefined when none is set. */
  value?: 'tensor_type' | 'sequence_type' | 'map_type' | 'sparse_tensor_type' | 'optional_type';
  tensor_type: TypeProtoTensor | null;
}

export interface TypeProtoTensor {
  elem_type: number;
  shape: { dim: DimensionProto[] } | null;
}

export interface DimensionProto {
  value?: 'dim_value' | 'dim_param';
  dim_value: Int64;
  dim_param: string;
}

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation values. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** keepCase: field names stay as in onnx.proto. Exported so tests can encode models the small writer cannot (hostile ones). */
export const ModelProtoType = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');

/** The int64 as a number; exact up to 2^53 in magnitude. */
export function int64ToNumber(v: Int64): number {
  return typeof v === 'number' ? v : v.high * 2 ** 32 + (v.low >>> 0);
}

/** The int64 exactly. */
export function int64ToBigInt(v: Int64): bigint {
  return typeof v === 'number' ? BigInt(v) : (BigInt(v.high) << 32n) | BigInt(v.low >>> 0);
}

/**
 * Decodes serialized ModelProto bytes.
 * @throws {OnnxLoadError} when the bytes are not a well-formed protobuf of this schema (truncated, bad wire type, ...).
 */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  try {
    return ModelProtoType.decode(bytes) as unknown as ModelProto;
  } catch (err) {
    // protobufjs reports malformed input, and nesting past its depth limit, as RangeError or Error.
    throw new OnnxLoadError(`not a valid ONNX model: ${(err as Error).message}`, { cause: err });
  }
}
