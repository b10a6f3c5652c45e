/**
 * The float32 elementwise tails of CNN layers on kernels/f32-elementwise:
 * activations (clamp, HardSigmoid, HardSwish), Add/Sub/Mul of same-shape
 * tensors or with one operand per row (a [N, C, 1, 1] scale or bias on
 * [N, C, H, W], a scalar) or per column (an [N or 1, 1, 1, C] one on the
 * channels-last [N, H, W, C]) with a fused activation, and GlobalAveragePool
 * of NCHW or NHWC images.
 * Results equal onnxruntime's float32 ones for + - * and the clamps;
 * HardSigmoid/HardSwish round alpha * x and + beta separately as its
 * baseline build does (an FMA build differs by an ulp at most); a mean sums
 * in the kernel header's order (a few roundings from onnxruntime's).
 */
import { refElementwise, refGlobalAveragePool, refGlobalAveragePoolNhwc, type BinaryOp } from '../reference/elementwise.js';
import { resolveActivation, type PointwiseActivation } from '../../ops/activation.js';
import { planBinary } from '../../ops/elementwise.js';
import { checkVariant } from '../../ops/variant.js';
import type { Tensor } from '../../tensor.js';
import { checkOneOf, checkTensor, fail, outputTensor } from '../../validate.js';
import { runAsync, runSync, type CpuCall } from './call.js';

export interface ElementwiseOptions {
  /** Force one f32-elementwise variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the result here: a Float32Array of the result's size sharing no memory with the inputs, or the full input's own data (in place). */
  out?: Float32Array;
}

export interface BinaryOptions extends ElementwiseOptions {
  /** Applied to each result (default none): a clamp ('relu', { min, max }), 'hardswish', 'hardsigmoid' or { kind, alpha, beta, min, max }. */
  activation?: PointwiseActivation;
}

export interface GlobalAveragePoolOptions extends ElementwiseOptions {
  /** 'nchw' (default): x is [N, C, ...spatial]; 'nhwc': x is [N, ...spatial, C] (channels last), the result [N, 1, ..., C]. */
  layout?: 'nchw' | 'nhwc';
}

/** The result on options.out (in place on `full` allowed) or new. */
function result(options: ElementwiseOptions, full: Float32Array, others: Record<string, Float32Array>, dims: readonly number[]): Tensor<'float32'> {
  if (options.out !== undefined && options.out === full) return { type: 'float32', dims: [...dims], data: full };
  return outputTensor(options.out, { ...others, 'x.data': full }, 'float32', dims);
}

function activateCall(xIn: Tensor<'float32'>, activation: PointwiseActivation, options: ElementwiseOptions = {}): CpuCall<Tensor<'float32'>> {
  const x = checkTensor('x', xIn, ['float32']);
  const act = resolveActivation('activation', activation);
  const variant = checkVariant(options);
  const y = result(options, x.data, {}, x.dims);
  const fields = { activation: act.kind, alpha: act.alpha, beta: act.beta, min: act.min, max: act.max };
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.elementwise({ variant, op: 'none', x: x.data, b: null, y: y.data, rows: 1, inner: x.data.length, bRows: 0, bColumns: false, ...fields, async }),
    reference: () => refElementwise('none', x.data, null, y.data, 1, x.data.length, 0, act),
  };
}

/**
 * y = activation(x) elementwise (float32).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function activate(x: Tensor<'float32'>, activation: PointwiseActivation, options?: ElementwiseOptions): Tensor<'float32'> {
  return runSync(activateCall(x, activation, options));
}

export async function activateAsync(x: Tensor<'float32'>, activation: PointwiseActivation, options?: ElementwiseOptions): Promise<Tensor<'float32'>> {
  return runAsync(activateCall(x, activation, options));
}

/** The checked options of a binary call on operands of aDims and bDims (its one-shot and planned forms). */
export function checkedBinary(op: 'add' | 'sub' | 'mul', aDims: readonly number[], bDims: readonly number[], options: BinaryOptions) {
  const plan = planBinary(aDims, bDims);
  if (!plan) fail('b', `dims [${bDims}] must equal a's [${aDims}], or one of them hold one value per leading index of the other ([N, C, 1, 1] on [N, C, H, W]) or per trailing index ([N or 1, 1, 1, C] on [N, H, W, C])`);
  const act = resolveActivation('options.activation', options.activation);
  const variant = checkVariant(options);
  const kernelOp: BinaryOp = plan.swapped && op === 'sub' ? 'rsub' : op;
  const fields = { activation: act.kind, alpha: act.alpha, beta: act.beta, min: act.min, max: act.max };
  return { plan, act, variant, kernelOp, fields };
}

function binaryCall(op: 'add' | 'sub' | 'mul', aIn: Tensor<'float32'>, bIn: Tensor<'float32'>, options: BinaryOptions = {}): CpuCall<Tensor<'float32'>> {
  const a = checkTensor('a', aIn, ['float32']);
  const b = checkTensor('b', bIn, ['float32']);
  const { plan, act, variant, kernelOp, fields } = checkedBinary(op, a.dims, b.dims, options);
  const [full, small] = plan.swapped ? [b.data, a.data] : [a.data, b.data];
  const y = result(options, full, { 'b.data': small }, plan.dims);
  const { rows, inner, bRows, bColumns } = plan;
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.elementwise({ variant, op: kernelOp, x: full, b: small, y: y.data, rows, inner, bRows, bColumns, ...fields, async }),
    reference: () => refElementwise(kernelOp, full, small, y.data, rows, inner, bRows, act, bColumns),
  };
}

/**
 * a + b (float32), then options.activation: b the shape of a, or one value
 * per leading index of a ([1 or N, C, 1, 1] on [N, C, H, W], a scalar), or
 * one row per image ([N or 1, 1, 1, C] on [N, H, W, C]), or the same with a
 * and b swapped.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function add(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Tensor<'float32'> {
  return runSync(binaryCall('add', a, b, options));
}
/** a - b, as add(). */
export function sub(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Tensor<'float32'> {
  return runSync(binaryCall('sub', a, b, options));
}
/** a * b, as add(). */
export function mul(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Tensor<'float32'> {
  return runSync(binaryCall('mul', a, b, options));
}
export async function addAsync(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Promise<Tensor<'float32'>> {
  return runAsync(binaryCall('add', a, b, options));
}
export async function subAsync(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Promise<Tensor<'float32'>> {
  return runAsync(binaryCall('sub', a, b, options));
}
export async function mulAsync(a: Tensor<'float32'>, b: Tensor<'float32'>, options?: BinaryOptions): Promise<Tensor<'float32'>> {
  return runAsync(binaryCall('mul', a, b, options));
}

/** The checked geometry of a pool of x's dims (its one-shot and planned forms): NCHW N * C planes of one column, NHWC N images of C columns. */
export function checkedPool(dims: readonly number[], options: GlobalAveragePoolOptions) {
  const nhwc = checkOneOf('options.layout', options.layout ?? 'nchw', ['nchw', 'nhwc']) === 'nhwc';
  if (dims.length < 3) fail('x', `must have rank >= 3 (${nhwc ? '[N, spatial..., C]' : '[N, C, spatial...]'}), got [${dims}]`);
  const n = dims[0], c = nhwc ? dims[dims.length - 1] : dims[1];
  const spatial = nhwc ? dims.slice(1, -1) : dims.slice(2);
  const plane = spatial.reduce((p, d) => p * d, 1);
  if (plane === 0 && n * c > 0) fail('x', `dims [${dims}] have an empty plane: its mean is undefined`);
  const variant = checkVariant(options);
  const ones = spatial.map(() => 1);
  return { nhwc, n, c, plane, variant, planes: nhwc ? n : n * c, columns: nhwc ? c : 1, dims: nhwc ? [n, ...ones, c] : [n, c, ...ones] };
}

function globalAveragePoolCall(xIn: Tensor<'float32'>, options: GlobalAveragePoolOptions = {}): CpuCall<Tensor<'float32'>> {
  const x = checkTensor('x', xIn, ['float32']);
  const { nhwc, n, c, plane, variant, planes, columns, dims } = checkedPool(x.dims, options);
  const y = outputTensor(options.out, { 'x.data': x.data }, 'float32', dims);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.globalAveragePool({ variant, x: x.data, y: y.data, planes, plane, columns, async }),
    reference: () => (nhwc ? refGlobalAveragePoolNhwc(x.data, y.data, n, plane, c) : refGlobalAveragePool(x.data, y.data, planes, plane)),
  };
}

/**
 * [N, C, ...spatial] -> [N, C, 1, ...]: the mean of each plane, summed in
 * float32 (16 running sums added as a tree, then the tail; see
 * kernels/f32-elementwise/f32-elementwise.h); with options.layout 'nhwc',
 * [N, ...spatial, C] -> [N, 1, ..., C], each channel summed in the same
 * order (equal to the NCHW pool of the transposed image, bit for bit).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function globalAveragePool(x: Tensor<'float32'>, options?: GlobalAveragePoolOptions): Tensor<'float32'> {
  return runSync(globalAveragePoolCall(x, options));
}

export async function globalAveragePoolAsync(x: Tensor<'float32'>, options?: GlobalAveragePoolOptions): Promise<Tensor<'float32'>> {
  return runAsync(globalAveragePoolCall(x, options));
}
