/**
 * The quantized elementwise tails of int8 (QDQ) models on kernels/qx8-elementwise,
 * each bit for bit the float graph it replaces (DequantizeLinear -> float32
 * op -> QuantizeLinear, as sparq's float kernels compute it):
 * qadd/qsub/qmul (same shape, one value per row [N, C, 1, 1] on NCHW, one
 * vector per image [N, 1, 1, C] on NHWC; a fused clamp), lookup (any unary
 * op on 8-bit values as a 256-entry table) and qglobalAveragePool (NCHW
 * planes or NHWC columns, the float mean in f32-elementwise's order).
 */
import { refLookup, refQBinary, refQGlobalAveragePool, type QBinaryOp, type QParams } from '../reference/qelementwise.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { planQBinary } from '../../ops/qelementwise.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import { sizeOf, type QType, type Tensor } from '../../tensor.js';
import {
  checkBoolean, checkDisjoint, checkObject, checkOneOf, checkScale, checkTensor, checkTensorShape, checkZeroPoint, fail, outputTensor, typeFail,
} from '../../validate.js';
import { runSync } from './call.js';

type QTensor = Tensor<QType>;
type QShape = Omit<QTensor, 'data'>;
type Bytes = Uint8Array | Int8Array;

export interface QElementwiseOptions {
  /** Force one qx8-elementwise variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the result here: a typed array of the result's type and size sharing no memory with the inputs. */
  out?: Uint8Array | Int8Array;
}

export interface QuantizedResultOptions extends QElementwiseOptions {
  /** The result's scale (per tensor). */
  scale: number;
  /** The result's zero point (default 0). */
  zeroPoint?: number;
}

export interface QBinaryOptions extends QuantizedResultOptions {
  /** A clamp on the float result before it is quantized ('relu', { min, max }; default none). */
  activation?: Activation;
}

export interface QGlobalAveragePoolOptions extends QuantizedResultOptions {
  /** The result's type (default x's). */
  type?: QType;
  /** x is [N, ...spatial, C] (NHWC) and the result [N, 1, ..., C] (default false: [N, C, ...spatial]). */
  channelsLast?: boolean;
}

/** A tensor's per-tensor scale and zero point. */
function tensorQuant(name: string, x: QShape): QParams {
  if (typeof x.scale !== 'number') typeFail(`${name}.scale`, x.scale === undefined ? 'is required (a quantized tensor)' : 'must be one number (per tensor)');
  if (x.zeroPoint !== undefined && typeof x.zeroPoint !== 'number') typeFail(`${name}.zeroPoint`, 'must be one number (per tensor)');
  return { scale: checkScale(`${name}.scale`, x.scale), zeroPoint: checkZeroPoint(`${name}.zeroPoint`, x.zeroPoint ?? 0, x.type) };
}

function resultQuant(options: QuantizedResultOptions, type: QType): QParams {
  return { scale: checkScale('options.scale', options.scale), zeroPoint: checkZeroPoint('options.zeroPoint', options.zeroPoint ?? 0, type) };
}

/** A binary call's arguments checked: the kernels' view, the operands' and the result's parameters, the clamp. */
function checkedQBinary(op: 'add' | 'sub' | 'mul', a: QShape, b: QShape, options: QBinaryOptions) {
  if (b.type !== a.type) typeFail('b', `must be ${a.type} like a, got ${b.type}`);
  checkObject('options', options);
  const [aq, bq] = [tensorQuant('a', a), tensorQuant('b', b)];
  const yq = resultQuant(options, a.type);
  const { min, max } = activationRange('options.activation', options.activation);
  const view = planQBinary(a.dims, b.dims);
  if (!view) fail('b', `dims [${b.dims}] must equal a's [${a.dims}], or one of them hold one value per leading index ([N, C, 1, 1] on [N, C, H, W]) or one vector per image ([N, 1, 1, C] on [N, H, W, C]) of the other`);
  const variant = checkVariant(options);
  const kernelOp: QBinaryOp = view.swapped && op === 'sub' ? 'rsub' : op;
  const [fq, sq] = view.swapped ? [bq, aq] : [aq, bq];
  const fields = { op: kernelOp, rows: view.rows, inner: view.inner, broadcast: view.broadcast, bCount: view.bCount, bRepeat: view.bRepeat,
    xScale: fq.scale, xZeroPoint: fq.zeroPoint, bScale: sq.scale, bZeroPoint: sq.zeroPoint, yScale: yq.scale, yZeroPoint: yq.zeroPoint, min, max };
  return { view, yq, variant, fields, reference: (full: Bytes, small: Bytes, y: Bytes) => refQBinary(kernelOp, full, small, y, view, fq, sq, yq, min, max) };
}

function qbinary(op: 'add' | 'sub' | 'mul', aIn: QTensor, bIn: QTensor, options: QBinaryOptions): QTensor {
  const a = checkTensor('a', aIn, ['uint8', 'int8']);
  const b = checkTensor('b', bIn, ['uint8', 'int8']);
  const { view, yq, variant, fields, reference } = checkedQBinary(op, a, b, options);
  const [full, small] = view.swapped ? [b.data, a.data] : [a.data, b.data];
  const y = outputTensor(options.out, { 'a.data': a.data, 'b.data': b.data }, a.type, view.dims, yq);
  return runSync({
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.qx8Binary({ variant, ...fields, x: full, b: small, y: y.data, async }),
    reference: () => reference(full, small, y.data),
  });
}

/**
 * Q(DQ(a) + DQ(b)), each of a, b and the result per-tensor quantized (one
 * type, uint8 or int8), in float32 as DequantizeLinear -> Add ->
 * [options.activation] -> QuantizeLinear compute it: b the shape of a, or
 * one value per leading index ([N, C, 1, 1] on [N, C, H, W]), or one vector
 * per image ([N, 1, 1, C] on [N, H, W, C]), or the same with a and b swapped.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qadd(a: QTensor, b: QTensor, options: QBinaryOptions): QTensor {
  return qbinary('add', a, b, options);
}
/** Q(DQ(a) - DQ(b)), as qadd(). */
export function qsub(a: QTensor, b: QTensor, options: QBinaryOptions): QTensor {
  return qbinary('sub', a, b, options);
}
/** Q(DQ(a) * DQ(b)), as qadd(). */
export function qmul(a: QTensor, b: QTensor, options: QBinaryOptions): QTensor {
  return qbinary('mul', a, b, options);
}

function checkedLookup(table: Bytes, options: Partial<QuantizedResultOptions>) {
  if (!(table instanceof Uint8Array) && !(table instanceof Int8Array)) typeFail('table', 'must be a Uint8Array or Int8Array');
  if (table.length !== 256) fail('table', `must hold 256 values, got ${table.length}`);
  checkObject('options', options);
  const type: QType = table instanceof Uint8Array ? 'uint8' : 'int8';
  const quant = options.scale === undefined ? undefined : resultQuant(options as QuantizedResultOptions, type);
  return { type, quant, variant: checkVariant(options) };
}

/**
 * y[i] = table[x[i]] with x's byte as the index (int8 -1 reads table[255]):
 * any unary op on 8-bit values, its 256 results computed once. The result
 * has the table's type and x's dims, quantized as options say when given.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function lookup(xIn: QTensor, table: Bytes, options: Partial<QuantizedResultOptions> = {}): QTensor {
  const x = checkTensor('x', xIn, ['uint8', 'int8']);
  const { type, quant, variant } = checkedLookup(table, options);
  const y = outputTensor(options.out, { 'x.data': x.data, table }, type, x.dims, quant);
  return runSync({
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.qx8Lookup({ variant, x: x.data, table, y: y.data, async }),
    reference: () => refLookup(x.data, table, y.data),
  });
}

function checkedPool(x: QShape, options: QGlobalAveragePoolOptions) {
  checkObject('options', options);
  if (x.dims.length < 3) fail('x', `must have rank >= 3 ([N, C, spatial...]), got [${x.dims}]`);
  const xq = tensorQuant('x', x);
  const type = options.type === undefined ? x.type : checkOneOf('options.type', options.type, ['uint8', 'int8'] as const);
  const yq = resultQuant(options, type);
  const channelsLast = options.channelsLast === undefined ? false : checkBoolean('options.channelsLast', options.channelsLast);
  const rank = x.dims.length;
  const images = x.dims[0], channels = channelsLast ? x.dims[rank - 1] : x.dims[1];
  const spatial = channelsLast ? x.dims.slice(1, rank - 1) : x.dims.slice(2);
  const plane = sizeOf(spatial);
  if (plane === 0 && images * channels > 0) fail('x', `dims [${x.dims}] have an empty plane: its mean is undefined`);
  const variant = checkVariant(options);
  const ones = spatial.map(() => 1);
  const dims = channelsLast ? [images, ...ones, channels] : [images, channels, ...ones];
  const fields = { images, channels, plane, channelsLast, xScale: xq.scale, xZeroPoint: xq.zeroPoint, yScale: yq.scale, yZeroPoint: yq.zeroPoint };
  return { type, yq, variant, dims, fields, reference: (xs: Bytes, y: Bytes) => refQGlobalAveragePool(xs, y, images, channels, plane, channelsLast, xq, yq) };
}

/**
 * [N, C, ...spatial] -> [N, C, 1, ...] (or, channelsLast, [N, ...spatial, C]
 * -> [N, 1, ..., C]): Q(the float32 mean of DQ(x) over each plane), as
 * DequantizeLinear -> cpu.globalAveragePool -> QuantizeLinear compute it.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qglobalAveragePool(xIn: QTensor, options: QGlobalAveragePoolOptions): QTensor {
  const x = checkTensor('x', xIn, ['uint8', 'int8']);
  const { type, yq, variant, dims, fields, reference } = checkedPool(x, options);
  const y = outputTensor(options.out, { 'x.data': x.data }, type, dims, yq);
  return runSync({
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.qx8GlobalAveragePool({ variant, ...fields, x: x.data, y: y.data, async }),
    reference: () => reference(x.data, y.data),
  });
}

// Planned forms, for the runtime's per-node calls at batch 1: the arguments
// are checked and the addon reads its options once (planQx8Binary,
// planQx8Lookup, planQx8GlobalAveragePool), so a run checks only its arrays
// and makes one native call (runPlan). Results equal the one-shot calls'.

/** A call planned for one shape: run() checks only its arrays (of the planned types and sizes, y apart from the inputs). */
export interface QUnaryPlan {
  /** The result's type, dims and quantization. */
  readonly result: QShape;
  run(x: Bytes, y: Bytes): void;
}

export interface QBinaryCallPlan {
  readonly result: QShape;
  run(a: Bytes, b: Bytes, y: Bytes): void;
}

function checkBytes(name: string, array: unknown, type: QType, size: number): void {
  const ok = type === 'uint8' ? array instanceof Uint8Array : array instanceof Int8Array;
  if (!ok || (array as Bytes).length !== size) fail(name, `must be ${type === 'uint8' ? 'a Uint8Array' : 'an Int8Array'} of ${size} values, as planned`);
}

/**
 * cpu.qadd/qsub/qmul(a, b, options) for tensors of a's and b's dims, types and quantization, checked once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.qadd does.
 */
export function planQBinaryCall(op: 'add' | 'sub' | 'mul', aIn: QShape, bIn: QShape, options: Omit<QBinaryOptions, 'out'>): QBinaryCallPlan {
  const a = checkTensorShape('a', aIn, ['uint8', 'int8']), b = checkTensorShape('b', bIn, ['uint8', 'int8']);
  const { view, yq, variant, fields, reference } = checkedQBinary(op, a, b, options);
  const [aSize, bSize, size] = [sizeOf(a.dims), sizeOf(b.dims), sizeOf(view.dims)];
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQx8Binary({ variant, ...fields, type: a.type });
  return {
    result: { type: a.type, dims: [...view.dims], ...yq },
    run(aData, bData, y) {
      checkBytes('a', aData, a.type, aSize);
      checkBytes('b', bData, a.type, bSize);
      checkBytes('y', y, a.type, size);
      checkDisjoint('y', y, 'a', aData);
      checkDisjoint('y', y, 'b', bData);
      const [full, small] = view.swapped ? [bData, aData] : [aData, bData];
      if (plan) addon!.runPlan(plan, full, y, small);
      else reference(full, small, y);
    },
  };
}

/**
 * cpu.lookup(x, table, options) for tensors of x's dims and type, the table copied once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.lookup does.
 */
export function planLookupCall(xIn: QShape, table: Bytes, options: Omit<Partial<QuantizedResultOptions>, 'out'> = {}): QUnaryPlan {
  const x = checkTensorShape('x', xIn, ['uint8', 'int8']);
  const { type, quant, variant } = checkedLookup(table, options);
  const copy = table.slice();
  const size = sizeOf(x.dims);
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQx8Lookup({ variant, n: size, table: copy, xType: x.type });
  return {
    result: { type, dims: [...x.dims], ...quant },
    run(xData, y) {
      checkBytes('x', xData, x.type, size);
      checkBytes('y', y, type, size);
      checkDisjoint('y', y, 'x', xData);
      if (plan) addon!.runPlan(plan, xData, y);
      else refLookup(xData, copy, y);
    },
  };
}

/**
 * cpu.qglobalAveragePool(x, options) for tensors of x's dims, type and quantization, checked once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.qglobalAveragePool does.
 */
export function planQGlobalAveragePoolCall(xIn: QShape, options: Omit<QGlobalAveragePoolOptions, 'out'>): QUnaryPlan {
  const x = checkTensorShape('x', xIn, ['uint8', 'int8']);
  const { type, yq, variant, dims, fields, reference } = checkedPool(x, options);
  const [xSize, size] = [sizeOf(x.dims), sizeOf(dims)];
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQx8GlobalAveragePool({ variant, ...fields, xType: x.type, yType: type });
  return {
    result: { type, dims, ...yq },
    run(xData, y) {
      checkBytes('x', xData, x.type, xSize);
      checkBytes('y', y, type, size);
      checkDisjoint('y', y, 'x', xData);
      if (plan) addon!.runPlan(plan, xData, y);
      else reference(xData, y);
    },
  };
}
