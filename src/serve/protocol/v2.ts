/**
 * The KServe / Open Inference Protocol v2 REST bodies, with Triton's binary
 * tensor data extension: model metadata, an infer request turned into
 * checked Tensors, and outputs turned into the infer response.
 * https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
 * https://github.com/triton-inference-server/server/blob/main/docs/protocol/extension_binary_data.md
 */
import type { OnnxValueInfo, Value, ValueType } from '../../runtime/onnx/model.js';
import { checkObject, typeFail } from '../../validate.js';
import { RequestError, type ModelSpec, type Tensors } from '../model-spec.js';
import { checkInputs, modelInput, names } from './inputs.js';
import { jsonList, jsonObject, optional, requiredString } from './json-fields.js';
import { bytesToValue, checkShape, jsonToValue, valueToBytes, valueToJson } from './json-tensor.js';

const DATATYPES: Record<ValueType, string> = { float32: 'FP32', uint8: 'UINT8', int8: 'INT8', int32: 'INT32', int64: 'INT64', bool: 'BOOL' };
/** v2 datatypes sparq's runtime has no Value for. */
const UNSUPPORTED = ['BYTES', 'FP16', 'BF16', 'FP64', 'INT16', 'UINT16', 'UINT32', 'UINT64'];

/** An output a request asks for, and whether it comes back as raw bytes after the JSON. */
export interface V2Output {
  name: string;
  binary: boolean;
}

export interface V2Request {
  id?: string;
  inputs: Tensors;
  outputs: V2Output[];
}

/** GET /v2/models/{name}: the model's inputs and outputs, -1 for each dim that takes any size. */
export function v2ModelMetadata(spec: ModelSpec): object {
  checkObject('spec', spec);
  return {
    name: spec.name,
    versions: [spec.version],
    platform: 'onnxruntime_onnx',
    inputs: spec.inputs.map(tensorMetadata),
    outputs: spec.outputs.map(tensorMetadata),
  };
}

function tensorMetadata(info: OnnxValueInfo): object {
  return {
    name: info.name,
    // A model that declares no element type is fed what requests send; float32 is what they send unless told otherwise.
    datatype: DATATYPES[info.type ?? 'float32'],
    // No declared shape: one -1 says "any", as v2 has no way to say the rank is unknown.
    shape: info.dims === null ? [-1] : info.dims.map((d) => (typeof d === 'number' ? d : -1)),
  };
}

/**
 * POST /v2/models/{name}/infer: the request's inputs, checked against the
 * model, and the outputs it asks for (all of the model's by default). With
 * `inferenceHeaderLength` (the Inference-Header-Content-Length header) the
 * body is that many bytes of JSON followed by the raw bytes of the inputs
 * that give a binary_data_size, in input order.
 */
export function parseV2Infer(spec: ModelSpec, body: Buffer, inferenceHeaderLength: number | undefined): V2Request {
  checkObject('spec', spec);
  if (!Buffer.isBuffer(body)) typeFail('body', 'must be a Buffer');
  const headerLength = inferenceHeaderLength ?? body.byteLength;
  if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.byteLength)
    throw new RequestError(`Inference-Header-Content-Length must be an integer in [0, ${body.byteLength}] (the body's size), got ${inferenceHeaderLength}`);
  const request = jsonObject('the request', parseJson(body.subarray(0, headerLength)));
  const id = optional('id', request.id, 'string');
  const binary = new BinaryData(body.subarray(headerLength), inferenceHeaderLength !== undefined);
  const inputs: Tensors = {};
  jsonList('inputs', request.inputs).forEach((entry, i) => {
    const input = jsonObject(`inputs[${i}]`, entry);
    const name = requiredString(`inputs[${i}].name`, input.name);
    const info = modelInput(spec, name);
    if (Object.hasOwn(inputs, name)) throw new RequestError(`input "${name}" is given twice`);
    inputs[name] = inputValue(`input "${name}"`, info, input, binary);
  });
  binary.checkAllRead();
  return { ...(id === undefined ? {} : { id }), inputs: checkInputs(spec, inputs), outputs: requestedOutputs(spec, request) };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new RequestError(`malformed JSON: ${(e as Error).message}`);
  }
}

/** The bytes after the JSON header, handed out in input order. */
class BinaryData {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly present: boolean,
  ) {}

  take(what: string, size: unknown): Buffer {
    if (!this.present) throw new RequestError(`${what} has a binary_data_size but the request has no Inference-Header-Content-Length`);
    if (!Number.isSafeInteger(size) || (size as number) < 0)
      throw new RequestError(`${what}: binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`);
    const end = this.offset + (size as number);
    if (end > this.bytes.byteLength)
      throw new RequestError(`${what}: binary_data_size ${size} runs past the ${this.bytes.byteLength} bytes of binary data after the JSON (${this.offset} already taken)`);
    const taken = this.bytes.subarray(this.offset, end);
    this.offset = end;
    return taken;
  }

  checkAllRead(): void {
    if (this.offset !== this.bytes.byteLength)
      throw new RequestError(`the body holds ${this.bytes.byteLength} bytes of binary data after the JSON, but the inputs' binary_data_size add up to ${this.offset}`);
  }
}

function inputValue(what: string, info: OnnxValueInfo, input: Record<string, unknown>, binary: BinaryData): Value {
  const type = valueType(what, requiredString(`${what}: datatype`, input.datatype));
  if (info.type !== null && type !== info.type) throw new RequestError(`${what}: datatype ${DATATYPES[type]} does not match the model's ${DATATYPES[info.type]}`);
  const shape = checkShape(what, input.shape);
  const size = input.parameters === undefined ? undefined : jsonObject(`${what}: parameters`, input.parameters).binary_data_size;
  if (size === undefined) {
    if (input.data === undefined) throw new RequestError(`${what} has neither data nor parameters.binary_data_size`);
    return jsonToValue(what, type, shape, input.data);
  }
  if (input.data !== undefined) throw new RequestError(`${what} has both data and parameters.binary_data_size`);
  return bytesToValue(what, type, shape, binary.take(what, size));
}

function valueType(what: string, datatype: string): ValueType {
  const type = (Object.keys(DATATYPES) as ValueType[]).find((t) => DATATYPES[t] === datatype);
  if (type !== undefined) return type;
  const supported = Object.values(DATATYPES).join(', ');
  if (UNSUPPORTED.includes(datatype)) throw new RequestError(`${what}: datatype ${datatype} is not supported; sparq serves ${supported}`);
  throw new RequestError(`${what}: datatype ${JSON.stringify(datatype)} is not a v2 datatype; sparq serves ${supported}`);
}

/** The outputs the request names (each once), or all of the model's; binary from each one's binary_data, else the request's binary_data_output. */
function requestedOutputs(spec: ModelSpec, request: Record<string, unknown>): V2Output[] {
  const parameters = request.parameters === undefined ? {} : jsonObject('parameters', request.parameters);
  const binaryDefault = optional('parameters.binary_data_output', parameters.binary_data_output, 'boolean') ?? false;
  if (request.outputs === undefined) return spec.outputs.map(({ name }) => ({ name, binary: binaryDefault }));
  const seen = new Set<string>();
  return jsonList('outputs', request.outputs).map((entry, i) => {
    const output = jsonObject(`outputs[${i}]`, entry);
    const name = requiredString(`outputs[${i}].name`, output.name);
    if (!spec.outputs.some((o) => o.name === name)) throw new RequestError(`unknown output "${name}": model "${spec.name}" has ${names(spec.outputs)}`);
    if (seen.has(name)) throw new RequestError(`output "${name}" is asked for twice`);
    seen.add(name);
    const params = output.parameters === undefined ? {} : jsonObject(`output "${name}": parameters`, output.parameters);
    if (params.classification !== undefined) throw new RequestError(`output "${name}": the classification extension is not supported`);
    return { name, binary: optional(`output "${name}": parameters.binary_data`, params.binary_data, 'boolean') ?? binaryDefault };
  });
}

/**
 * The infer response for `requested` of `outputs` (a run's results): a JSON
 * object, or, when any output is binary, a Buffer of the JSON followed by
 * those outputs' raw bytes in order, with the header that says where the
 * JSON ends.
 */
export function encodeV2Infer(
  spec: ModelSpec,
  id: string | undefined,
  outputs: Tensors,
  requested: readonly V2Output[],
): { body: Buffer | object; headers: Record<string, string> } {
  checkObject('spec', spec);
  checkObject('outputs', outputs);
  if (id !== undefined && typeof id !== 'string') typeFail('id', `must be a string or undefined, got ${typeof id}`);
  if (!Array.isArray(requested)) typeFail('requested', 'must be an array of { name, binary }');
  const binaries: Buffer[] = [];
  const entries = requested.map(({ name, binary }) => {
    if (!Object.hasOwn(outputs, name)) typeFail('outputs', `has no "${name}", which the request asks for`);
    const v = outputs[name];
    const head = { name, datatype: DATATYPES[v.type], shape: v.dims };
    if (!binary) return { ...head, data: valueToJson(`output "${name}"`, v) };
    const bytes = valueToBytes(v);
    binaries.push(bytes);
    return { ...head, parameters: { binary_data_size: bytes.byteLength } };
  });
  const json = { model_name: spec.name, model_version: spec.version, ...(id === undefined ? {} : { id }), outputs: entries };
  if (binaries.length === 0) return { body: json, headers: {} };
  const header = Buffer.from(JSON.stringify(json));
  return {
    body: Buffer.concat([header, ...binaries]),
    headers: { 'Inference-Header-Content-Length': String(header.byteLength), 'content-type': 'application/octet-stream' },
  };
}
