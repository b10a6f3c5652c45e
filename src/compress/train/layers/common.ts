/** What the trainer's layers share: option checks, shape checks naming the layer, and tensors over reused arrays. */
import type { Tensor } from '../../../tensor.js';
import { checkObject, fail, typeFail } from '../../../validate.js';

/** The layer's options object (undefined: none). */
export function checkOptions<T extends object>(options: T | undefined): T {
  if (options === undefined) return {} as T;
  checkObject('options', options);
  return options;
}

/** A layer's name: a non-empty string (its params are '<name>.weight', ...). */
export function checkName(name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string') typeFail('options.name', `must be a string, got ${typeof name}`);
  if (name.length === 0) fail('options.name', 'must not be empty');
  return name;
}

/** A positive integer size argument. */
export function checkSize(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) fail(name, `must be a positive integer, got ${value}`);
  return value;
}

/** A finite number in [min, max] (or [min, max) with `openMax`). */
export function checkNumber(name: string, value: unknown, min: number, max: number, openMax = false): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!(value >= min) || (openMax ? !(value < max) : !(value <= max)))
    fail(name, `must be in [${min}, ${max}${openMax ? ')' : ']'}, got ${value}`);
  return value;
}

/** RangeError naming the layer: `what` of its input dims is wrong. */
export function inputFail(layer: string, input: readonly number[], what: string): never {
  fail(layer, `cannot take input [${input.join(', ')}]: ${what}`);
}

/** `data` (the layer's own reused array) as a float32 tensor of `dims`. */
export function view(data: Float32Array, dims: readonly number[]): Tensor<'float32'> {
  return { type: 'float32', dims: [...dims], data };
}

/** What a layer's training forward kept for its backward; a RangeError naming the layer when backward comes without one. */
export function needForward<T>(value: T | undefined, layer: string): T {
  if (value === undefined) fail(layer, 'backward needs a forward in train mode first');
  return value;
}

/** dy's dims must be those of the layer's last output. */
export function checkGradDims(layer: string, dy: Tensor<'float32'>, dims: readonly number[]): void {
  if (dy.dims.length !== dims.length || dy.dims.some((d, i) => d !== dims[i]))
    fail('dy', `of ${layer} must have dims [${dims.join(', ')}] (its last output's), got [${dy.dims.join(', ')}]`);
}
