/**
 * `sparq run --input`: a model's feeds from a NumPy .npy file (the one
 * input of a single-input model) or a JSON file ({ "inputName": { "dims":
 * [...], "data": [...] } }, or a plain nested array for a single-input
 * model), converted to the model's input types and checked against its
 * inputs' dims. Errors name the file.
 */
import fs from 'node:fs';

import { readNpy, type NpyArray } from '../io/npy.js';
import type { OnnxValueInfo, Value, ValueType } from '../runtime/onnx/model.js';
import { checkFeed } from '../runtime/feeds.js';
import { VALUE_ARRAYS } from '../runtime/value.js';

export class InputFileError extends Error {
  override name = 'InputFileError';
}

export interface LoadedFeeds {
  feeds: Record<string, Value>;
  /** What was converted, for the user to know (float64 to float32, say). */
  notes: string[];
}

/** The model's one input, for the formats that hold a single array. */
function onlyInput(file: string, inputs: readonly OnnxValueInfo[], what: string): OnnxValueInfo {
  if (inputs.length !== 1) {
    throw new InputFileError(`${file}: ${what} feeds one input, but the model has ${inputs.length} (${inputs.map((i) => i.name).join(', ')}): give a JSON file { "name": { "dims": [...], "data": [...] } }`);
  }
  return inputs[0];
}

/** The npy array as a value of the input's type: same type, or float64 narrowed to float32 with a note. */
function fromNpy(file: string, info: OnnxValueInfo, array: NpyArray, notes: string[]): Value {
  const type = info.type ?? 'float32';
  if (array.dtype === type) return { type, dims: array.dims, data: array.data as Value['data'] };
  if (array.dtype === 'float64' && type === 'float32') {
    notes.push(`${file}: float64 values converted to float32, the type of input "${info.name}"`);
    return { type, dims: array.dims, data: Float32Array.from(array.data as Float64Array) };
  }
  throw new InputFileError(`${file}: holds ${array.dtype}, but input "${info.name}" is ${type}`);
}

/** [dims, flat values] of a rectangular nested array of numbers. */
function flatten(file: string, nested: unknown): { dims: number[]; data: unknown[] } {
  const dims: number[] = [];
  for (let level: unknown = nested; Array.isArray(level); level = level[0]) dims.push(level.length);
  const data: unknown[] = [];
  const walk = (value: unknown, axis: number, at: string): void => {
    if (axis === dims.length) {
      data.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== dims[axis]) throw new InputFileError(`${file}: the nested array is not rectangular: ${at} should be an array of ${dims[axis]}`);
    value.forEach((v, i) => walk(v, axis + 1, `${at}[${i}]`));
  };
  walk(nested, 0, 'the array');
  return { dims, data };
}

/** JSON numbers as a value of the input's type (integers checked to be integers). */
function fromNumbers(file: string, info: OnnxValueInfo, dims: number[], values: unknown[]): Value {
  const type: ValueType = info.type ?? 'float32';
  const bad = values.findIndex((v) => typeof v !== 'number' || (type !== 'float32' && !Number.isInteger(v)));
  if (bad >= 0) throw new InputFileError(`${file}: value ${bad} of input "${info.name}" (${JSON.stringify(values[bad])}) is not ${type === 'float32' ? 'a number' : `an integer (the input is ${type})`}`);
  const numbers = values as number[];
  const data = type === 'int64' ? BigInt64Array.from(numbers, BigInt) : VALUE_ARRAYS[type].from(numbers);
  return { type, dims, data: data as Value['data'] };
}

function fromJson(file: string, inputs: readonly OnnxValueInfo[], json: unknown): Record<string, Value> {
  if (Array.isArray(json)) {
    const info = onlyInput(file, inputs, 'a plain nested array');
    const { dims, data } = flatten(file, json);
    return { [info.name]: fromNumbers(file, info, dims, data) };
  }
  if (typeof json !== 'object' || json === null) throw new InputFileError(`${file}: must hold { "inputName": { "dims": [...], "data": [...] } } or a nested array`);
  const feeds: Record<string, Value> = {};
  for (const [name, entry] of Object.entries(json)) {
    const info = inputs.find((i) => i.name === name);
    if (info === undefined) throw new InputFileError(`${file}: "${name}" is not an input of the model (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    const { dims, data } = (entry ?? {}) as { dims?: unknown; data?: unknown };
    if (!Array.isArray(data)) throw new InputFileError(`${file}: "${name}".data must be an array of numbers`);
    const flat = flatten(file, data);
    if (dims === undefined) {
      feeds[name] = fromNumbers(file, info, flat.dims, flat.data);
      continue;
    }
    if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new InputFileError(`${file}: "${name}".dims must be an array of non-negative integers`);
    feeds[name] = fromNumbers(file, info, dims as number[], flat.data);
  }
  return feeds;
}

/** The feeds `file` holds for a model with `inputs`, checked against them. */
export function loadFeeds(file: string, inputs: readonly OnnxValueInfo[]): LoadedFeeds {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const notes: string[] = [];
  let feeds: Record<string, Value>;
  if (file.toLowerCase().endsWith('.npy')) {
    const info = onlyInput(file, inputs, 'a .npy file');
    feeds = { [info.name]: fromNpy(file, info, readNpy(bytes, file), notes) };
  } else if (file.toLowerCase().endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new InputFileError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    feeds = fromJson(file, inputs, json);
  } else {
    throw new InputFileError(`${file}: unknown input format (the name must end in .npy or .json)`);
  }
  for (const info of inputs) {
    try {
      feeds[info.name] = checkFeed(info, feeds[info.name]);
    } catch (e) {
      throw new InputFileError(`${file}: ${(e as Error).message}`);
    }
  }
  return { feeds, notes };
}
