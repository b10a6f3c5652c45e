/**
 * Kernel arguments on the GPU: a GpuTensor is used as is (checked like a
 * Tensor: type, rank, not disposed), a CPU Tensor is validated exactly as the
 * CPU backend does and uploaded for this call only.
 */
import type { ElementType, Tensor } from '../../tensor.js';
import { checkMade, checkTensor, typeFail } from '../../validate.js';
import type { GpuContext } from './context.js';
import { GpuTensor } from './gpu-tensor.js';

export interface GpuInput<T extends ElementType> {
  tensor: GpuTensor<T>;
  /** Uploaded for this call: dispose once the call is enqueued. */
  temporary: boolean;
}

export function gpuInput<T extends ElementType>(
  gpu: GpuContext, name: string, value: unknown, types: readonly T[], rank?: number,
): GpuInput<T> {
  if (value instanceof GpuTensor) {
    checkMade(name, value, GpuTensor, 'a WebGPU backend (upload, empty or a kernel)');
    if (!types.includes(value.type as T)) typeFail(name, `must be a tensor of type ${types.map((t) => `'${t}'`).join(' or ')}, got '${value.type}'`);
    if (rank !== undefined && value.dims.length !== rank) typeFail(`${name}.dims`, `must have ${rank} dimensions, got ${value.dims.length}`);
    if (value.disposed) typeFail(name, 'was disposed');
    return { tensor: value as GpuTensor<T>, temporary: false };
  }
  const t = checkTensor(name, value, types, rank) as Tensor<T>;
  return { tensor: gpu.upload(t), temporary: true };
}

/** Gives back the buffers of the inputs this call uploaded. */
export function releaseTemporaries(...inputs: GpuInput<ElementType>[]): void {
  for (const i of inputs) if (i.temporary) i.tensor.dispose();
}
