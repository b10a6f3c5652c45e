/**
 * Conv (float32), QLinearConv (uint8 x int8/uint8 -> uint8/int8, requantized
 * as onnxruntime does) and ConvInteger (-> int32) on the shared conv engine.
 * Weights are packed when the session is created.
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { QType, Tensor } from '../../tensor.js';
import type { Value } from '../onnx/model.js';
import { asTensor } from '../value.js';
import { as4d, windowAttributes } from './conv-attributes.js';
import { maxPoolValue, prepareDirectConv, runDirectConv } from './conv-direct.js';
import { prepareConvWeights, runConv, type ConvWeights } from './conv-engine.js';
import { fusedActivation, fusedPool, input, nodeRun, ModelError, type OpHandler, type PrepareContext } from './op.js';
import { activationQuantReader, quantParam, quantParams } from './quant-params.js';

/** Pixels per image the sparse/dense choice assumes before any input is seen (a CIFAR-sized feature map). */
const TYPICAL_PIXELS = 256;

function groupOf(ctx: PrepareContext): number {
  const g = ctx.attributes.int('group', 1);
  if (!Number.isSafeInteger(g) || g < 1) throw new ModelError(`attribute group must be a positive integer, got ${g}`);
  return g;
}

function checkChannels(x: Value, w: Value, groups: number): void {
  const c = x.dims[1];
  if (w.dims[1] * groups !== c) throw new ModelError(`weight [${w.dims}] with group ${groups} expects ${w.dims[1] * groups} input channels, got ${c}`);
}

/** A Conv's float32 bias input, one value per output channel of `w`. */
function floatBias(b: Value | undefined, w: Value): Float32Array | undefined {
  if (b === undefined) return undefined;
  const bias = asTensor(b, ['float32'], 'bias').data;
  if (bias.length !== w.dims[0]) throw new ModelError(`bias has ${bias.length} values for ${w.dims[0]} output channels`);
  return bias;
}

const conv: OpHandler = (ctx) => {
  const groups = groupOf(ctx);
  const activation = fusedActivation(ctx.attributes) ?? 'none';
  const pool = fusedPool(ctx.attributes);
  const prepare = (w: Value, b: Value | undefined): ConvWeights => {
    const wt = asTensor(w, ['float32'], 'weight');
    const bias = floatBias(b, w);
    const oc = w.dims[0], ocg = oc / groups;
    return prepareConvWeights({ type: 'float32', dims: wt.dims, data: wt.data }, groups, ctx.policy.sparse ? { bias, columns: TYPICAL_PIXELS } : null, (packed) =>
      (rows, g) => cpu.gemm(rows as Tensor<'float32'>, packed[g], { bias: bias?.subarray(g * ocg, (g + 1) * ocg), activation }));
  };
  const [, wConst, bConst] = ctx.constants;
  const hasBias = (ctx.node.inputs[2] ?? '') !== '';
  // Constant weights (every exported model) are packed now, for the direct
  // kernel when it applies, else for im2col; others on every run.
  const constant = wConst && (!hasBias || bConst);
  const window = constant ? windowAttributes(ctx.attributes, wConst.dims.slice(2)) : undefined;
  const bias = constant ? floatBias(bConst, wConst) : undefined;
  const direct = constant ? prepareDirectConv({ type: 'float32', dims: wConst.dims, data: asTensor(wConst, ['float32'], 'weight').data }, groups, window!, ctx.policy.sparse) : undefined;
  const fixed = constant && !direct ? prepare(wConst, bConst) : undefined;
  const label = direct?.label ?? (fixed?.sparse ? `conv-${fixed.sparse.kernel}` : 'conv');
  return nodeRun(label, (inputs, allocate) => {
    const x = input(inputs, 0, ['float32']);
    const w = input(inputs, 1, ['float32']);
    checkChannels(x, w, groups);
    if (direct) return [runDirectConv(direct, x, {}, window!, { bias, activation, pool }, allocate)!];
    const weights = fixed ?? prepare(w, inputs[2]);
    return [maxPoolValue(runConv(x, {}, weights, window ?? windowAttributes(ctx.attributes, w.dims.slice(2)), 'float32', { activation }), pool)];
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
  const activation = fusedActivation(ctx.attributes) ?? 'none';
  const pool = fusedPool(ctx.attributes);
  const window = windowAttributes(ctx.attributes, wConst.dims.slice(2));
  const outZeroPoint = yZero ? Number(yZero.data[0]) : 0;
  // Dense qgemm options and the sparse run options differ only in the bias (linear() holds it).
  const output = { output: outType, outScale: yScale.scale, outZeroPoint, activation } as const;
  const source = { type: wConst.type as 'int8' | 'uint8', dims: wConst.dims, data: wConst.data as Int8Array, scales: wq.scales, zeroPoints: wq.zeroPoints };
  const direct = prepareDirectConv(source, groups, window, ctx.policy.sparse);
  const xQuantOf = activationQuantReader('x');
  // The im2col path: every layer the direct kernel does not take, and a direct one whose input zero point makes its sums inexact.
  let im2col: ConvWeights | undefined;
  const im2colWeights = () => (im2col ??= prepareConvWeights(source, groups, ctx.policy.sparse ? { bias, columns: TYPICAL_PIXELS } : null, (packed) => (rows, g) =>
    cpu.qgemm(rows as Tensor<'uint8'>, packed[g], { ...output, bias: bias?.subarray(g * (wConst.dims[0] / groups), (g + 1) * (wConst.dims[0] / groups)) })));
  if (!direct) im2colWeights();
  return nodeRun(direct?.label.replace('conv', 'qconv') ?? (im2col!.sparse ? `qconv-${im2col!.sparse.kernel}` : 'qconv'), (inputs, allocate) => {
    const x = input(inputs, 0, ['uint8']);
    checkChannels(x, wConst, groups);
    const xQuant = xQuantOf(inputs[1], inputs[2], x);
    const y = direct && runDirectConv(direct, x, xQuant, window, { ...output, bias, pool }, allocate);
    return [y || maxPoolValue(runConv(x, xQuant, im2colWeights(), window, outType, output), pool)];
  });
};

/** ConvInteger(x, w, x_zp, w_zp) -> int32. */
const convInteger: OpHandler = (ctx) => {
  const groups = groupOf(ctx);
  const [, wConst, , wZeroConst] = ctx.constants;
  if (!wConst) throw new ModelError('the weight must be a constant');
  const zp = wZeroConst ? Int32Array.from(wZeroConst.data as Int8Array) : undefined;
  if (zp && zp.length !== 1 && zp.length !== wConst.dims[0]) throw new ModelError(`w_zero_point has ${zp.length} values for ${wConst.dims[0]} output channels`);
  // qgemm needs scales to carry per-channel zero points; int32 output ignores them.
  const scales = new Float32Array(zp?.length ?? 1).fill(1);
  const window = windowAttributes(ctx.attributes, wConst.dims.slice(2));
  const source = { type: wConst.type as 'int8' | 'uint8', dims: wConst.dims, data: wConst.data as Int8Array, scales, zeroPoints: zp };
  const direct = prepareDirectConv(source, groups, window, ctx.policy.sparse);
  let im2col: ConvWeights | undefined;
  const im2colWeights = () => (im2col ??= prepareConvWeights(source, groups, null, (packed) => (rows, g) => cpu.qgemm(rows as Tensor<'uint8'>, packed[g])));
  return nodeRun(direct?.label.replace('conv', 'qconv') ?? 'qconv-int32', (inputs, allocate) => {
    const x = input(inputs, 0, ['uint8']);
    checkChannels(x, wConst, groups);
    const xZero = inputs[2] ? Number(inputs[2].data[0]) : 0;
    as4d(x.dims, window);
    const xQuant = { scale: 1, zeroPoint: xZero };
    const y = direct && runDirectConv(direct, x, xQuant, window, { output: 'int32' }, allocate);
    return [y || runConv(x, xQuant, im2colWeights(), window, 'int32', {})];
  });
};

export const CONV_OPS: Record<string, OpHandler> = { Conv: conv, QLinearConv: qlinearConv, ConvInteger: convInteger };
