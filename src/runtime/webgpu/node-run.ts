/**
 * What an ONNX node is to the WebGPU executor: like ops/op.ts's NodeRun, but
 * its one run-time input (input 0; every other input is a constant read at
 * session creation) may be on the GPU or the CPU, and its output stays on
 * the GPU. A handler returns undefined where it has no GPU kernel for the
 * node (then the CPU kernel runs it), after the CPU handler has checked it.
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
  run(x: GpuInput | undefined): Promise<GpuTensor>;
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
