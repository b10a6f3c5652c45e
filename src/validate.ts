/**
 * Argument checks run by every public function before any native call. Each
 * throws a TypeError (wrong kind of value) or RangeError (right kind, bad
 * value) whose message starts with the argument's name.
 */
import { checkTensorBytes } from './limits.js';
import { Q_RANGE, sizeOf, TYPED_ARRAY_OF, type ElementType, type QType, type QuantParams, type Tensor, type TypedArrayOf } from './element-types.js';

/**
 * Size limits, checked before any work, so that no call loops over or
 * allocates for sizes that only its dims describe (an empty tensor's other
 * dimensions cost nothing to state):
 * - a dimension is at most MAX_DIM = 2^31 - 1 (the kernels' int32 offsets);
 * - a tensor's dims, counting zero dimensions as 1, and every result span at
 *   most MAX_ELEMENTS = 2^32 - 1 elements (about what one typed array holds);
 * - packed weights take at most MAX_PACKED_BYTES = 2^34 bytes (16 GiB).
 */
export const MAX_DIM = 2 ** 31 - 1;
export const MAX_ELEMENTS = 2 ** 32 - 1;
export const MAX_PACKED_BYTES = 2 ** 34;

const ARRAY_NAMES: Record<ElementType, string> = {
  float32: 'Float32Array',
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  int32: 'Int32Array',
};

/** 'a Float32Array', 'an Int8Array', 'a Uint8Array' (said "you"). */
function withArticle(name: string): string {
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
}

export function fail(name: string, message: string): never {
  throw new RangeError(`${name} ${message}`);
}

export function typeFail(name: string, message: string): never {
  throw new TypeError(`${name} ${message}`);
}

/**
 * The objects sparq hands out and takes back (packed weights, layers, sparse
 * matrices, GPU tensors), each with the class whose constructor made it.
 * instanceof is not enough: Object.create(Class.prototype) passes it with
 * none of the fields a constructor sets. One place, so what else a handle
 * must be to be used (not disposed) can join the check.
 */
const made = new WeakMap<object, Function>();
/** Those whose native memory dispose() freed. */
const disposed = new WeakSet<object>();

/** Records that `cls`'s constructor made `object` (its last statement). */
export function markMade(object: object, cls: Function): void {
  made.set(object, cls);
}

/** Records that `object` gave its native memory back: it is refused from now on. */
export function markDisposed(object: object): void {
  disposed.add(object);
}

/** `value` if `cls`'s constructor made it and it was not disposed, else a TypeError naming the argument, the class and what makes one. */
export function checkMade<T extends object>(name: string, value: unknown, cls: abstract new (...args: never[]) => T, maker: string): T {
  if (typeof value !== 'object' || value === null || made.get(value) !== cls) typeFail(name, `must be a ${cls.name} made by ${maker}`);
  checkNotDisposed(name, value);
  return value as T;
}

/** A TypeError naming the argument if `value` gave its native memory back. */
function checkNotDisposed(name: string, value: object): void {
  if (disposed.has(value)) typeFail(name, 'was disposed');
}

/**
 * Objects one backend packed from a checked `S` (its source weights), which
 * another backend takes by that source without importing the first: the
 * WebGPU backend repacks cpu.packWeights() results from their tensor.
 */
export class PackedSources<S extends object> {
  private readonly packed = new WeakSet<object>();

  /** Records that a backend's constructor made `packed` from a checked source (its last statement). */
  mark(packed: S): void {
    this.packed.add(packed);
  }

  /** `value` (named `name`) if a backend packed it from a checked source (refused once disposed), else undefined. */
  find(name: string, value: unknown): S | undefined {
    if (typeof value !== 'object' || value === null || !this.packed.has(value)) return undefined;
    checkNotDisposed(name, value);
    return value as S;
  }
}

export function checkObject(name: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null) typeFail(name, 'must be an object');
}

/** A non-negative integer of at most MAX_DIM. */
export function checkDim(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 0 || value > MAX_DIM) fail(name, `must be a non-negative integer <= 2^31 - 1, got ${value}`);
  return value;
}

export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) fail(name, `must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/** A tensor's dims: each checkDim, spanning at most MAX_ELEMENTS with zero dimensions counted as 1. */
export function checkDims(name: string, dims: unknown, rank?: number): number[] {
  if (!Array.isArray(dims)) typeFail(name, 'must be an array of dimensions');
  if (rank !== undefined && dims.length !== rank) fail(name, `must have ${rank} dimensions, got ${dims.length}`);
  const checked = dims.map((d, i) => checkDim(`${name}[${i}]`, d));
  const span = checked.reduce((a, d) => a * Math.max(d, 1), 1);
  if (span > MAX_ELEMENTS) fail(name, `[${checked.join(', ')}] span ${span} elements with zero dimensions counted as 1, more than 2^32 - 1`);
  return checked;
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
  if (!(t.data instanceof TYPED_ARRAY_OF[type])) typeFail(`${name}.data`, `must be ${withArticle(ARRAY_NAMES[type])} for type '${type}'`);
  const dims = t.dims as number[];
  const size = sizeOf(dims);
  const data = t.data as TypedArrayOf<T>;
  if (data.length !== size) fail(`${name}.data`, `has ${data.length} elements but dims [${dims.join(', ')}] need ${size}`);
  return t as unknown as Tensor<T>;
}

/** tensor()'s arguments. */
export function checkTensorArgs(type: unknown, dims: unknown, data: unknown, quant: unknown): void {
  const t = checkOneOf('type', type, ['float32', 'uint8', 'int8', 'int32'] as const);
  const checkedDims = checkDims('dims', dims);
  if (data !== undefined) {
    if (!(data instanceof TYPED_ARRAY_OF[t])) typeFail('data', `must be ${withArticle(ARRAY_NAMES[t])} for type '${t}'`);
    const size = sizeOf(checkedDims);
    if ((data as TypedArrayOf<ElementType>).length !== size)
      fail('data', `has ${(data as TypedArrayOf<ElementType>).length} elements but dims [${checkedDims.join(', ')}] need ${size}`);
  }
  if (quant !== undefined) checkTensorQuant('quant', t, checkedDims, quant);
}

/**
 * The quantization parameters of a tensor of `type` and `dims` (named
 * `name`), each optional: scale(s) finite and > 0, zero point(s) integers in
 * the type's range, axis in [-rank, rank); per-axis arrays need the axis and
 * hold dims[axis] values. Returns the axis, normalized to [0, rank).
 */
export function checkTensorQuant(name: string, type: ElementType, dims: readonly number[], quant: unknown): number | undefined {
  checkObject(name, quant);
  const { scale, zeroPoint, axis } = quant as QuantParams;
  const normalized = axis === undefined ? undefined : checkAxis(`${name}.axis`, axis, dims.length);
  const count = normalized === undefined ? undefined : dims[normalized];
  const { min, max } = type === 'uint8' || type === 'int8' ? Q_RANGE[type] : INT32_RANGE;
  checkOneOrPerAxis(`${name}.scale`, scale, count, checkScale);
  checkOneOrPerAxis(`${name}.zeroPoint`, zeroPoint, count, (n, z) => checkInt(n, z, min, max));
  return normalized;
}

/** The zero point range of int32 tensors (accumulators) and float32 ones, whose quantization parameters only travel with them. */
const INT32_RANGE = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** An optional quantization parameter: one value, or an array of `count` = dims[axis] values (undefined: no axis given). */
function checkOneOrPerAxis(name: string, value: unknown, count: number | undefined, check: (name: string, v: unknown) => number): void {
  if (value === undefined) return;
  if (typeof value === 'number') {
    check(name, value);
    return;
  }
  if (!ArrayBuffer.isView(value) && !Array.isArray(value)) typeFail(name, 'must be a number, or a typed array or array of numbers (per axis)');
  if (count === undefined) typeFail(name, 'is per axis: the axis it runs along is required');
  const values = value as ArrayLike<unknown>;
  if (values.length !== count) fail(name, `must have dims[axis] = ${count} values, got ${values.length}`);
  for (let i = 0; i < values.length; i++) check(`${name}[${i}]`, values[i]);
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

/** The arrays a call reads, by argument name; absent options are undefined. */
export type Reads = Record<string, ArrayBufferView | undefined>;

/**
 * Throws unless `out` (named `name`) shares no memory with any of `reads`: a
 * kernel writing its output while it reads an input would read what it wrote.
 * Views share memory when they view the same buffer (ArrayBuffer or
 * SharedArrayBuffer) over overlapping bytes.
 */
export function checkNoOverlap(name: string, out: ArrayBufferView, reads: Reads): void {
  for (const [input, array] of Object.entries(reads)) {
    if (array === undefined || array.buffer !== out.buffer) continue;
    if (array.byteOffset < out.byteOffset + out.byteLength && out.byteOffset < array.byteOffset + array.byteLength)
      fail(name, `must not overlap ${input}: they share bytes of one buffer`);
  }
}

/** checkNoOverlap for one read array, building nothing: a planned call's per-run check. */
export function checkDisjoint(name: string, out: ArrayBufferView, input: string, array: ArrayBufferView): void {
  if (array.buffer === out.buffer && array.byteOffset < out.byteOffset + out.byteLength && out.byteOffset < array.byteOffset + array.byteLength)
    fail(name, `must not overlap ${input}: they share bytes of one buffer`);
}

/** A result of `dims` fits one typed array (at most MAX_ELEMENTS). */
export function checkResultSize(dims: readonly number[]): void {
  const size = sizeOf(dims);
  if (size > MAX_ELEMENTS) fail('result', `[${dims.join(', ')}] would hold ${size} elements, more than 2^32 - 1`);
}

/**
 * The result tensor of a kernel: on `out` (caller-owned storage of exactly the
 * right type and size, reused across calls, sharing no memory with the
 * arrays the call `reads`) or newly allocated.
 */
export function outputTensor<T extends ElementType>(out: unknown, reads: Reads, type: T, dims: readonly number[], quant?: QuantParams): Tensor<T> {
  const size = sizeOf(dims);
  let data: TypedArrayOf<T>;
  if (out === undefined) {
    checkResultSize(dims);
    checkTensorBytes(`the result [${dims.join(', ')}]`, size * (TYPED_ARRAY_OF[type] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
    data = new TYPED_ARRAY_OF[type](size) as TypedArrayOf<T>;
  } else {
    if (!(out instanceof TYPED_ARRAY_OF[type])) typeFail('options.out', `must be ${withArticle(ARRAY_NAMES[type])} for this output`);
    data = out as TypedArrayOf<T>;
    if (data.length !== size) fail('options.out', `must have ${size} elements, got ${data.length}`);
    checkNoOverlap('options.out', data, reads);
  }
  return { type, dims: [...dims], data, ...quant };
}

/** An optional per-output-channel bias: undefined, or exactly `n` values of `type`. */
export function checkBias<T extends 'float32' | 'int32'>(bias: unknown, type: T, n: number): TypedArrayOf<T> | undefined {
  if (bias === undefined) return undefined;
  if (!(bias instanceof TYPED_ARRAY_OF[type])) typeFail('options.bias', `must be ${withArticle(ARRAY_NAMES[type])}`);
  const values = bias as TypedArrayOf<T>;
  if (values.length !== n) fail('options.bias', `must have N = ${n} values, got ${values.length}`);
  return values;
}
