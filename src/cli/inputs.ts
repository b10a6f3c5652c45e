/**
 * `sparq run --input`: a model's feeds from a NumPy .npy file (the one
 * input of a single-input model), a JSON file ({ "inputName": { "dims":
 * [...], "data": [...] } }, or a plain nested array for a single-input
 * model), or PNG/JPEG images (a batch of one per file, for a single-input
 * image model: resized, converted to its channels, laid out and normalized
 * as the image flags say), converted to the model's input types and
 * checked against its inputs' dims. Errors name the file; a bad image flag
 * is a FlagError naming it.
 */
import fs from 'node:fs';
import path from 'node:path';

import { decodeImage, imageBatch, resizeBilinear, toChannels, type ImageLayout, type Normalization } from '../io/image.js';
import { readNpy, type NpyArray } from '../io/npy.js';
import type { OnnxValueInfo, Value, ValueType } from '../runtime/onnx/model.js';
import { checkFeed } from '../runtime/feeds.js';
import { VALUE_ARRAYS } from '../runtime/value.js';
import { FlagError, oneOf } from './conventions.js';

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

/** The files read as images, by their names. */
const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

const isImageFile = (file: string) => IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());

/** How image inputs become a model's input: the flags of `sparq run` for images. */
export interface ImageOptions {
  /** Forced layout; default: from the model's input dims. */
  layout?: ImageLayout;
  /** [height, width] to resize to, for a model whose input does not fix them. */
  size?: [number, number];
  normalization: Normalization;
}

const IMAGE_FLAGS = ['layout', 'size', 'scale', 'mean', 'std'] as const;

/** The image flags as `sparq run` takes them, strings or undefined. */
export type ImageFlagValues = { [K in (typeof IMAGE_FLAGS)[number]]?: string };

function numberList(flag: string, value: string | undefined, nonZero: boolean): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  const numbers = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if ((parts.length !== 1 && parts.length !== 3) || numbers.some((n) => !Number.isFinite(n) || (nonZero && n === 0))) {
    throw new FlagError(`--${flag} must be 1 or 3 comma-separated${nonZero ? ' non-zero' : ''} numbers (r,g,b), got ${value}`);
  }
  return numbers;
}

/**
 * The image flags checked (before the model is read): --layout, --size HxW,
 * --scale, --mean and --std; a FlagError when one is bad, or given without
 * an image among `files`, or when images and other files are mixed.
 */
export function imageOptions(files: readonly string[], values: ImageFlagValues): ImageOptions {
  const images = files.filter(isImageFile).length;
  const given = IMAGE_FLAGS.filter((k) => values[k] !== undefined);
  if (images === 0 && given.length > 0) throw new FlagError(`--${given[0]} applies to image inputs (--input file.png|.jpg|.jpeg)`);
  if (images > 0 && images < files.length) throw new FlagError('--input: images and other files do not mix; give the images alone (a batch) or one .npy or .json file');
  if (images === 0 && files.length > 1) throw new FlagError('--input: several files feed a model only as images (a batch); give other inputs in one .npy or .json file');
  const layout = oneOf('layout', values.layout, ['nchw', 'nhwc'] as const);
  let size: [number, number] | undefined;
  if (values.size !== undefined) {
    const m = /^(\d+)(?:x(\d+))?$/.exec(values.size);
    const [h, w] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [0, 0];
    if (!(h >= 1 && w >= 1 && h <= 2 ** 16 && w <= 2 ** 16)) throw new FlagError(`--size must be HxW (or N for NxN), each 1 to 65536, got ${values.size}`);
    size = [h, w];
  }
  const scale = values.scale === undefined ? 1 / 255 : Number(values.scale);
  if (values.scale?.trim() === '' || !Number.isFinite(scale) || scale <= 0) throw new FlagError(`--scale must be a positive number, got ${values.scale}`);
  return { layout, size, normalization: { scale, mean: numberList('mean', values.mean, false), std: numberList('std', values.std, true) } };
}

/** Where the image goes in the model's one input: its layout, channels, height and width. */
function imageGeometry(info: OnnxValueInfo, options: ImageOptions) {
  const what = `input "${info.name}"${info.dims ? ` [${info.dims.map((d) => d ?? '?')}]` : ''}`;
  if (info.type !== null && info.type !== 'float32') throw new InputFileError(`images feed float32 inputs; ${what} is ${info.type}`);
  if (info.dims === null || info.dims.length !== 4) throw new InputFileError(`images feed 4-d inputs (NCHW or NHWC); ${what} is not`);
  const [, d1, d2, d3] = info.dims;
  const isChannels = (d: unknown) => d === 1 || d === 3;
  const layout = options.layout ?? (isChannels(d1) || !isChannels(d3) ? 'nchw' : 'nhwc');
  const [channels, height, width] = layout === 'nchw' ? [d1, d2, d3] : [d3, d1, d2];
  if (channels !== 1 && channels !== 3) {
    throw new InputFileError(`images have 1 (gray) or 3 (RGB) channels; ${what} read as ${layout.toUpperCase()} has ${channels ?? '?'}${options.layout ? '' : ' (--layout nchw|nhwc chooses)'}`);
  }
  for (const [flag, values] of [['mean', options.normalization.mean], ['std', options.normalization.std]] as const) {
    if (values && values.length !== 1 && values.length !== channels) throw new FlagError(`--${flag} has ${values.length} values; ${what} takes ${channels}-channel images: give 1`);
  }
  const fixed = typeof height === 'number' && typeof width === 'number';
  if (options.size && fixed && (options.size[0] !== height || options.size[1] !== width)) {
    throw new FlagError(`--size ${options.size.join('x')} differs from ${what}'s fixed ${height}x${width}`);
  }
  if (!options.size && !fixed) throw new FlagError(`${what} fixes no image height and width: give them with --size HxW`);
  const [h, w] = options.size ?? [height as number, width as number];
  return { layout, channels: channels as 1 | 3, height: h, width: w };
}

const CHANNEL_NAMES = { 1: 'gray', 3: 'RGB' } as const;

/** The images in `files` as one batch for the model's single input, and a note per image changed on the way. */
function imageFeeds(files: readonly string[], inputs: readonly OnnxValueInfo[], options: ImageOptions, notes: string[]): Record<string, Value> {
  const info = onlyInput(files[0], inputs, 'an image');
  const g = imageGeometry(info, options);
  const images = files.map((file) => {
    const decoded = decodeImage(readInput(file), file);
    const changes = [
      ...(decoded.channels !== g.channels ? [`converted to ${CHANNEL_NAMES[g.channels]}${g.channels === 1 ? ' (BT.601 luma)' : ''}`] : []),
      ...(decoded.height !== g.height || decoded.width !== g.width ? [`resized to ${g.height}x${g.width} (bilinear)`] : []),
    ];
    if (changes.length > 0) notes.push(`${file}: ${decoded.height}x${decoded.width} ${CHANNEL_NAMES[decoded.channels]}, ${changes.join(' and ')}`);
    return resizeBilinear(toChannels(decoded, g.channels), g.height, g.width);
  });
  const dims = g.layout === 'nchw' ? [files.length, g.channels, g.height, g.width] : [files.length, g.height, g.width, g.channels];
  return { [info.name]: { type: 'float32', dims, data: imageBatch(images, g.layout, options.normalization) } };
}

function readInput(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new InputFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * The feeds `files` hold for a model with `inputs`, checked against them:
 * one .npy or .json file, or images (imageOptions() checked the mix).
 */
export function loadFeeds(files: readonly string[], inputs: readonly OnnxValueInfo[], options: ImageOptions): LoadedFeeds {
  const notes: string[] = [];
  const file = files.join(', ');
  let feeds: Record<string, Value>;
  if (files.every(isImageFile)) {
    feeds = imageFeeds(files, inputs, options, notes);
  } else if (file.toLowerCase().endsWith('.npy')) {
    const bytes = readInput(file);
    const info = onlyInput(file, inputs, 'a .npy file');
    feeds = { [info.name]: fromNpy(file, info, readNpy(bytes, file), notes) };
  } else if (file.toLowerCase().endsWith('.json')) {
    const bytes = readInput(file);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new InputFileError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    feeds = fromJson(file, inputs, json);
  } else {
    throw new InputFileError(`${file}: unknown input format (the name must end in .npy, .json, .png, .jpg or .jpeg)`);
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
