/**
 * Operators on shapes and types: the views (Reshape, Flatten, Squeeze,
 * Unsqueeze, Identity, Dropout at inference), Shape, Cast and the constant
 * makers. A view returns a Value with new dims over the same `data`: no
 * kernel ever writes its inputs, so values may share their arrays.
 * SHAPE_OPS also holds the operators that move data, from layout.ts and pad.ts.
 */
import { checkTensorBytes } from '../../limits.js';
import { sizeOf } from '../../tensor.js';
import type { Value, ValueType } from '../onnx/model.js';
import { int64, value, VALUE_ARRAYS } from '../value.js';
import { LAYOUT_OPS } from './layout.js';
import { ModelError } from '../onnx/model.js';
import { input, integers, nodeRun, normalizeAxis, scalar, type OpHandler, type PrepareContext } from './op.js';
import { PAD_OPS } from './pad.js';

function view(x: Value, dims: number[]): Value {
  return { type: x.type, dims, data: x.data };
}

/** Axes from the `axes` attribute before `inputFrom`, from input 1 from that opset on; undefined when absent. */
function axesReader(ctx: PrepareContext, inputFrom: number): (inputs: readonly (Value | undefined)[]) => number[] | undefined {
  if (ctx.opset < inputFrom) {
    const axes = ctx.attributes.ints('axes');
    return () => axes;
  }
  if (ctx.attributes.has('axes')) throw new ModelError(`axes is an input from opset ${inputFrom}, not an attribute`);
  return (inputs) => (inputs[1] === undefined ? undefined : integers(inputs[1], 'axes'));
}

/** `axes` made non-negative for `rank`; a repeated axis is a ModelError. */
function distinctAxes(axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank));
  if (new Set(out).size !== out.length) throw new ModelError(`axes [${axes}] repeat an axis`);
  return out;
}

/** Reshape's target: 0 copies the input's dim (unless allowzero), one -1 takes what is left. */
export function reshapeDims(from: readonly number[], shape: readonly number[], allowzero: boolean): number[] {
  const size = sizeOf(from);
  const bad = (why: string) => new ModelError(`cannot reshape [${from}] to [${shape}]: ${why}`);
  if (shape.filter((d) => d === -1).length > 1) throw bad('more than one -1');
  if (shape.some((d) => d < -1)) throw bad('negative dim');
  if (allowzero && shape.includes(0) && shape.includes(-1)) throw bad('-1 with a 0 dim under allowzero');
  const dims = shape.map((d, i) => {
    if (d !== 0 || allowzero) return d;
    if (i >= from.length) throw bad(`0 at axis ${i} copies no input dim`);
    return from[i];
  });
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    if (known === 0 || size % known !== 0) throw bad(`${size} elements do not divide into dims of ${known}`);
    dims[inferred] = size / known;
  } else if (known !== size) throw bad(`${size} elements, the shape holds ${known}`);
  return dims;
}

const reshape: OpHandler = ({ opset, attributes }) => {
  const allowzero = opset >= 14 && attributes.int('allowzero', 0) !== 0;
  return nodeRun('view', (inputs) => {
    const x = input(inputs, 0);
    return [view(x, reshapeDims(x.dims, integers(input(inputs, 1), 'shape'), allowzero))];
  });
};

/** [dims before axis, dims from axis on]; axis in [0, rank], negative from opset 11. */
const flatten: OpHandler = ({ opset, attributes }) => {
  const axis = attributes.int('axis', 1);
  if (opset < 11 && axis < 0) throw new ModelError(`axis ${axis} must be >= 0 before opset 11`);
  return nodeRun('view', (inputs) => {
    const x = input(inputs, 0);
    const rank = x.dims.length;
    const at = axis < 0 ? axis + rank : axis;
    if (at < 0 || at > rank) throw new ModelError(`axis ${axis} is out of range for rank ${rank}`);
    return [view(x, [sizeOf(x.dims.slice(0, at)), sizeOf(x.dims.slice(at))])];
  });
};

const unsqueeze: OpHandler = (ctx) => {
  const readAxes = axesReader(ctx, 13);
  if (ctx.opset < 13 && readAxes([]) === undefined) throw new ModelError('axes attribute is required');
  return nodeRun('view', (inputs) => {
    const x = input(inputs, 0);
    const axes = readAxes(inputs);
    if (axes === undefined) throw new ModelError('axes input is required');
    const rank = x.dims.length + axes.length;
    const inserted = new Set(distinctAxes(axes, rank));
    const dims: number[] = [];
    for (let i = 0, j = 0; i < rank; i++) dims.push(inserted.has(i) ? 1 : x.dims[j++]);
    return [view(x, dims)];
  });
};

const squeeze: OpHandler = (ctx) => {
  const readAxes = axesReader(ctx, 13);
  return nodeRun('view', (inputs) => {
    const x = input(inputs, 0);
    const axes = readAxes(inputs);
    if (axes === undefined) return [view(x, x.dims.filter((d) => d !== 1))];
    const removed = new Set(distinctAxes(axes, x.dims.length));
    for (const a of removed) if (x.dims[a] !== 1) throw new ModelError(`cannot squeeze axis ${a} of [${x.dims}]: its size is not 1`);
    return [view(x, x.dims.filter((_, i) => !removed.has(i)))];
  });
};

/**
 * Dropout at inference is the identity. The optional mask is what
 * onnxruntime returns: before opset 12 (its identity kernel) zeros, of the
 * data type before opset 10 and bool from 10; from opset 12 all true.
 */
const dropout: OpHandler = ({ node, opset, constants }) => {
  const wantsMask = (node.outputs[1] ?? '') !== '';
  const checkInference = (mode: Value | undefined) => {
    if (opset >= 12 && mode !== undefined && scalar(mode, 'training_mode') !== 0) throw new ModelError('training_mode is not supported: sparq runs inference only');
  };
  checkInference(constants[2]);
  return nodeRun('view', (inputs) => {
    const x = input(inputs, 0);
    checkInference(inputs[2]);
    if (!wantsMask) return [x];
    const mask = value(opset < 10 ? x.type : 'bool', x.dims);
    if (opset >= 12) (mask.data as Uint8Array).fill(1);
    return [x, mask];
  });
};

/** The input's dims as int64; from opset 15 the dims in [start, end), clamped like Slice. */
const shape: OpHandler = ({ opset, attributes }) => {
  const start = opset >= 15 ? attributes.int('start', 0) : 0;
  const end = opset >= 15 ? attributes.int('end') : undefined;
  return nodeRun('shape', (inputs) => {
    const dims = input(inputs, 0).dims;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dims.length : i, 0), dims.length);
    const kept = dims.slice(clamp(start), clamp(end ?? dims.length));
    return [int64([kept.length], kept)];
  });
};

/** ONNX TensorProto.DataType codes of the types Cast converts between. */
const CAST_TYPES: Record<number, ValueType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool' };

/**
 * A C++ static_cast as onnxruntime's x86 build performs it. Float to
 * integer truncates toward zero; a float outside int32 (or int64) range,
 * or NaN, becomes INT32_MIN (INT64_MIN), what cvttss2si returns for what
 * C++ leaves undefined; to uint8/int8 the int32 result then wraps modulo 256.
 * Integers narrow by wrapping; to bool is "!= 0" (NaN is true).
 */
export function castValue(x: Value, to: ValueType): Value {
  if (x.type === to) return x;
  const y = value(to, x.dims);
  const n = x.data.length;
  if (to === 'bool') {
    const dst = y.data as Uint8Array;
    if (x.type === 'int64') for (let i = 0; i < n; i++) dst[i] = (x.data as BigInt64Array)[i] !== 0n ? 1 : 0;
    else for (let i = 0; i < n; i++) dst[i] = (x.data as Float32Array)[i] !== 0 ? 1 : 0;
  } else if (to === 'int64') {
    const dst = y.data as BigInt64Array;
    const src = x.data as Float32Array;
    if (x.type !== 'float32') for (let i = 0; i < n; i++) dst[i] = BigInt(src[i]);
    else for (let i = 0; i < n; i++) dst[i] = Math.abs(src[i]) < 2 ** 63 ? BigInt(Math.trunc(src[i])) : -(2n ** 63n);
  } else if (x.type === 'int64') {
    const src = x.data as BigInt64Array;
    const dst = y.data as Float32Array;
    // The low 32 bits wrap exactly into int32, and from there into 8 bits.
    if (to === 'float32') for (let i = 0; i < n; i++) dst[i] = Number(src[i]);
    else for (let i = 0; i < n; i++) dst[i] = Number(BigInt.asIntN(32, src[i]));
  } else if (x.type === 'float32' && to !== 'float32') {
    const src = x.data as Float32Array;
    const dst = y.data as Int32Array;
    for (let i = 0; i < n; i++) dst[i] = src[i] > -2147483649 && src[i] < 2147483648 ? src[i] : -2147483648;
  } else {
    // Between the number arrays, TypedArray.set converts per element with the destination's C-like rules.
    (y.data as Float32Array).set(x.data as Float32Array);
  }
  return y;
}

const cast: OpHandler = ({ attributes }) => {
  const code = attributes.int('to');
  if (code === undefined) throw new ModelError('attribute to is required');
  const to = CAST_TYPES[code];
  if (to === undefined) throw new ModelError(`Cast to ONNX data type ${code} is not supported (supported: float, uint8, int8, int32, int64, bool)`);
  return nodeRun('cast', (inputs) => [castValue(input(inputs, 0), to)]);
};

/** Constant's one value attribute, as a Value. */
function constantValue(ctx: PrepareContext): Value {
  const a = ctx.attributes;
  const given = [...ctx.node.attributes.keys()];
  if (given.length !== 1) throw new ModelError(`needs exactly one value attribute, got ${given.length === 0 ? 'none' : given.join(', ')}`);
  switch (given[0]) {
    case 'value': return a.tensor('value')!;
    case 'value_float': return value('float32', [], Float32Array.of(a.float('value_float', 0)));
    case 'value_floats': return value('float32', [a.floats('value_floats')!.length], Float32Array.from(a.floats('value_floats')!));
    case 'value_int': return int64([], [a.int('value_int', 0)]);
    case 'value_ints': return int64([a.ints('value_ints')!.length], a.ints('value_ints')!);
    default: throw new ModelError(`attribute ${given[0]} is not supported`);
  }
}

const constant: OpHandler = (ctx) => {
  const v = constantValue(ctx);
  return nodeRun('constant', () => [v]);
};

/** A tensor of the shape in input 0 filled with the one element of `value` (default float32 0). */
const constantOfShape: OpHandler = ({ attributes }) => {
  const fill = attributes.tensor('value') ?? value('float32', [1]);
  if (fill.data.length !== 1) throw new ModelError(`value must hold one element, got dims [${fill.dims}]`);
  return nodeRun('constant', (inputs) => {
    const dims = integers(input(inputs, 0), 'shape');
    if (dims.some((d) => d < 0)) throw new ModelError(`shape [${dims}] has a negative dim`);
    const y = value(fill.type, dims);
    // fill's element is of y's own kind (number or bigint).
    (y.data as Float32Array).fill(fill.data[0] as number);
    return [y];
  });
};

/** start, start + delta, ... below limit, accumulated in the output type as onnxruntime does. */
const range: OpHandler = () =>
  nodeRun('range', (inputs) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => input(inputs, i, ['float32', 'int32', 'int64']));
    if (limit.type !== start.type || delta.type !== start.type) throw new ModelError(`inputs must have one type, got ${start.type}, ${limit.type}, ${delta.type}`);
    const [s, l, d] = [scalar(start, 'start'), scalar(limit, 'limit'), scalar(delta, 'delta')];
    if (d === 0) throw new ModelError('delta must not be 0');
    const float = start.type === 'float32';
    const n = Math.max(Math.ceil((float ? Math.fround(l - s) : l - s) / d), 0);
    if (!Number.isInteger(n)) throw new ModelError(`start ${s}, limit ${l} and delta ${d} make ${n} values`);
    // Before the values are made: a few bytes of model can ask for 1e12 of them, which would exhaust the JS heap and abort the process.
    checkTensorBytes(`the output of Range(${s}, ${l}, ${d}), ${n} values,`, n * VALUE_ARRAYS[start.type].BYTES_PER_ELEMENT);
    // Written straight into the typed array: pushing even 2^27 values into a JS array aborts V8 (invalid size).
    const y = value(start.type, [n]);
    const out = y.data;
    if (out instanceof BigInt64Array) for (let i = 0, v = s; i < n; i++, v += d) out[i] = BigInt(v);
    else for (let i = 0, v = s; i < n; i++, v = float ? Math.fround(v + d) : v + d) out[i] = v;
    return [y];
  });

export const SHAPE_OPS: Record<string, OpHandler> = {
  Identity: () => nodeRun('view', (inputs) => [input(inputs, 0)]),
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Dropout: dropout,
  Shape: shape,
  Cast: cast,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  ...LAYOUT_OPS,
  ...PAD_OPS,
};
