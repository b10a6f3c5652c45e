/**
 * QuantizeLinear / DequantizeLinear on the GPU's exact quantize/dequantize,
 * with constant scale and zero point (per tensor or per axis, read by
 * ops/quantize.ts's own functions). int32 dequantization (biases, folded at
 * creation) and run-time parameters run on the CPU.
 */
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { linearQuantParams, quantizedType } from '../ops/quantize.js';
import { gpuInput0, shaped, type GpuOpHandler } from './node-run.js';

export const gpuQuantizeLinear: GpuOpHandler = (ctx, gpu) => {
  const [, scale, zero] = ctx.constants;
  if (!scale || scale.type !== 'float32' || ((ctx.node.inputs[2] ?? '') !== '' && !zero)) return undefined;
  if (zero && zero.type !== 'uint8' && zero.type !== 'int8') return undefined;
  const type = quantizedType(zero);
  return {
    label: 'gpu:quantize',
    run: ([xIn]) => {
      const x = gpuInput0(xIn, ['float32']);
      const { per } = linearQuantParams(ctx, x, scale, zero, 'y');
      return gpu.quantize(shaped(x, x.dims) as GpuTensor<'float32'>, { type, ...per });
    },
  };
};

export const gpuDequantizeLinear: GpuOpHandler = (ctx, gpu) => {
  const [, scale, zero] = ctx.constants;
  // The zero point names x's type; without one x may be int32, which the GPU kernel does not take.
  if (!scale || scale.type !== 'float32' || !zero || (zero.type !== 'uint8' && zero.type !== 'int8')) return undefined;
  return {
    label: 'gpu:dequantize',
    run: ([xIn]) => {
      const x = gpuInput0(xIn, [zero.type]);
      const { per } = linearQuantParams(ctx, x, scale, zero, 'x');
      return gpu.dequantize(shaped(x, x.dims, per) as GpuTensor<'uint8'>);
    },
  };
};
