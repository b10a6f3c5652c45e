/**
 * Conv (float32) and QLinearConv on the GPU, with constant weights. A
 * group-1 conv: im2col rows [N*OH*OW, K], one gemm/qgemm against W' [K, OC]
 * uploaded once (bias and the fused clamp in its epilogue), then a
 * transpose of each image's [OH*OW, OC] block to NCHW. A float conv with
 * group > 1 (depthwise, grouped): one dwconv2d dispatch on the weights as
 * ONNX stores them, bias and clamp fused, NCHW out. Then the MaxPool a pass
 * fused into the conv, if any (on the GPU's maxPool: fusing it into the
 * GEMM would save little next to it), or the post-op (residual add,
 * HardSwish, HardSigmoid: post-op.ts). Grouped QLinearConv runs on the CPU.
 * Weights are always dense here: the GPU has no sparse conv path yet, so a
 * pruned layer the CPU would run on a sparse kernel runs dense.
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import type { GpuMaxPoolOptions } from '../../backends/webgpu/maxpool.js';
import { convGeometry } from '../../ops/im2col.js';
import { tensor, type QType, type QuantParams } from '../../tensor.js';
import type { Value } from '../onnx/model.js';
import { checkChannels, convRunGeometry, outputDims, windowAttributes, type WindowAttributes } from '../ops/conv-attributes.js';
import { FUSED_POOL_KERNEL, FUSED_POOL_STRIDES, fusedActivation, fusedPool, type PrepareContext } from '../ops/op.js';
import { quantParam, quantParams } from '../ops/quant-params.js';
import { gpuInput0, shaped, type GpuInput, type GpuNodeRun, type GpuOpHandler } from './node-run.js';
import { epilogueClamp, withPostOp } from './post-op.js';

/**
 * The attributes of the MaxPool passes/fuse-maxpool.ts moves into a conv,
 * which the GPU conv runs after its GEMM. The executor runs a node with any
 * other sparq fusion attribute on the CPU.
 */
export const POOL_FUSION = [FUSED_POOL_KERNEL, FUSED_POOL_STRIDES] as const;

/** Whether the node is a group-1 conv (the GEMM takes one weight block). */
function ungrouped(ctx: PrepareContext): boolean {
  return ctx.attributes.int('group', 1) === 1;
}

/** The fused MaxPool, if any, of a conv's NCHW result (which it disposes). */
async function pooled(gpu: WebGpuBackend, y: GpuTensor, pool: GpuMaxPoolOptions | undefined): Promise<GpuTensor> {
  if (!pool) return y;
  try {
    return await gpu.maxPool(y as GpuTensor<'float32'>, pool);
  } finally {
    y.dispose();
  }
}

/** [OC, C*KH*KW] -> W' [K, OC] (the GEMM's B), on the native transpose. */
function transposedWeight<T extends 'float32' | 'int8' | 'uint8'>(w: Value, type: T) {
  const oc = w.dims[0];
  return cpu.transpose(tensor(type, [oc, w.data.length / oc], w.data as never));
}

/** The convolution of NCHW x: im2col, `product` of the rows ([rows, K] -> [rows, OC]), NCHW, the fused pool. */
async function convolve(gpu: WebGpuBackend, x: GpuInput, window: WindowAttributes, quant: QuantParams, oc: number,
  pool: GpuMaxPoolOptions | undefined, product: (rows: GpuTensor) => Promise<GpuTensor>): Promise<GpuTensor> {
  const { dims, geometry: options } = convRunGeometry(window, x.dims);
  const [n] = dims;
  const { outH, outW } = convGeometry(dims, options);
  const col = await gpu.im2col(shaped(x, dims, quant) as GpuTensor<'float32' | 'uint8'>, options);
  let y: GpuTensor;
  try {
    y = await product(col.view(col.dims.slice(1)));
  } finally {
    col.dispose();
  }
  let nchw: GpuTensor;
  try {
    nchw = (await gpu.transpose(y.view([n, outH * outW, oc]))).view(outputDims(window, n, oc, outH, outW));
  } finally {
    y.dispose();
  }
  return pooled(gpu, nchw, pool);
}

/** A float conv with group > 1 on dwconv2d: the weights uploaded as stored, [OC, C/group, KH, KW] (1-D kernels as 1 x K). */
function groupedConv(ctx: PrepareContext, gpu: WebGpuBackend, w: Value, bias: Float32Array | undefined): GpuNodeRun {
  const group = ctx.attributes.int('group', 1);
  const window = windowAttributes(ctx.attributes, w.dims.slice(2));
  const activation = epilogueClamp(ctx.attributes);
  const pool = fusedPool(ctx.attributes);
  const [oc, cpg] = w.dims;
  const weights = gpu.upload(tensor('float32', [oc, cpg, ...window.kernel], w.data as Float32Array));
  return {
    label: 'gpu:dwconv',
    run: async ([xIn]) => {
      const x = gpuInput0(xIn, ['float32']);
      checkChannels(x, w, group);
      const { dims, geometry } = convRunGeometry(window, x.dims, group);
      const { strides, pads, dilations } = geometry;
      const y = await gpu.dwconv2d(shaped(x, dims) as GpuTensor<'float32'>, weights, { strides, pads, dilations, group, bias, activation });
      return pooled(gpu, y.view(outputDims(window, dims[0], oc, y.dims[2], y.dims[3])), pool);
    },
    dispose: () => weights.dispose(),
  };
}

export const gpuConv: GpuOpHandler = (ctx, gpu) => {
  const [, w, b] = ctx.constants;
  if (!w || ((ctx.node.inputs[2] ?? '') !== '' && !b)) return undefined;
  if (!ungrouped(ctx)) return withPostOp(groupedConv(ctx, gpu, w, b?.data as Float32Array | undefined), ctx.attributes, gpu);
  const window = windowAttributes(ctx.attributes, w.dims.slice(2));
  const activation = epilogueClamp(ctx.attributes);
  const pool = fusedPool(ctx.attributes);
  const bias = b?.data as Float32Array | undefined;
  const weights = gpu.upload(transposedWeight(w, 'float32'));
  return withPostOp({
    label: 'gpu:conv',
    run: ([xIn]) => {
      const x = gpuInput0(xIn, ['float32']);
      checkChannels(x, w, 1);
      return convolve(gpu, x, window, {}, w.dims[0], pool, (rows) => gpu.gemm(rows as GpuTensor<'float32'>, weights, { bias, activation }));
    },
    dispose: () => weights.dispose(),
  }, ctx.attributes, gpu);
};

/** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B), with x's scale and zero point constant too. */
export const gpuQLinearConv: GpuOpHandler = (ctx, gpu) => {
  const c = ctx.constants;
  const w = c[3]!;
  if (!c[1] || ((ctx.node.inputs[2] ?? '') !== '' && !c[2]) || !ungrouped(ctx)) return undefined;
  let xq: ReturnType<typeof quantParams>;
  try {
    // Per run on the CPU: a bad x_scale is reported there, when the node runs.
    xq = quantParams(c[1], c[2], w, undefined, 'x');
  } catch {
    return undefined;
  }
  const wq = quantParams(c[4], c[5], w, 0, 'weight');
  const outType: QType = c[7]?.type === 'int8' ? 'int8' : 'uint8';
  const options = {
    output: outType, outScale: quantParam(c[6], 'y_scale').scale, outZeroPoint: c[7] ? Number(c[7].data[0]) : 0,
    activation: fusedActivation(ctx.attributes) ?? 'none', bias: c[8]?.data as Int32Array | undefined,
  } as const;
  const window = windowAttributes(ctx.attributes, w.dims.slice(2));
  const pool = fusedPool(ctx.attributes);
  const perChannel = wq.scales.length > 1;
  const wt = transposedWeight(w, w.type as 'int8' | 'uint8');
  const packed = gpu.packWeights(tensor(wt.type, wt.dims, wt.data,
    perChannel ? { scale: wq.scales, zeroPoint: wq.zeroPoints, axis: 1 } : { scale: wq.scales[0], zeroPoint: wq.zeroPoints[0] }));
  const xQuant = { scale: xq.scales[0], zeroPoint: xq.zeroPoints[0] };
  return {
    label: 'gpu:qconv',
    run: ([xIn]) => {
      const x = gpuInput0(xIn, ['uint8']);
      checkChannels(x, w, 1);
      return convolve(gpu, x, window, xQuant, w.dims[0], pool, (rows) => gpu.qgemm(rows as GpuTensor<'uint8'>, packed, options));
    },
    dispose: () => packed.dispose(),
  };
};
