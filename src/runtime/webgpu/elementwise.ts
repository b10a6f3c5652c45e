/**
 * Float32 elementwise nodes on the GPU: Add, Sub, Mul, Div with broadcasting
 * (the residual Add, squeeze-excite's per-channel Mul, x * HardSigmoid(x),
 * Paddle's HardSwish arithmetic) and the activations Relu, HardSigmoid,
 * HardSwish and Clip (constant bounds). Constant operands are
 * uploaded once at creation. A run whose inputs are not all float32 (the
 * int64 shape arithmetic exporters write), or whose shapes do not
 * broadcast or need more loops than the kernel takes, runs on the CPU
 * kernel, which also reports the errors.
 */
import type { GpuBinaryOp } from '../../backends/webgpu/elementwise.js';
import type { PointwiseActivation } from '../../ops/activation.js';
import { broadcastLoops, MAX_BROADCAST_LOOPS } from '../../backends/webgpu/elementwise.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { scalar, type PrepareContext } from '../ops/op.js';
import type { GpuInput, GpuNodeRun, GpuOpHandler } from './node-run.js';

const FLOAT_MAX = 3.4028234663852886e38;

function allFloat(inputs: readonly (GpuInput | undefined)[], count: number): boolean {
  return inputs.length >= count && inputs.slice(0, count).every((x) => x?.type === 'float32');
}

function binary(op: GpuBinaryOp, label: string): GpuOpHandler {
  return (ctx, gpu) => {
    // A constant that is not float32 (shape arithmetic) never meets a float32 input: the node is the CPU's.
    if (ctx.constants.some((c) => c !== undefined && c.type !== 'float32')) return undefined;
    const uploaded = ctx.constants.slice(0, 2).map((c) => (c === undefined ? undefined : gpu.upload({ type: 'float32', dims: c.dims, data: c.data as Float32Array })));
    const operands = (inputs: readonly (GpuInput | undefined)[]) => [0, 1].map((i) => uploaded[i] ?? inputs[i]!);
    return {
      label,
      takes: (inputs) => {
        if (!allFloat(inputs, 2)) return false;
        const loops = broadcastLoops(inputs[0]!.dims, inputs[1]!.dims);
        return loops !== undefined && loops.sizes.length <= MAX_BROADCAST_LOOPS;
      },
      run: (inputs) => {
        const [a, b] = operands(inputs);
        return gpu[op](a as GpuTensor<'float32'>, b as GpuTensor<'float32'>);
      },
      dispose: () => uploaded.forEach((t) => t?.dispose()),
    };
  };
}

/** An activation whose parameters `read` takes from the node (undefined: the CPU runs it). */
function activation(label: string, read: (ctx: PrepareContext) => PointwiseActivation | undefined): GpuOpHandler {
  return (ctx, gpu): GpuNodeRun | undefined => {
    const act = read(ctx);
    if (!act) return undefined;
    return {
      label,
      takes: (inputs) => allFloat(inputs, 1),
      run: ([x]) => gpu.activate(x as GpuTensor<'float32'>, act),
    };
  };
}

/** Clip's bounds: attributes before opset 11, constant inputs from 11 (a bound computed at run time: the CPU runs the node). */
function clipBounds(ctx: PrepareContext): PointwiseActivation | undefined {
  if (ctx.opset < 11) {
    const [min, max] = [ctx.attributes.float('min', -FLOAT_MAX), ctx.attributes.float('max', FLOAT_MAX)];
    return min > max ? undefined : { min, max };
  }
  const bound = (i: number, fallback: number): number | undefined => {
    if ((ctx.node.inputs[i] ?? '') === '') return fallback;
    const c = ctx.constants[i];
    // A bound of another type fails on the CPU kernel (it must be x's type).
    return c === undefined || c.type !== 'float32' ? undefined : scalar(c, i === 1 ? 'min' : 'max');
  };
  const [min, max] = [bound(1, -Infinity), bound(2, Infinity)];
  // min > max (every value becomes max) is onnxruntime's Clip, not a clamp the kernels take: the CPU runs it.
  return min === undefined || max === undefined || min > max ? undefined : { min, max };
}

export const ELEMENTWISE_GPU_OPS: Record<string, GpuOpHandler> = {
  Add: binary('add', 'gpu:add'),
  Sub: binary('sub', 'gpu:sub'),
  Mul: binary('mul', 'gpu:mul'),
  Div: binary('div', 'gpu:div'),
  Relu: activation('gpu:relu', () => 'relu'),
  HardSigmoid: activation('gpu:hard-sigmoid', (ctx) => ({ kind: 'hardsigmoid', alpha: ctx.attributes.float('alpha', 0.2), beta: ctx.attributes.float('beta', 0.5) })),
  HardSwish: activation('gpu:hard-swish', () => 'hardswish'),
  Clip: activation('gpu:clip', clipBounds),
};
