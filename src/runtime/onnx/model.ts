/**
 * An ONNX model as the runtime sees it, decoded and checked by the loader
 * (read.ts): plain objects and typed arrays, no protobuf types. Only what
 * sparq can run is represented; anything else is an OnnxLoadError at load.
 */

/** Element types of values sparq runs. bool is a Uint8Array of 0/1; int64 a BigInt64Array, as in onnxruntime-node. */
export type ValueType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

export interface Value {
  type: ValueType;
  dims: number[];
  data: Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;
}

/**
 * A node attribute. ONNX stores ints as int64; they are converted to number,
 * which is exact up to 2^53. Larger values lose precision: INT64_MAX, which
 * exporters write for "to the end" in Slice, becomes 9223372036854775807 as a
 * float (2^63), which still clamps to the end of any real axis.
 */
export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Value }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] };

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' for the default ai.onnx domain. */
  domain: string;
  /** '' marks an omitted optional input, as in ONNX. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
}

export interface OnnxValueInfo {
  name: string;
  /** null: the model gives no element type. */
  type: ValueType | null;
  /** null: no shape given. A string is a symbolic dim (dim_param), a null entry an unknown dim. */
  dims: (number | string | null)[] | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, Value>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Shape hints for intermediate values; entries of types sparq does not run are left out. */
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** Domain ('' for ai.onnx) to opset version. */
  opsets: Map<string, number>;
  graph: OnnxGraph;
}

/** A model sparq cannot load: malformed bytes, or a feature it does not support. The message names the part concerned. */
export class OnnxLoadError extends Error {
  override name = 'OnnxLoadError';
}

/** An error in a model (bad attribute, unsupported case, shape mismatch), thrown with the node it concerns. */
export class ModelError extends Error {
  override name = 'ModelError';
}
