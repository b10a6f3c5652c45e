/**
 * The ONNX loader: ModelProto bytes → OnnxModel. Everything sparq cannot run
 * faithfully (subgraphs, sparse initializers, unsupported element types,
 * opsets outside 9..21) is an OnnxLoadError here, naming the part concerned,
 * so later stages see only plain, checked values. Malformed or hostile bytes
 * are OnnxLoadErrors too: sizes are checked against the bytes present before
 * anything is allocated, and external data cannot leave the model's directory.
 * Decoding is a generator that asks for external tensor data as it goes:
 * readOnnx reads it synchronously, loadOnnx asynchronously.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { checkModelBytes, LimitError } from '../../limits.js';
import { readExternalData, readExternalDataSync, type Decoding, type ExternalDataRequest } from './external-data.js';
import { OnnxLoadError, type AttributeValue, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxValueInfo, type Value } from './model.js';
import { AttributeType, decodeModelProto, int64ToNumber, type AttributeProto, type Bytes, type GraphProto, type NodeProto, type ValueInfoProto } from './schema.js';
import { readTensor, unsupportedType, valueType } from './tensor.js';

export interface ReadOnnxOptions {
  /** Directory external tensor data is read from (and confined to). Without it, external data is an error. */
  baseDir?: string;
}

/** The ai.onnx opsets sparq's operators are written against. */
export const SUPPORTED_OPSETS = { min: 9, max: 21 } as const;

/**
 * Decodes and checks a serialized ONNX model.
 * @throws {TypeError} when bytes is not a Uint8Array.
 * @throws {OnnxLoadError} when the bytes are not a valid ONNX model, or use something sparq does not support.
 */
export function readOnnx(bytes: Uint8Array, options: ReadOnnxOptions = {}): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  checkModelBytes('the model', bytes.length);
  const decoding = decodeModel(bytes);
  let total = bytes.length;
  let step = decoding.next();
  while (!step.done) {
    total = withExternal(total, step.value);
    step = decoding.next(readExternalDataSync(step.value, options.baseDir));
  }
  return step.value;
}

/**
 * Reads and decodes the ONNX model at `file`; external data is read from the file's directory. Every read is
 * asynchronous, so the event loop runs on while a large model loads.
 * @throws {OnnxLoadError} when the file cannot be read, or as readOnnx.
 */
export async function loadOnnx(file: string): Promise<OnnxModel> {
  let bytes: Uint8Array;
  try {
    // The size first: a model over maxModelBytes is refused before it is read.
    checkModelBytes(`the model "${file}"`, (await fs.stat(file)).size);
    bytes = await fs.readFile(file);
  } catch (err) {
    if (err instanceof LimitError) throw err;
    throw new OnnxLoadError(`cannot read ONNX model "${file}": ${(err as Error).message}`, { cause: err });
  }
  const baseDir = path.dirname(path.resolve(file));
  const decoding = decodeModel(bytes);
  let total = bytes.length;
  let step = decoding.next();
  while (!step.done) {
    total = withExternal(total, step.value);
    step = decoding.next(await readExternalData(step.value, baseDir));
  }
  return step.value;
}

/**
 * The model's bytes so far plus one externally stored tensor's.
 * @throws LimitError when they are over maxModelBytes, before the tensor is read.
 */
function withExternal(total: number, request: ExternalDataRequest): number {
  const sum = total + request.byteLength;
  checkModelBytes(`the model with its external data (up to ${request.what})`, sum);
  return sum;
}

/** The model in `bytes`, asking (yielding) for the bytes of each externally stored tensor. */
function* decodeModel(bytes: Uint8Array): Decoding<OnnxModel> {
  const proto = decodeModelProto(bytes);
  if (proto.graph === null) throw new OnnxLoadError('the model has no graph');
  const model: OnnxModel = {
    irVersion: int64ToNumber(proto.ir_version),
    producerName: proto.producer_name,
    producerVersion: proto.producer_version,
    opsets: new Map(),
    graph: yield* readGraph(proto.graph),
  };
  for (const { domain, version } of proto.opset_import) {
    const key = domain === 'ai.onnx' ? '' : domain;
    if (model.opsets.has(key)) throw new OnnxLoadError(`the model imports the ${domain || 'ai.onnx'} opset twice`);
    model.opsets.set(key, int64ToNumber(version));
  }
  checkOpset(model);
  return model;
}

/**
 * Checks that the model imports an ai.onnx opset sparq supports.
 * @throws {OnnxLoadError} naming the opset when it is missing or outside SUPPORTED_OPSETS.
 */
export function checkOpset(model: OnnxModel): void {
  const opset = model.opsets.get('');
  if (opset === undefined) throw new OnnxLoadError('the model imports no ai.onnx opset');
  const { min, max } = SUPPORTED_OPSETS;
  if (opset < min || opset > max)
    throw new OnnxLoadError(`the model uses ai.onnx opset ${opset}; sparq supports opsets ${min} to ${max}`);
}

function* readGraph(proto: GraphProto): Decoding<OnnxGraph> {
  if (proto.sparse_initializer.length > 0) throw new OnnxLoadError(`graph "${proto.name}" has sparse initializers, which sparq does not support`);
  const initializers = new Map<string, Value>();
  for (const t of proto.initializer) {
    if (initializers.has(t.name)) throw new OnnxLoadError(`graph "${proto.name}" has initializer "${t.name}" twice`);
    initializers.set(t.name, yield* readTensor(t, `tensor "${t.name}"`));
  }
  const nodes: OnnxNode[] = [];
  for (const [index, n] of proto.node.entries()) nodes.push(yield* readNode(n, index));
  return {
    name: proto.name,
    nodes,
    initializers,
    inputs: proto.input.map((v) => requireValueInfo(v, 'graph input')),
    outputs: proto.output.map((v) => requireValueInfo(v, 'graph output')),
    // value_info entries are only hints: one sparq cannot use is left out rather than failing the model.
    valueInfo: proto.value_info.flatMap((v) => {
      const info = readValueInfo(v, 'value');
      return typeof info === 'string' ? [] : [info];
    }),
  };
}

function* readNode(proto: NodeProto, index: number): Decoding<OnnxNode> {
  const what = proto.name ? `node "${proto.name}"` : `node #${index}`;
  if (!proto.op_type) throw new OnnxLoadError(`${what} has no op_type`);
  const attributes = new Map<string, AttributeValue>();
  for (const a of proto.attribute) {
    if (attributes.has(a.name)) throw new OnnxLoadError(`${what} (${proto.op_type}) has attribute "${a.name}" twice`);
    attributes.set(a.name, yield* readAttribute(a, `attribute "${a.name}" of ${what} (${proto.op_type})`));
  }
  return { name: proto.name, opType: proto.op_type, domain: proto.domain === 'ai.onnx' ? '' : proto.domain, inputs: proto.input, outputs: proto.output, attributes };
}

const utf8 = new TextDecoder();

/** An absent bytes field is an empty array, which TextDecoder refuses. */
function text(bytes: Bytes): string {
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : '';
}

function* readAttribute(proto: AttributeProto, what: string): Decoding<AttributeValue> {
  // A reference to an attribute of an enclosing function: only valid inside function bodies, which sparq does not load.
  if (proto.ref_attr_name) throw new OnnxLoadError(`${what} refers to function attribute "${proto.ref_attr_name}", which is only valid inside a function`);
  switch (proto.type) {
    case AttributeType.FLOAT:
      return { type: 'float', value: proto.f };
    case AttributeType.INT:
      return { type: 'int', value: int64ToNumber(proto.i) };
    case AttributeType.STRING:
      return { type: 'string', value: text(proto.s) };
    case AttributeType.TENSOR:
      if (proto.t === null) throw new OnnxLoadError(`${what} has type TENSOR but holds no tensor`);
      return { type: 'tensor', value: yield* readTensor(proto.t, proto.t.name ? `tensor "${proto.t.name}"` : `the tensor of ${what}`) };
    case AttributeType.FLOATS:
      return { type: 'floats', value: proto.floats };
    case AttributeType.INTS:
      return { type: 'ints', value: proto.ints.map(int64ToNumber) };
    case AttributeType.STRINGS:
      return { type: 'strings', value: proto.strings.map(text) };
    case AttributeType.GRAPH:
    case AttributeType.GRAPHS:
      throw new OnnxLoadError(`${what} is a subgraph (as in If, Loop and Scan), which sparq does not support`);
    case AttributeType.UNDEFINED:
      throw new OnnxLoadError(`${what} has no type`);
    default: {
      const name = Object.entries(AttributeType).find(([, v]) => v === proto.type)?.[0] ?? `unknown (${proto.type})`;
      throw new OnnxLoadError(`${what} has type ${name}, which sparq does not support`);
    }
  }
}

/** A graph input or output: one sparq cannot use fails the model. */
function requireValueInfo(proto: ValueInfoProto, role: string): OnnxValueInfo {
  const info = readValueInfo(proto, role);
  if (typeof info === 'string') throw new OnnxLoadError(info);
  return info;
}

/** The value info, or why sparq cannot use it. */
function readValueInfo(proto: ValueInfoProto, role: string): OnnxValueInfo | string {
  const what = `${role} "${proto.name}"`;
  const type = proto.type;
  if (type === null || type.value === undefined) return { name: proto.name, type: null, dims: null };
  if (type.tensor_type === null) return `${what} has a ${type.value.replace('_type', '').replace('_', ' ')} type; sparq supports tensors only`;
  const { elem_type, shape } = type.tensor_type;
  const elementType = elem_type === 0 ? null : valueType(elem_type);
  if (elem_type !== 0 && elementType === null) return unsupportedType(what, elem_type);
  if (shape === null) return { name: proto.name, type: elementType, dims: null };
  const dims: (number | string | null)[] = [];
  for (const d of shape.dim) {
    if (d.value === 'dim_param') dims.push(d.dim_param);
    else if (d.value === 'dim_value') {
      const n = int64ToNumber(d.dim_value);
      if (!Number.isSafeInteger(n) || n < 0) return `${what} has dim ${n}; dims must be non-negative integers`;
      dims.push(n);
    } else dims.push(null);
  }
  return { name: proto.name, type: elementType, dims };
}
