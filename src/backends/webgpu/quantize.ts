/**
 * quantize / dequantize / requantize on the GPU, bit-identical with the CPU
 * kernels (the WGSL computes the float32 division, products and roundings
 * in integer arithmetic: WGSL allows 2.5 ULP division and flushing
 * subnormals, which would break exactness). Arguments are checked by the
 * plans the CPU runs too (src/ops/quantize.ts); results stay on the GPU.
 */
import { planDequantize, planQuantize, planRequantize, type QuantizeArgs, type RequantizeArgs } from '../../ops/quantize.js';
import type { QuantizedOutput } from '../../ops/quantized-output.js';
import type { QType } from '../../tensor.js';
import type { Dispatch, GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { wordGrid, wordsOf } from './grid.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

/** Each invocation handles one 32-bit word of 4 elements. */
function elementwiseGrid(gpu: GpuContext, count: number): Dispatch['workgroups'] {
  return wordGrid(gpu, wordsOf(count, 1));
}

export type GpuQuantizeOptions = QuantizeArgs;
export type GpuRequantizeOptions = RequantizeArgs;

export async function gpuQuantize(gpu: GpuContext, xIn: unknown, options: GpuQuantizeOptions): Promise<GpuTensor<QType>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32']);
  try {
    const { type, scales, zeroPoints, quant, view } = planQuantize(x.tensor.dims, options);
    const y = gpu.empty(type, x.tensor.dims, quant);
    const count = x.tensor.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-qx8-quantize', stem: 'f32-qx8-quantize-wgsl',
        buffers: [x.tensor.buffer, gpu.constants(scales), gpu.constants(zeroPoints), y.buffer],
        uniforms: [['u32', count], ['u32', view.channels], ['u32', view.inner], ['u32', type === 'int8' ? 1 : 0]],
        workgroups: elementwiseGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(x);
  }
}

export async function gpuDequantize(gpu: GpuContext, xIn: unknown): Promise<GpuTensor<'float32'>> {
  const x = gpuInput(gpu, 'x', xIn, ['uint8', 'int8']);
  try {
    const { scales, zeroPoints, view } = planDequantize(x.tensor as GpuTensor<QType>);
    const y = gpu.empty('float32', x.tensor.dims);
    const count = x.tensor.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'qx8-f32-dequantize', stem: 'qx8-f32-dequantize-wgsl',
        buffers: [x.tensor.buffer, gpu.constants(scales), gpu.constants(zeroPoints), y.buffer],
        uniforms: [['u32', count], ['u32', view.channels], ['u32', view.inner], ['u32', x.tensor.type === 'int8' ? 1 : 0]],
        workgroups: elementwiseGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(x);
  }
}

/** An output stage of qs32-qx8-requantize-wgsl over a tensor viewed as [outer, channels, inner] (see its header). */
export interface RequantizeStage {
  channels: number;
  inner: number;
  /** 1 value or one per channel; none adds 0. */
  bias?: Int32Array;
  /** float32 multipliers, 1 or one per channel. */
  multipliers: Float32Array;
  floatOut: boolean;
  zeroPoint: number;
  outMin: number;
  outMax: number;
  min: number;
  max: number;
}

/** Appends the requantize dispatch of `count` int32 values in `acc` into `y`; qgemm chains it after its GEMM. */
function enqueueRequantize(gpu: GpuContext, acc: GPUBuffer, y: GPUBuffer, count: number, s: RequantizeStage): Promise<void> {
  return gpu.enqueue({
    family: 'qs32-qx8-requantize', stem: 'qs32-qx8-requantize-wgsl',
    buffers: [acc, gpu.constants(s.bias ?? new Int32Array(1)), gpu.constants(s.multipliers), y],
    uniforms: [
      ['u32', count], ['u32', s.channels], ['u32', s.inner], ['u32', s.bias !== undefined && s.bias.length > 1 ? 1 : 0],
      ['u32', s.floatOut ? 1 : 0], ['i32', s.zeroPoint], ['i32', s.outMin], ['i32', s.outMax],
      ['f32', s.min], ['f32', s.max],
    ],
    workgroups: elementwiseGrid(gpu, count),
  });
}

/**
 * The result of an int32 product on the GPU: `acc` itself for 'int32'
 * output, else a new tensor of the output type that acc is requantized into
 * (acc is given back). `perChannel` views the result as [outer, channels,
 * inner] for per-channel multipliers (qgemm: channels = N, inner = 1; qspmm:
 * channels = N rows, inner = M).
 */
export async function fromAccumulators(
  gpu: GpuContext, acc: GpuTensor<'int32'>, o: QuantizedOutput, perChannel: { channels: number; inner: number },
): Promise<GpuTensor> {
  if (o.output === 'int32') return acc;
  try {
    const y = gpu.empty(o.output, acc.dims, o.quant);
    if (acc.size > 0)
      await enqueueRequantize(gpu, acc.buffer, y.buffer, acc.size, {
        channels: o.mult!.length === 1 ? 1 : perChannel.channels, inner: perChannel.inner,
        multipliers: o.mult!, floatOut: o.output === 'float32',
        zeroPoint: o.outZeroPoint, outMin: o.outMin, outMax: o.outMax, min: o.fmin, max: o.fmax,
      });
    return y;
  } finally {
    acc.dispose();
  }
}

export async function gpuRequantize(gpu: GpuContext, accIn: unknown, options: GpuRequantizeOptions): Promise<GpuTensor> {
  const acc = gpuInput(gpu, 'acc', accIn, ['int32']);
  try {
    const { type, view, bias, range, multipliers, zeroPoint, outMin, outMax, quant } = planRequantize(acc.tensor, options);
    const y = gpu.empty(type, acc.tensor.dims, quant);
    const count = acc.tensor.size;
    if (count > 0)
      await enqueueRequantize(gpu, acc.tensor.buffer, y.buffer, count, {
        channels: view.channels, inner: view.inner, bias, multipliers, floatOut: type === 'float32',
        zeroPoint, outMin, outMax, min: range.min, max: range.max,
      });
    return y;
  } finally {
    releaseTemporaries(acc);
  }
}
