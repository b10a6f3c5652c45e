/**
 * Argument checks run by every public function before any native call. Each
 * throws a TypeError (wrong kind of value) or RangeError (right kind, bad
 * value) whose message starts with the argument's name.
 */
import { Q_RANGE, sizeOf, tensor, type ElementType, type QType, type QuantParams, type Tensor, type TypedArrayOf } from './tensor.js';

const ARRAY_NAMES: Record<ElementType, string> = {
  float32: 'Float32Array',
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  int32: 'Int32Array',
};
const ARRAY_CLASSES: Record<ElementType, Function> = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
};

/** 'a Float32Array', 'an Int8Array'. */
function withArticle(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

export function fail(name: string, message: string): never {
  throw new RangeError(`${name} ${message}`);
}

export function typeFail(name: string, message: string): never {
  throw new TypeError(`${name} ${message}`);
}

export function checkObject(name: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null) typeFail(name, 'must be an object');
}

/** A non-negative integer. */
export function checkDim(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < 0) fail(name, `must be a non-negative integer, got ${value}`);
  return value;
}

export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) fail(name, `must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

export function checkDims(name: string, dims: unknown, rank?: number): number[] {
  if (!Array.isArray(dims)) typeFail(name, 'must be an array of dimensions');
  if (rank !== undefined && dims.length !== rank) fail(name, `must have ${rank} dimensions, got ${dims.length}`);
  return dims.map((d, i) => checkDim(`${name}[${i}]`, d));
}

/** A tensor's type (one of `types`) and dims, without its data: what a planned call is validated for. */
export function checkTensorShape<T extends ElementType>(name: string, value: unknown, types: readonly T[], rank?: number): Omit<Tensor<T>, 'data'> {
  checkObject(name, value);
  const t = value as Record<string, unknown>;
  if (!types.includes(t.type as T))
    typeFail(name, `must be a tensor of type ${types.map((x) => `'${x}'`).join(' or ')}, got ${JSON.stringify(t.type)}`);
  checkDims(`${name}.dims`, t.dims, rank);
  return t as unknown as Omit<Tensor<T>, 'data'>;
}

/** A tensor of one of `types`, whose data holds exactly the elements its dims say. */
export function checkTensor<T extends ElementType>(name: string, value: unknown, types: readonly T[], rank?: number): Tensor<T> {
  checkTensorShape(name, value, types, rank);
  const t = value as Record<string, unknown>;
  const type = t.type as T;
  if (!(t.data instanceof ARRAY_CLASSES[type])) typeFail(`${name}.data`, `must be ${withArticle(ARRAY_NAMES[type])} for type '${type}'`);
  const dims = t.dims as number[];
  const size = sizeOf(dims);
  const data = t.data as TypedArrayOf<T>;
  if (data.length !== size) fail(`${name}.data`, `has ${data.length} elements but dims [${dims.join(', ')}] need ${size}`);
  return t as unknown as Tensor<T>;
}

/** A finite, positive float32 scale (ONNX requires positive scales). */
export function checkScale(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  const f = Math.fround(value);
  if (!(f > 0) || !Number.isFinite(f)) fail(name, `must be a finite positive number, got ${value}`);
  return f;
}

export function checkZeroPoint(name: string, value: unknown, type: QType): number {
  const { min, max } = Q_RANGE[type];
  return checkInt(name, value, min, max);
}

/** An axis in [-rank, rank), normalized to [0, rank). */
export function checkAxis(name: string, value: unknown, rank: number): number {
  const axis = checkInt(name, value, -rank, Math.max(rank - 1, -rank));
  if (rank === 0) fail(name, 'cannot be used on a scalar');
  return axis < 0 ? axis + rank : axis;
}

/**
 * Scale and zero point, per tensor (numbers) or per axis (arrays of
 * dims[axis] values). Returns them as Float32Array / Int32Array.
 */
export function checkQuantParams(
  where: string,
  scale: unknown,
  zeroPoint: unknown,
  axis: unknown,
  dims: readonly number[],
  type: QType,
): { scales: Float32Array; zeroPoints: Int32Array; axis: number | undefined } {
  const perAxis = typeof scale !== 'number' && scale !== undefined;
  if (!perAxis) {
    if (scale === undefined) typeFail(`${where}scale`, 'is required');
    const s = checkScale(`${where}scale`, scale);
    if (zeroPoint !== undefined && typeof zeroPoint !== 'number')
      typeFail(`${where}zeroPoint`, 'must be a number when scale is a number');
    const z = checkZeroPoint(`${where}zeroPoint`, zeroPoint ?? 0, type);
    return { scales: Float32Array.of(s), zeroPoints: Int32Array.of(z), axis: undefined };
  }
  if (!(scale instanceof Float32Array) && !Array.isArray(scale))
    typeFail(`${where}scale`, 'must be a number or a Float32Array / array of numbers');
  if (axis === undefined) typeFail(`${where}axis`, 'is required when scale is per axis');
  const ax = checkAxis(`${where}axis`, axis, dims.length);
  const count = dims[ax];
  const scaleList = Array.from(scale as ArrayLike<number>);
  if (scaleList.length !== count) fail(`${where}scale`, `must have dims[axis] = ${count} values, got ${scaleList.length}`);
  const scales = Float32Array.from(scaleList, (s, i) => checkScale(`${where}scale[${i}]`, s));
  let zeroPoints = new Int32Array(count);
  if (zeroPoint !== undefined) {
    if (typeof zeroPoint === 'number') typeFail(`${where}zeroPoint`, 'must be an array when scale is per axis');
    const zps = Array.from(zeroPoint as ArrayLike<number>);
    if (zps.length !== count) fail(`${where}zeroPoint`, `must have dims[axis] = ${count} values, got ${zps.length}`);
    zeroPoints = Int32Array.from(zps, (z, i) => checkZeroPoint(`${where}zeroPoint[${i}]`, z, type));
  }
  return { scales, zeroPoints, axis: ax };
}

/** [outer, channels, inner] view of `dims` around `axis` (channels = 1 when undefined). */
export function axisView(dims: readonly number[], axis: number | undefined): { outer: number; channels: number; inner: number } {
  if (axis === undefined) return { outer: 1, channels: 1, inner: sizeOf(dims) };
  return { outer: sizeOf(dims.slice(0, axis)), channels: dims[axis], inner: sizeOf(dims.slice(axis + 1)) };
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') typeFail(name, `must be a boolean, got ${typeof value}`);
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') typeFail(name, `must be a string, got ${typeof value}`);
  if (!allowed.includes(value as T))
    fail(name, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/**
 * The result tensor of a kernel: on `out` (caller-owned storage of exactly the
 * right type and size, reused across calls, which must not overlap the
 * inputs) or newly allocated.
 */
export function outputTensor<T extends ElementType>(out: unknown, type: T, dims: readonly number[], quant?: QuantParams): Tensor<T> {
  if (out === undefined) return tensor(type, dims, undefined, quant);
  if (!(out instanceof ARRAY_CLASSES[type])) typeFail('options.out', `must be ${withArticle(ARRAY_NAMES[type])} for this output`);
  const size = sizeOf(dims);
  const array = out as TypedArrayOf<T>;
  if (array.length !== size) fail('options.out', `must have ${size} elements, got ${array.length}`);
  return tensor(type, dims, array, quant);
}

/** An optional per-output-channel bias: undefined, or exactly `n` values of `type`. */
export function checkBias<T extends 'float32' | 'int32'>(bias: unknown, type: T, n: number): TypedArrayOf<T> | undefined {
  if (bias === undefined) return undefined;
  if (!(bias instanceof ARRAY_CLASSES[type])) typeFail('options.bias', `must be ${withArticle(ARRAY_NAMES[type])}`);
  const values = bias as TypedArrayOf<T>;
  if (values.length !== n) fail('options.bias', `must have N = ${n} values, got ${values.length}`);
  return values;
}
