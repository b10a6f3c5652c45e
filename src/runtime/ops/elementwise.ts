/**
 * Elementwise operators: the broadcasting arithmetic (float32 for layers,
 * int32/int64 for the shape arithmetic exporters emit), the activations and
 * Softmax. Float32 Add/Sub/Mul of same-shape tensors or with one operand per
 * row ([N, C, 1, 1] on [N, C, H, W], a scalar) or per column ([N, 1, 1, C]
 * on NHWC [N, H, W, C]), and Relu, Clip, HardSigmoid and HardSwish run on
 * the native f32-elementwise kernels, in float32 as onnxruntime computes
 * them, each planned once per input shape (backends/cpu/elementwise-plan.ts:
 * a run makes one native call on its arrays). Everything else is computed
 * here in double and stored into a Float32Array; for + - * / that is the
 * correctly rounded float32 result too. Kernels never write their inputs.
 *
 * None of them depends on the layout: where the layout pass moved a node to
 * NHWC, its operands are all channels-last (constants rewritten to
 * [1, 1, 1, C]), so broadcasting them is the same arithmetic. Softmax, whose
 * axis would change meaning, runs NCHW only.
 */
import { planActivateCall, planBinaryCall, type BinaryPlan, type UnaryPlan } from '../../backends/cpu/elementwise-plan.js';
import type { PointwiseActivation } from '../../ops/activation.js';
import { planBinary } from '../../ops/elementwise.js';
import { sizeOf, type Tensor } from '../../tensor.js';
import type { Value } from '../onnx/model.js';
import { value } from '../value.js';
import { broadcastApply, broadcastDims, callbackRows, type Rows } from './broadcast.js';
import { ModelError } from '../onnx/model.js';
import { isNhwc } from './nhwc.js';
import { input, nodeRun, normalizeAxis, scalar, type Attributes, type OpHandler } from './op.js';
import { PlanCache } from './plan-cache.js';

// Float32 rows are written out per operator so each loop has its arithmetic inline (a callback per element is ~5x slower).
const ADD: Rows<Float32Array> = {
  both: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = a[ia + i] + b[ib + i]; },
  aFixed: (out, o, a, ia, b, ib, n) => { const x = a[ia]; for (let i = 0; i < n; i++) out[o + i] = x + b[ib + i]; },
  bFixed: (out, o, a, ia, b, ib, n) => { const y = b[ib]; for (let i = 0; i < n; i++) out[o + i] = a[ia + i] + y; },
};
const SUB: Rows<Float32Array> = {
  both: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = a[ia + i] - b[ib + i]; },
  aFixed: (out, o, a, ia, b, ib, n) => { const x = a[ia]; for (let i = 0; i < n; i++) out[o + i] = x - b[ib + i]; },
  bFixed: (out, o, a, ia, b, ib, n) => { const y = b[ib]; for (let i = 0; i < n; i++) out[o + i] = a[ia + i] - y; },
};
const MUL: Rows<Float32Array> = {
  both: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = a[ia + i] * b[ib + i]; },
  aFixed: (out, o, a, ia, b, ib, n) => { const x = a[ia]; for (let i = 0; i < n; i++) out[o + i] = x * b[ib + i]; },
  bFixed: (out, o, a, ia, b, ib, n) => { const y = b[ib]; for (let i = 0; i < n; i++) out[o + i] = a[ia + i] * y; },
};
const DIV: Rows<Float32Array> = {
  both: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = a[ia + i] / b[ib + i]; },
  aFixed: (out, o, a, ia, b, ib, n) => { const x = a[ia]; for (let i = 0; i < n; i++) out[o + i] = x / b[ib + i]; },
  bFixed: (out, o, a, ia, b, ib, n) => { const y = b[ib]; for (let i = 0; i < n; i++) out[o + i] = a[ia + i] / y; },
};

function divisor<T extends number | bigint>(y: T): T {
  // onnxruntime's integer Div is C++ '/', undefined (a crash) for 0; an error here.
  if (y == 0) throw new ModelError('integer division by zero');
  return y;
}

/** The ops the native f32-elementwise kernels run, by label. */
const NATIVE_BINARY = new Set(['add', 'sub', 'mul']);

/** Add/Sub/Mul/Div: both inputs of one type, broadcast multidirectionally; integer Div truncates toward zero as C++ does. */
function arithmetic(label: string, float: Rows<Float32Array>, int32: (x: number, y: number) => number, int64: (x: bigint, y: bigint) => bigint): OpHandler {
  const native = NATIVE_BINARY.has(label) ? (label as 'add' | 'sub' | 'mul') : undefined;
  const i32 = callbackRows<Int32Array, number>(int32);
  const i64 = callbackRows<BigInt64Array, bigint>(int64);
  return () => {
    // Per pair of float32 input shapes: the planned kernel call, or null for a broadcast the kernels do not run.
    const plans = new PlanCache<BinaryPlan | null>();
    const planFor = (a: Value, b: Value) => (native && planBinary(a.dims, b.dims) ? planBinaryCall(native, a as Tensor<'float32'>, b as Tensor<'float32'>) : null);
    return nodeRun(label, (inputs, allocate) => {
      const a = input(inputs, 0, ['float32', 'int32', 'int64']);
      const b = input(inputs, 1);
      if (b.type !== a.type) throw new ModelError(`inputs must have one type, got ${a.type} and ${b.type}`);
      const plan = a.type === 'float32' ? plans.get(a.dims, () => planFor(a, b), b.dims) : null;
      // The native kernels write every element, so they take a pooled (dirty) buffer.
      if (plan) {
        const { dims } = plan.result;
        const y = value('float32', dims, allocate('float32', sizeOf(dims)));
        plan.run(a.data as Float32Array, b.data as Float32Array, y.data);
        return [y];
      }
      const dims = broadcastDims(a.dims, b.dims);
      const out = value(a.type, dims);
      if (a.type === 'float32') broadcastApply(a.dims, b.dims, a.data as Float32Array, b.data as Float32Array, out.data as Float32Array, float);
      else if (a.type === 'int32') broadcastApply(a.dims, b.dims, a.data as Int32Array, b.data as Int32Array, out.data as Int32Array, i32);
      else broadcastApply(a.dims, b.dims, a.data as BigInt64Array, b.data as BigInt64Array, out.data as BigInt64Array, i64);
      return [out];
    });
  };
}

type FloatMap = (x: Float32Array, y: Float32Array) => void;

/** A float32 activation whose loop `prepare` builds from the node's attributes. */
function activation(label: string, prepare: (a: Attributes) => FloatMap): OpHandler {
  return ({ attributes }) => {
    const map = prepare(attributes);
    return nodeRun(label, (inputs) => {
      const x = input(inputs, 0, ['float32']);
      const y = value('float32', x.dims);
      map(x.data as Float32Array, y.data);
      return [y];
    });
  };
}

/** A float32 activation on the native kernels (planned once per input shape), its parameters read from the node's attributes. */
function nativeActivation(label: string, prepare: (a: Attributes) => PointwiseActivation): OpHandler {
  return ({ attributes }) => {
    const activation = prepare(attributes);
    const plans = new PlanCache<UnaryPlan>();
    return nodeRun(label, (inputs, allocate) => {
      const x = input(inputs, 0, ['float32']);
      const plan = plans.get(x.dims, () => planActivateCall(x as Tensor<'float32'>, activation));
      const y = value('float32', x.dims, allocate('float32', x.data.length));
      plan.run(x.data as Float32Array, y.data);
      return [y];
    });
  };
}

/** Clip's bounds: attributes before opset 11, optional scalar inputs of the input's type from 11 (omitted: unbounded). */
const clip: OpHandler = ({ opset, attributes, constants }) => {
  const fixed = opset < 11 ? [attributes.float('min', -3.4028234663852886e38), attributes.float('max', 3.4028234663852886e38)] : undefined;
  const bounds = (inputs: readonly (Value | undefined)[]) => [1, 2].map((i) => (inputs[i] === undefined ? (i === 1 ? -Infinity : Infinity) : scalar(inputs[i]!, i === 1 ? 'min' : 'max')));
  // Bounds known at creation are checked there.
  if (!fixed) bounds(constants);
  // Per input shape and bounds (run-time bounds may change between runs).
  const plans = new PlanCache<UnaryPlan>();
  return nodeRun('clip', (inputs, allocate) => {
    const x = input(inputs, 0, ['float32', 'int32', 'int8', 'uint8', 'int64']);
    if (!fixed) for (const i of [1, 2]) if (inputs[i] !== undefined && inputs[i]!.type !== x.type) throw new ModelError(`input ${i} must be ${x.type} like input 0, got ${inputs[i]!.type}`);
    const [lo, hi] = fixed ?? bounds(inputs);
    if (x.type === 'float32' && lo <= hi) {
      const plan = plans.get(x.dims, () => planActivateCall(x as Tensor<'float32'>, { min: lo, max: hi }), [lo, hi]);
      const y = value('float32', x.dims, allocate('float32', x.data.length));
      plan.run(x.data as Float32Array, y.data);
      return [y];
    }
    const y = value(x.type, x.dims);
    if (x.type === 'int64') {
      const xs = x.data as BigInt64Array, ys = y.data as BigInt64Array;
      const l = BigInt(Math.max(lo, -(2 ** 63))), h = BigInt(Math.min(hi, 2 ** 63));
      for (let i = 0; i < xs.length; i++) ys[i] = xs[i] < l ? l : xs[i] > h ? h : xs[i];
    } else {
      const xs = x.data as Float32Array, ys = y.data as Float32Array;
      // min(max(x, lo), hi) as onnxruntime computes it: lo > hi gives hi everywhere.
      for (let i = 0; i < xs.length; i++) ys[i] = Math.min(Math.max(xs[i], lo), hi);
    }
    return [y];
  });
};

/**
 * Softmax over `axis`. Before opset 13 the input is coerced to 2-D
 * [dims before axis, dims from axis on] and each row is normalized (axis
 * default 1); from 13 only the one axis is (default -1).
 */
const softmax: OpHandler = ({ opset, attributes }) => {
  if (isNhwc(attributes)) throw new ModelError('Softmax runs NCHW only');
  const coerced = opset < 13;
  const axisAttr = attributes.int('axis', coerced ? 1 : -1);
  return nodeRun('softmax', (inputs) => {
    const x = input(inputs, 0, ['float32']);
    const rank = x.dims.length;
    if (rank === 0) throw new ModelError('input must have rank >= 1');
    const axis = normalizeAxis(axisAttr, rank);
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = coerced ? sizeOf(x.dims.slice(axis)) : x.dims[axis];
    const inner = coerced ? 1 : sizeOf(x.dims.slice(axis + 1));
    const y = value('float32', x.dims);
    softmaxRows(x.data as Float32Array, y.data, outer, n, inner);
    return [y];
  });
};

/** Softmax of the `n` values at stride `inner` in each of outer * inner lines, shifted by their max so exp cannot overflow. */
function softmaxRows(x: Float32Array, y: Float32Array, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const start = o * n * inner + j;
      const end = start + n * inner;
      let max = -Infinity;
      for (let i = start; i < end; i += inner) if (x[i] > max) max = x[i];
      let sum = 0;
      for (let i = start; i < end; i += inner) sum += (y[i] = Math.exp(x[i] - max));
      for (let i = start; i < end; i += inner) y[i] /= sum;
    }
  }
}

export const ELEMENTWISE_OPS: Record<string, OpHandler> = {
  Add: arithmetic('add', ADD, (x, y) => x + y, (x, y) => x + y),
  Sub: arithmetic('sub', SUB, (x, y) => x - y, (x, y) => x - y),
  Mul: arithmetic('mul', MUL, Math.imul, (x, y) => x * y),
  Div: arithmetic('div', DIV, (x, y) => Math.trunc(x / divisor(y)), (x, y) => x / divisor(y)),
  Clip: clip,
  Softmax: softmax,
  Relu: nativeActivation('relu', () => 'relu'),
  LeakyRelu: activation('leaky-relu', (a) => {
    const alpha = a.float('alpha', 0.01);
    return (x, y) => { for (let i = 0; i < x.length; i++) y[i] = x[i] >= 0 ? x[i] : alpha * x[i]; };
  }),
  // 1 / (1 + e^-x) in double: e^-x overflows to Infinity only below x = -709, where the result's limit 0 comes out exactly.
  Sigmoid: activation('sigmoid', () => (x, y) => { for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i])); }),
  HardSigmoid: nativeActivation('hard-sigmoid', (a) => ({ kind: 'hardsigmoid', alpha: a.float('alpha', 0.2), beta: a.float('beta', 0.5) })),
  HardSwish: nativeActivation('hard-swish', () => 'hardswish'),
  Tanh: activation('tanh', () => (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]); }),
  Neg: activation('neg', () => (x, y) => { for (let i = 0; i < x.length; i++) y[i] = -x[i]; }),
  Sqrt: activation('sqrt', () => (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]); }),
  Exp: activation('exp', () => (x, y) => { for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]); }),
};
