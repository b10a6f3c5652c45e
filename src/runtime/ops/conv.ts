/**
 * Conv (float32), QLinearConv (uint8 x int8/uint8 -> uint8/int8, requantized
 * as onnxruntime does) and ConvInteger (-> int32): the node's attributes and
 * constants read into a layer for the CPU's conv operator
 * (backends/cpu/conv/operator.ts), which decides the path and packs the
 * weights when the session is created.
 */
import { prepareConv, type ConvLayer, type ConvOperator } from '../../backends/cpu/conv/operator.js';
import type { ConvValue } from '../../backends/cpu/conv/layer.js';
import type { QType } from '../../tensor.js';
import type { Allocate } from '../buffers.js';
import type { Value } from '../onnx/model.js';
import { asTensor } from '../value.js';
import { checkChannels, convRunGeometry, outputDims, windowAttributes, type WindowAttributes } from './conv-attributes.js';
import { ModelError } from '../onnx/model.js';
import { fusedActivation, fusedPool, input, nodeRun, type OpHandler, type PrepareContext } from './op.js';
import { resolveActivation } from '../../ops/activation.js';
import { applyPostOp, fusedPostOp, RESIDUAL_INPUT } from './post-op.js';
import { nhwcResidual, prepareNhwcConv } from './conv-nhwc.js';
import { isNhwc } from './nhwc.js';
import { activationQuantReader, quantParam, quantParams } from './quant-params.js';

function groupOf(ctx: PrepareContext): number {
  const g = ctx.attributes.int('group', 1);
  if (!Number.isSafeInteger(g) || g < 1) throw new ModelError(`attribute group must be a positive integer, got ${g}`);
  return g;
}

/** A Conv's float32 bias input, one value per output channel of `w`. */
function floatBias(b: Value | undefined, w: Value): Float32Array | undefined {
  if (b === undefined) return undefined;
  const bias = asTensor(b, ['float32'], 'bias').data;
  if (bias.length !== w.dims[0]) throw new ModelError(`bias has ${bias.length} values for ${w.dims[0]} output channels`);
  return bias;
}

/** The operator for a layer, once the group is checked against the weight's output channels. */
function operator<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>): ConvOperator {
  const oc = layer.weights.dims[0];
  if (oc % layer.group !== 0) throw new ModelError(`group ${layer.group} must divide the ${oc} output channels`);
  return prepareConv(layer);
}

/** Runs `op` on `x` in the node's own rank (1-D convs run as 2-D of height 1). */
function runOperator(op: ConvOperator, x: Value, xQuant: { scale?: number; zeroPoint?: number }, window: WindowAttributes, groups: number, allocate: Allocate): Value {
  const { dims, geometry } = convRunGeometry(window, x.dims, groups);
  const y = op.run({ type: x.type as 'float32' | 'uint8', dims, data: x.data as ConvValue<'float32' | 'uint8'>['data'] }, xQuant, geometry, allocate);
  const [n, oc, oh, ow] = y.dims;
  return { type: y.type, dims: outputDims(window, n, oc, oh, ow), data: y.data };
}

const conv: OpHandler = (ctx) => {
  const groups = groupOf(ctx);
  // A post-op: HardSwish / HardSigmoid in the conv operator's call (the direct kernels apply it to
  // each task's rows in cache); a residual add (then the activation) after it, in place.
  const post = fusedPostOp(ctx.attributes);
  const activation = post ? 'none' : fusedActivation(ctx.attributes) ?? 'none';
  const postActivation = post && !post.residual ? resolveActivation('post-op', post.activation) : undefined;
  const pool = fusedPool(ctx.attributes);
  const layer = (w: Value, b: Value | undefined, window: WindowAttributes, path: 'auto' | 'im2col'): ConvLayer<'float32'> => {
    const wt = asTensor(w, ['float32'], 'weight');
    return { weights: { type: 'float32', dims: wt.dims, data: wt.data }, window, group: groups, output: 'float32', bias: floatBias(b, w), activation, postActivation, pool, sparse: ctx.policy.sparse, path };
  };
  const [, wConst, bConst] = ctx.constants;
  const hasBias = (ctx.node.inputs[2] ?? '') !== '';
  // Constant weights (every exported model) are packed now; others, on the
  // im2col path (not worth packing for the direct kernels), on every run.
  const constant = wConst && (!hasBias || bConst);
  const window = constant ? windowAttributes(ctx.attributes, wConst.dims.slice(2)) : undefined;
  if (isNhwc(ctx.attributes)) {
    if (!constant) throw new ModelError('an NHWC conv needs constant weights (and bias)');
    const nhwc = prepareNhwcConv(layer(wConst, bConst, window!, 'auto'), window!);
    return nodeRun(nhwc.label, (inputs, allocate) => {
      const y = nhwc.run(input(inputs, 0, ['float32']), {}, allocate);
      return [post?.residual ? applyPostOp(post, y, nhwcResidual(y, inputs[RESIDUAL_INPUT])) : y];
    });
  }
  const fixed = constant ? operator(layer(wConst, bConst, window!, 'auto')) : undefined;
  return nodeRun(fixed?.label ?? 'conv', (inputs, allocate) => {
    const x = input(inputs, 0, ['float32']);
    const w = input(inputs, 1, ['float32']);
    checkChannels(x, w, groups);
    const runWindow = window ?? windowAttributes(ctx.attributes, w.dims.slice(2));
    const y = runOperator(fixed ?? operator(layer(w, inputs[2], runWindow, 'im2col')), x, {}, runWindow, groups, allocate);
    return [post?.residual ? applyPostOp(post, y, inputs[RESIDUAL_INPUT]) : y];
  });
};

/** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B). */
const qlinearConv: OpHandler = (ctx) => {
  const groups = groupOf(ctx);
  const c = ctx.constants;
  const wConst = c[3];
  if (!wConst) throw new ModelError('the weight must be a constant');
  const wq = quantParams(c[4], c[5], wConst, 0, 'weight');
  const yScale = quantParam(c[6], 'y_scale');
  const yZero = c[7];
  const outType: QType = yZero?.type === 'int8' ? 'int8' : 'uint8';
  const bias = c[8] ? asTensor(c[8], ['int32'], 'B').data : undefined;
  if (ctx.node.inputs[8] && !c[8]) throw new ModelError('the bias must be a constant');
  const window = windowAttributes(ctx.attributes, wConst.dims.slice(2));
  const layer: ConvLayer<'int8' | 'uint8'> = {
    weights: { type: wConst.type as 'int8' | 'uint8', dims: wConst.dims, data: wConst.data as Int8Array, scales: wq.scales, zeroPoints: wq.zeroPoints },
    window, group: groups, output: outType, outScale: yScale.scale, outZeroPoint: yZero ? Number(yZero.data[0]) : 0, bias,
    activation: fusedActivation(ctx.attributes) ?? 'none', pool: fusedPool(ctx.attributes), sparse: ctx.policy.sparse,
  };
  const xQuantOf = activationQuantReader('x');
  if (isNhwc(ctx.attributes)) {
    const nhwc = prepareNhwcConv(layer, window);
    return nodeRun(nhwc.label, (inputs, allocate) => {
      const x = input(inputs, 0, ['uint8']);
      return [nhwc.run(x, xQuantOf(inputs[1], inputs[2], x), allocate)];
    });
  }
  const op = operator(layer);
  return nodeRun(op.label, (inputs, allocate) => {
    const x = input(inputs, 0, ['uint8']);
    checkChannels(x, wConst, groups);
    return [runOperator(op, x, xQuantOf(inputs[1], inputs[2], x), window, groups, allocate)];
  });
};

/** ConvInteger(x, w, x_zp, w_zp) -> int32. */
const convInteger: OpHandler = (ctx) => {
  if (isNhwc(ctx.attributes)) throw new ModelError('ConvInteger runs NCHW only');
  const groups = groupOf(ctx);
  const [, wConst, , wZeroConst] = ctx.constants;
  if (!wConst) throw new ModelError('the weight must be a constant');
  const zp = wZeroConst ? Int32Array.from(wZeroConst.data as Int8Array) : undefined;
  if (zp && zp.length !== 1 && zp.length !== wConst.dims[0]) throw new ModelError(`w_zero_point has ${zp.length} values for ${wConst.dims[0]} output channels`);
  // qgemm needs scales to carry per-channel zero points; int32 output ignores them.
  const scales = new Float32Array(zp?.length ?? 1).fill(1);
  const window = windowAttributes(ctx.attributes, wConst.dims.slice(2));
  const op = operator({
    weights: { type: wConst.type as 'int8' | 'uint8', dims: wConst.dims, data: wConst.data as Int8Array, scales, zeroPoints: zp },
    window, group: groups, output: 'int32', sparse: ctx.policy.sparse,
  });
  return nodeRun(op.label, (inputs, allocate) => {
    const x = input(inputs, 0, ['uint8']);
    checkChannels(x, wConst, groups);
    const xZero = inputs[2] ? Number(inputs[2].data[0]) : 0;
    return [runOperator(op, x, { scale: 1, zeroPoint: xZero }, window, groups, allocate)];
  });
};

export const CONV_OPS: Record<string, OpHandler> = { Conv: conv, QLinearConv: qlinearConv, ConvInteger: convInteger };
