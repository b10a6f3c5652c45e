/**
 * TF Serving's REST predict API bodies: `instances` (row format, one entry
 * per example) or `inputs` (columnar, each tensor with its batch axis)
 * turned into checked Tensors, and outputs into `predictions` / `outputs`.
 * https://www.tensorflow.org/tfx/serving/api_rest#predict_api
 */
import type { OnnxValueInfo, Value } from '../../runtime/onnx/model.js';
import { checkObject, checkOneOf, typeFail } from '../../validate.js';
import { RequestError, type ModelSpec, type Tensors } from '../model-spec.js';
import { checkInputs, modelInput } from './inputs.js';
import { jsonList, jsonObject, optional } from './json-fields.js';
import { nestedToValue, valueToNested } from './json-tensor.js';

export type TfFormat = 'row' | 'columnar';

/** POST /v1/models/{name}:predict: the request's inputs, checked against the model, and the format the answer takes. */
export function parseTfPredict(spec: ModelSpec, body: unknown): { inputs: Tensors; format: TfFormat } {
  checkObject('spec', spec);
  const request = jsonObject('the request', body);
  const signature = optional('signature_name', request.signature_name, 'string');
  if (signature !== undefined && signature !== 'serving_default')
    throw new RequestError(`signature_name "${signature}" is not served; ONNX models have one signature, "serving_default"`);
  if ((request.instances === undefined) === (request.inputs === undefined))
    throw new RequestError('the request must have exactly one of "instances" (row format) and "inputs" (columnar format)');
  if (request.instances !== undefined) return { inputs: checkInputs(spec, rowInputs(spec, request.instances)), format: 'row' };
  return { inputs: checkInputs(spec, columnarInputs(spec, request.inputs)), format: 'columnar' };
}

/**
 * Each instance is one example: the input's value for a one-input model, or
 * an object by input name. Stacking them on a new axis 0 is reading the list
 * of values as one nested list.
 */
function rowInputs(spec: ModelSpec, instances: unknown): Tensors {
  const list = jsonList('instances', instances);
  if (list.length === 0) throw new RequestError('instances must hold at least one example');
  if (spec.inputs.length === 1 && !isObject(list[0])) return { [spec.inputs[0].name]: toValue(spec.inputs[0], 'instances', list) };
  const examples = list.map((instance, i) => jsonObject(`instances[${i}]`, instance));
  const inputs: Tensors = {};
  examples.forEach((example) => Object.keys(example).forEach((name) => modelInput(spec, name)));
  for (const info of spec.inputs) {
    const values = examples.map((example, i) => {
      if (!Object.hasOwn(example, info.name)) throw new RequestError(`instances[${i}] is missing input "${info.name}"`);
      return example[info.name];
    });
    inputs[info.name] = toValue(info, `input "${info.name}"`, values);
  }
  return inputs;
}

/** One value with its batch axis (one-input models), or an object of them by input name. */
function columnarInputs(spec: ModelSpec, inputs: unknown): Tensors {
  if (!isObject(inputs)) {
    if (spec.inputs.length !== 1) throw new RequestError(`inputs must be an object by input name: model "${spec.name}" takes ${spec.inputs.length} inputs`);
    return { [spec.inputs[0].name]: toValue(spec.inputs[0], 'inputs', inputs) };
  }
  const byName = inputs as Record<string, unknown>;
  return Object.fromEntries(Object.keys(byName).map((name) => [name, toValue(modelInput(spec, name), `input "${name}"`, byName[name])]));
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON numbers in the model input's type: TF clients send every number alike, so the model decides (float32 when it declares no type). */
function toValue(info: OnnxValueInfo, what: string, data: unknown): Value {
  return nestedToValue(what, info.type ?? 'float32', data);
}

/**
 * The predict response for a run's `outputs` (all of the model's): row
 * format lists each example's values (by output name when there are
 * several), columnar format gives each whole tensor.
 */
export function encodeTfPredict(spec: ModelSpec, outputs: Tensors, format: TfFormat): object {
  checkObject('spec', spec);
  checkObject('outputs', outputs);
  checkOneOf('format', format, ['row', 'columnar'] as const);
  const nested = spec.outputs.map(({ name }) => {
    if (!Object.hasOwn(outputs, name)) typeFail('outputs', `has no "${name}", one of the model's outputs`);
    return { name, dims: outputs[name].dims, value: valueToNested(`output "${name}"`, outputs[name]) };
  });
  if (format === 'columnar')
    return { outputs: nested.length === 1 ? nested[0].value : Object.fromEntries(nested.map(({ name, value }) => [name, value])) };
  const batch = nested[0]?.dims[0];
  for (const { name, dims } of nested) {
    if (dims.length === 0) throw new RangeError(`outputs["${name}"] is a scalar: row format needs a batch axis (axis 0) on every output`);
    if (dims[0] !== batch) throw new RangeError(`outputs["${name}"] has dims [${dims}]: row format needs every output to share the batch axis of ${batch} examples`);
  }
  if (nested.length === 1) return { predictions: nested[0].value };
  return { predictions: Array.from({ length: batch }, (_, i) => Object.fromEntries(nested.map(({ name, value }) => [name, (value as unknown[])[i]]))) };
}
