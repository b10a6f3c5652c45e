/**
 * Elementwise float32 ops on the GPU: binary arithmetic with numpy
 * (multidirectional) broadcasting and a fused activation
 * (kernels/f32-vbinary), and the activations of mobile CNNs
 * (kernels/f32-vunary), with cpu.add / cpu.activate's activations
 * (resolveActivation: same options, same errors). The semantics are the
 * ONNX operators' (Add, Sub, Mul, Div; Relu, Clip, HardSigmoid, HardSwish),
 * in f32 arithmetic; the results stay on the GPU.
 */
import { resolveActivation, type PointwiseActivation, type ResolvedActivation } from '../../ops/activation.js';
import { checkObject, checkOneOf, fail } from '../../validate.js';
import type { GpuContext, UniformField } from './context.js';
import { wordGrid } from './grid.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;
export type GpuBinaryOp = (typeof BINARY_OPS)[number];

/** Loops f32-vbinary-wgsl takes (its uniform arrays' length). */
export const MAX_BROADCAST_LOOPS = 8;

/** Two shapes broadcast together: the output dims and the merged loops, outermost first, with each operand's element stride (0 where it repeats). */
export interface BroadcastLoops {
  dims: number[];
  sizes: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * The loops of a (op) b: size-1 output axes dropped, neighbouring axes
 * where the same operand (or neither) repeats merged; undefined when the
 * shapes do not broadcast.
 */
export function broadcastLoops(aDims: readonly number[], bDims: readonly number[]): BroadcastLoops | undefined {
  const rank = Math.max(aDims.length, bDims.length);
  const dims: number[] = [], sizes: number[] = [], aRepeats: boolean[] = [], bRepeats: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    const x = aDims[i - rank + aDims.length] ?? 1, y = bDims[i - rank + bDims.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    dims.push(x === 1 ? y : x);
    if (dims[i] === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && aRepeats[last] === (x === 1) && bRepeats[last] === (y === 1)) sizes[last] *= dims[i];
    else {
      sizes.push(dims[i]);
      aRepeats.push(x === 1);
      bRepeats.push(y === 1);
    }
  }
  const aStrides: number[] = [], bStrides: number[] = [];
  for (let k = sizes.length - 1, aStep = 1, bStep = 1; k >= 0; k--) {
    aStrides[k] = aRepeats[k] ? 0 : aStep;
    bStrides[k] = bRepeats[k] ? 0 : bStep;
    if (!aRepeats[k]) aStep *= sizes[k];
    if (!bRepeats[k]) bStep *= sizes[k];
  }
  return { dims, sizes, aStrides, bStrides };
}

/** A loop list as the kernel's array<vec4<u32>, 2>: 8 words, unused loops 0. */
function loopWords(values: number[]): UniformField[] {
  return Array.from({ length: MAX_BROADCAST_LOOPS }, (_, i) => ['u32', values[i] ?? 0] as UniformField);
}

export interface GpuBinaryOptions {
  /** Applied to each result (default none): as cpu.add's options.activation. */
  activation?: PointwiseActivation;
}

const KINDS = ['clamp', 'hardsigmoid', 'hardswish'] as const;

/** The activation's uniform fields as the kernels read them: kind, then alpha, beta, min, max. */
function activationFields(a: ResolvedActivation): { kind: UniformField; params: UniformField[] } {
  return { kind: ['u32', KINDS.indexOf(a.kind)], params: [['f32', a.alpha], ['f32', a.beta], ['f32', a.min], ['f32', a.max]] };
}

export async function gpuBinary(gpu: GpuContext, op: GpuBinaryOp, aIn: unknown, bIn: unknown, options: GpuBinaryOptions = {}): Promise<GpuTensor<'float32'>> {
  const code = BINARY_OPS.indexOf(checkOneOf('op', op, BINARY_OPS));
  const a = gpuInput(gpu, 'a', aIn, ['float32']);
  const b = gpuInput(gpu, 'b', bIn, ['float32']);
  try {
    checkObject('options', options);
    const loops = broadcastLoops(a.tensor.dims, b.tensor.dims);
    if (!loops) fail('b.dims', `[${b.tensor.dims}] does not broadcast with a's [${a.tensor.dims}]`);
    if (loops.sizes.length > MAX_BROADCAST_LOOPS)
      fail('b.dims', `[${b.tensor.dims}] broadcast with a's [${a.tensor.dims}] takes ${loops.sizes.length} loops, more than the ${MAX_BROADCAST_LOOPS} the kernel runs`);
    const { kind, params } = activationFields(resolveActivation('options.activation', options.activation));
    const y = gpu.empty('float32', loops.dims);
    const count = y.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-vbinary', stem: 'f32-vbinary-wgsl',
        overrides: { OP: code },
        buffers: [a.tensor.buffer, b.tensor.buffer, y.buffer],
        uniforms: [['u32', count], ['u32', loops.sizes.length], kind, ['u32', 0], ...params,
          ...loopWords(loops.sizes), ...loopWords(loops.aStrides), ...loopWords(loops.bStrides)],
        workgroups: wordGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(a, b);
  }
}

export async function gpuActivate(gpu: GpuContext, xIn: unknown, activation: PointwiseActivation): Promise<GpuTensor<'float32'>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32']);
  try {
    const { kind, params } = activationFields(resolveActivation('activation', activation));
    const y = gpu.empty('float32', x.tensor.dims);
    const count = y.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-vunary', stem: 'f32-vunary-wgsl',
        buffers: [x.tensor.buffer, y.buffer],
        uniforms: [['u32', count], kind, ...params],
        workgroups: wordGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(x);
  }
}
