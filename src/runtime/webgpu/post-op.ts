/**
 * The post-op a pass fused into a float Conv or Gemm (ops/post-op.ts:
 * y = act(kernel result + residual), act HardSwish, HardSigmoid or a
 * clamp) on the GPU: one dispatch on the kernel's result, gpu.add of the
 * residual with the activation fused, or gpu.activate. The kernel's own
 * epilogue then applies no clamp (the clamp comes after the add).
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import type { Activation } from '../../ops/activation.js';
import { fusedActivation, type Attributes } from '../ops/op.js';
import { fusedPostOp, RESIDUAL_INPUT } from '../ops/post-op.js';
import type { GpuNodeRun } from './node-run.js';

/** The clamp the kernel's epilogue applies: none where a post-op follows (its clamp comes after the add). */
export function epilogueClamp(attributes: Attributes): Activation {
  return fusedPostOp(attributes) ? 'none' : fusedActivation(attributes) ?? 'none';
}

/** `kernel` followed by the node's post-op, or `kernel` itself where a pass fused none. */
export function withPostOp(kernel: GpuNodeRun, attributes: Attributes, gpu: WebGpuBackend): GpuNodeRun {
  const post = fusedPostOp(attributes);
  if (!post) return kernel;
  return {
    label: kernel.label,
    // A residual of another type: the CPU kernel reports it.
    takes: (inputs) => (!post.residual || inputs[RESIDUAL_INPUT]?.type === 'float32') && (kernel.takes?.(inputs) ?? true),
    run: async (inputs) => {
      const y = await kernel.run(inputs) as GpuTensor<'float32'>;
      try {
        return await (post.residual
          ? gpu.add(y, inputs[RESIDUAL_INPUT] as GpuTensor<'float32'>, { activation: post.activation })
          : gpu.activate(y, post.activation));
      } finally {
        y.dispose();
      }
    },
    dispose: kernel.dispose,
  };
}
