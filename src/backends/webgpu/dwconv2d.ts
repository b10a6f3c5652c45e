/**
 * Depthwise and grouped 2-D convolution on the GPU
 * (kernels/f32-dwconv2d/f32-dwconv2d-wgsl.wgsl): NCHW float32 x, weights
 * [OC, C/group, KH, KW] as ONNX stores them, any kernel size, stride,
 * padding and dilation, bias and clamp fused, every group in one dispatch.
 * Options, geometry and errors are cpu.dwconv2d's (dwconv2dGeometry: group
 * defaults to C, depthwise). The result stays on the GPU.
 */
import { activationRange, type Activation } from '../../ops/activation.js';
import { dwconv2dGeometry, type DwConv2dArgs } from '../../ops/dwconv2d.js';
import { checkBias, checkObject } from '../../validate.js';
import type { GpuContext } from './context.js';
import { wordGrid } from './grid.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export interface GpuDwconv2dOptions extends DwConv2dArgs {
  /** [OC] values added to each output channel. */
  bias?: Float32Array;
  activation?: Activation;
}

export async function gpuDwconv2d(gpu: GpuContext, xIn: unknown, wIn: unknown, options: GpuDwconv2dOptions = {}): Promise<GpuTensor<'float32'>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32'], 4);
  const w = gpuInput(gpu, 'w', wIn, ['float32'], 4);
  try {
    checkObject('options', options);
    const g = dwconv2dGeometry(x.tensor.dims, w.tensor.dims, options);
    const oc = w.tensor.dims[0];
    const bias = checkBias(options.bias, 'float32', oc);
    const { min, max } = activationRange('options.activation', options.activation);
    const y = gpu.empty('float32', [g.batch, oc, g.outH, g.outW]);
    const count = y.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-dwconv2d', stem: 'f32-dwconv2d-wgsl',
        buffers: [x.tensor.buffer, w.tensor.buffer, gpu.constants(bias ?? new Float32Array(1)), y.buffer],
        uniforms: [
          ['u32', count], ['u32', g.channels], ['u32', g.height], ['u32', g.width], ['u32', oc], ['u32', g.outH], ['u32', g.outW],
          ['u32', g.groupChannels], ['u32', g.multiplier], ['u32', g.kernelH], ['u32', g.kernelW], ['u32', g.strideH], ['u32', g.strideW],
          ['u32', g.dilationH], ['u32', g.dilationW], ['u32', g.padTop], ['u32', g.padLeft], ['u32', bias ? 1 : 0], ['f32', min], ['f32', max],
        ],
        workgroups: wordGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(x, w);
  }
}
