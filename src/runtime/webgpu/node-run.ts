/**
 * What an ONNX node is to the WebGPU executor: like ops/op.ts's NodeRun, but
 * its inputs may be on the GPU or the CPU, and its output stays on the GPU.
 * A handler returns undefined where it has no GPU kernel for the node (then
 * the CPU kernel runs it), after the CPU handler has checked it; a GpuNodeRun
 * may also decline one run's inputs (takes(): types or shapes its kernel
 * does not serve, such as the int64 shape arithmetic of an Add), which the
 * node's CPU kernel then runs.
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import type { QuantParams, Tensor } from '../../tensor.js';
import type { Value, ValueType } from '../onnx/model.js';
import { input, type PrepareContext } from '../ops/op.js';

/** A value as a GPU kernel takes it: resident on the GPU, or a CPU value the backend uploads for the call. */
export type GpuInput = Value | GpuTensor;

export interface GpuNodeRun {
  /** 'gpu:<kernel>', for profile(). */
  readonly label: string;
  /** The node's inputs in order, undefined where omitted (constants a handler read at creation are passed too). */
  run(inputs: readonly (GpuInput | undefined)[]): Promise<GpuTensor>;
  /** Whether the GPU kernel runs these inputs (absent: always); where not, the CPU kernel does. */
  takes?(inputs: readonly (GpuInput | undefined)[]): boolean;
  /** Frees what the kernel holds on the GPU (weights), where it holds any. */
  dispose?(): void;
}

export type GpuOpHandler = (ctx: PrepareContext, gpu: WebGpuBackend) => GpuNodeRun | undefined;

/** Input 0 of one of `types`, with the CPU kernels' error when it is not. */
export function gpuInput0(x: GpuInput | undefined, types: readonly ValueType[]): GpuInput {
  input([x as Value | undefined], 0, types);
  return x!;
}

/** x under `dims` (same size) and quantization parameters, as the backend's kernels take it; no copy. */
export function shaped(x: GpuInput, dims: readonly number[], quant: QuantParams = {}): Tensor | GpuTensor {
  if (x instanceof GpuTensor) return x.view(dims, quant);
  return { type: x.type, dims, data: x.data, ...quant } as Tensor;
}

/** sparq's own node attributes (fused activations, pools) begin with this; a model never carries them. */
export const FUSION_PREFIX = 'sparq_';
