/**
 * Elementwise float32 ops on the GPU: binary arithmetic with numpy
 * (multidirectional) broadcasting (kernels/f32-vbinary) and the
 * activations of mobile CNNs (kernels/f32-vunary). The semantics are the
 * ONNX operators' (Add, Sub, Mul, Div; Clip, HardSigmoid, HardSwish,
 * LeakyRelu), in f32 arithmetic; the results stay on the GPU.
 */
import { checkObject, checkOneOf, fail, typeFail } from '../../validate.js';
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

export async function gpuBinary(gpu: GpuContext, op: GpuBinaryOp, aIn: unknown, bIn: unknown): Promise<GpuTensor<'float32'>> {
  const code = BINARY_OPS.indexOf(checkOneOf('op', op, BINARY_OPS));
  const a = gpuInput(gpu, 'a', aIn, ['float32']);
  const b = gpuInput(gpu, 'b', bIn, ['float32']);
  try {
    const loops = broadcastLoops(a.tensor.dims, b.tensor.dims);
    if (!loops) fail('b.dims', `[${b.tensor.dims}] does not broadcast with a's [${a.tensor.dims}]`);
    if (loops.sizes.length > MAX_BROADCAST_LOOPS)
      fail('b.dims', `[${b.tensor.dims}] broadcast with a's [${a.tensor.dims}] takes ${loops.sizes.length} loops, more than the ${MAX_BROADCAST_LOOPS} the kernel runs`);
    const y = gpu.empty('float32', loops.dims);
    const count = y.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-vbinary', stem: 'f32-vbinary-wgsl',
        overrides: { OP: code },
        buffers: [a.tensor.buffer, b.tensor.buffer, y.buffer],
        uniforms: [['u32', count], ['u32', loops.sizes.length], ['u32', 0], ['u32', 0],
          ...loopWords(loops.sizes), ...loopWords(loops.aStrides), ...loopWords(loops.bStrides)],
        workgroups: wordGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(a, b);
  }
}

/** An activation f32-vunary-wgsl runs (parameters default as ONNX's attributes; clamp bounds to +-Infinity). */
export type GpuActivation =
  | { kind: 'clamp'; min?: number; max?: number }
  | { kind: 'hardSigmoid'; alpha?: number; beta?: number }
  | { kind: 'hardSwish' }
  | { kind: 'leakyRelu'; alpha?: number };

const UNARY_KINDS = ['clamp', 'hardSigmoid', 'hardSwish', 'leakyRelu'] as const;

function parameter(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) typeFail(name, 'must be a number');
  return value;
}

/** The kernel's OP and its two parameters for `activation`, validated. */
function unaryParams(activation: GpuActivation): [number, number, number] {
  checkObject('activation', activation);
  const kind = checkOneOf('activation.kind', activation.kind, UNARY_KINDS);
  const a = activation as Record<string, unknown>;
  switch (kind) {
    case 'clamp':
      return [0, parameter('activation.min', a.min, -Infinity), parameter('activation.max', a.max, Infinity)];
    case 'hardSigmoid':
      return [1, parameter('activation.alpha', a.alpha, 0.2), parameter('activation.beta', a.beta, 0.5)];
    case 'hardSwish':
      return [2, 0, 0];
    case 'leakyRelu':
      return [3, parameter('activation.alpha', a.alpha, 0.01), 0];
  }
}

export async function gpuActivation(gpu: GpuContext, xIn: unknown, activation: GpuActivation): Promise<GpuTensor<'float32'>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32']);
  try {
    const [code, p0, p1] = unaryParams(activation);
    const y = gpu.empty('float32', x.tensor.dims);
    const count = y.size;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-vunary', stem: 'f32-vunary-wgsl',
        overrides: { OP: code },
        buffers: [x.tensor.buffer, y.buffer],
        uniforms: [['u32', count], ['f32', p0], ['f32', p1]],
        workgroups: wordGrid(gpu, count),
      });
    return y;
  } finally {
    releaseTemporaries(x);
  }
}
