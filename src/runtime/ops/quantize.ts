/** QuantizeLinear / DequantizeLinear (per tensor and per axis) on the exact CPU kernels. */
import { planDequantizeCall, planQuantizeCall, type ElementwisePlan } from '../../backends/cpu/quantize.js';
import type { QType } from '../../tensor.js';
import type { Value } from '../onnx/model.js';
import { asTensor, value } from '../value.js';
import { ModelError } from '../onnx/model.js';
import { readsNchw } from './nhwc.js';
import { input, nodeRun, normalizeAxis, type OpHandler, type PrepareContext } from './op.js';
import { PlanCache } from './plan-cache.js';
import { quantParams } from './quant-params.js';

/** The axis a 1-D scale runs along (attribute `axis`, default 1, from opset 13); per tensor for a scalar scale. */
function axisFor(ctx: PrepareContext, scale: Value, x: Value): number | undefined {
  if (ctx.attributes.has('block_size') && ctx.attributes.int('block_size', 0) !== 0) throw new ModelError('blocked quantization (block_size) is not supported');
  if (scale.dims.length === 0 || (scale.data.length === 1 && scale.dims.length <= 1)) return undefined;
  if (ctx.opset < 13) throw new ModelError(`per-axis scales need opset 13, the model has ${ctx.opset}`);
  return normalizeAxis(ctx.attributes.int('axis', 1), x.dims.length);
}

/** The parameters of x's QuantizeLinear / DequantizeLinear (scale and zero point inputs), as cpu.quantize / cpu.dequantize take them. */
export function linearQuantParams(ctx: PrepareContext, x: { dims: readonly number[] }, scale: Value, zero: Value | undefined, what: 'x' | 'y') {
  const axis = axisFor(ctx, scale, x as Value);
  const q = quantParams(scale, zero, x as Value, axis, what);
  const per = axis === undefined ? { scale: q.scales[0], zeroPoint: q.zeroPoints[0] } : { scale: q.scales, zeroPoint: q.zeroPoints, axis };
  return { q, axis, per };
}

/** QuantizeLinear's output type: its zero point's (default uint8). */
export function quantizedType(zero: Value | undefined): QType {
  if (zero && zero.type !== 'uint8' && zero.type !== 'int8') throw new ModelError(`y_zero_point must be uint8 or int8, got ${zero.type}`);
  return zero?.type === 'int8' ? 'int8' : 'uint8';
}

/** Whether the node's scale and zero point (inputs 1 and 2) are constants: then a plan per input shape runs it. */
function constantParams(ctx: PrepareContext): boolean {
  return ctx.constants[1] !== undefined && ((ctx.node.inputs[2] ?? '') === '' || ctx.constants[2] !== undefined);
}

const quantizeLinear: OpHandler = (ctx) => {
  const plans = constantParams(ctx) ? new PlanCache<ElementwisePlan<Float32Array, Uint8Array | Int8Array>>() : undefined;
  // The layout pass's input edge: x [N, C, H, W] quantized straight into NHWC bytes.
  const channelsLast = readsNchw(ctx.attributes);
  const planFor = (x: Value, scale: Value, zero: Value | undefined) => {
    const type = quantizedType(zero);
    return planQuantizeCall(asTensor(x, ['float32'], 'x'), { type, ...linearQuantParams(ctx, x, scale, zero, 'y').per, channelsLast });
  };
  return nodeRun('quantize', (inputs, allocate) => {
    const x = input(inputs, 0, ['float32']);
    const scale = input(inputs, 1, ['float32']);
    const plan = plans ? plans.get(x.dims, () => planFor(x, scale, inputs[2])) : planFor(x, scale, inputs[2]);
    const { type, dims } = plan.result;
    const y = allocate(type as QType, x.data.length);
    plan.run(x.data as Float32Array, y);
    return [value(type as QType, dims, y)];
  });
};

const dequantizeLinear: OpHandler = (ctx) => {
  const plans = constantParams(ctx) ? new PlanCache<ElementwisePlan<Uint8Array | Int8Array, Float32Array>>() : undefined;
  const planFor = (x: Value, scale: Value, zero: Value | undefined) =>
    planDequantizeCall(asTensor(x, ['uint8', 'int8'], 'x', linearQuantParams(ctx, x, scale, zero, 'x').per));
  return nodeRun('dequantize', (inputs, allocate) => {
    const x = input(inputs, 0, ['uint8', 'int8', 'int32']);
    const scale = input(inputs, 1, ['float32']);
    if (x.type === 'int32') {
      const { q, axis } = linearQuantParams(ctx, x, scale, inputs[2], 'x');
      return [dequantizeInt32(x, q.scales, q.zeroPoints, axis)];
    }
    const plan = plans ? plans.get(x.dims, () => planFor(x, scale, inputs[2])) : planFor(x, scale, inputs[2]);
    const y = allocate('float32', x.data.length);
    plan.run(x.data as Uint8Array | Int8Array, y);
    return [value('float32', x.dims, y)];
  });
};

/** int32 (biases of QDQ models): float32(x - zero point) * scale, as onnxruntime computes it. */
function dequantizeInt32(x: Value, scales: Float32Array, zeroPoints: Int32Array, axis: number | undefined): Value {
  const data = x.data as Int32Array;
  const inner = axis === undefined ? data.length : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = axis === undefined ? 1 : x.dims[axis];
  const y = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    y[i] = Math.fround((data[i] - zeroPoints[c]) | 0) * scales[c];
  }
  return value('float32', x.dims, y);
}

export const QUANTIZE_OPS: Record<string, OpHandler> = { QuantizeLinear: quantizeLinear, DequantizeLinear: dequantizeLinear };
