/**
 * The post-op a pass fused into a float Conv or Gemm (ops/post-op.ts:
 * y = act(kernel result + residual), act HardSwish, HardSigmoid or a
 * clamp) on the GPU: the residual added by one gpu.binary dispatch, the
 * activation by one gpu.activation dispatch, on the kernel's result. The
 * kernel's own epilogue then applies no clamp (the clamp comes after the add).
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuActivation } from '../../backends/webgpu/elementwise.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import type { Activation } from '../../ops/activation.js';
import { fusedActivation, type Attributes } from '../ops/op.js';
import { fusedPostOp, RESIDUAL_INPUT, type PostOp } from '../ops/post-op.js';
import type { GpuNodeRun } from './node-run.js';

/** The activations, in order, that `post` applies after the add. */
function activations(post: PostOp): GpuActivation[] {
  const a = post.activation as { kind: string; alpha: number; beta: number; min: number; max: number };
  const steps: GpuActivation[] = [];
  if (a.kind === 'hardswish') steps.push({ kind: 'hardSwish' });
  if (a.kind === 'hardsigmoid') steps.push({ kind: 'hardSigmoid', alpha: a.alpha, beta: a.beta });
  if (a.min !== -Infinity || a.max !== Infinity) steps.push({ kind: 'clamp', min: a.min, max: a.max });
  return steps;
}

/** The clamp the kernel's epilogue applies: none where a post-op follows (its clamp comes after the add). */
export function epilogueClamp(attributes: Attributes): Activation {
  return fusedPostOp(attributes) ? 'none' : fusedActivation(attributes) ?? 'none';
}

/** `kernel` followed by the node's post-op, or `kernel` itself where a pass fused none. */
export function withPostOp(kernel: GpuNodeRun, attributes: Attributes, gpu: WebGpuBackend): GpuNodeRun {
  const post = fusedPostOp(attributes);
  if (!post) return kernel;
  const steps = activations(post);
  return {
    label: kernel.label,
    // A residual of another type: the CPU kernel reports it.
    takes: (inputs) => (!post.residual || inputs[RESIDUAL_INPUT]?.type === 'float32') && (kernel.takes?.(inputs) ?? true),
    run: async (inputs) => {
      let out = await kernel.run(inputs);
      try {
        if (post.residual) {
          const sum = await gpu.binary('add', out as GpuTensor<'float32'>, inputs[RESIDUAL_INPUT] as GpuTensor<'float32'>);
          out.dispose();
          out = sum;
        }
        for (const step of steps) {
          const next = await gpu.activation(out as GpuTensor<'float32'>, step);
          out.dispose();
          out = next;
        }
        return out;
      } catch (e) {
        out.dispose();
        throw e;
      }
    },
    dispose: kernel.dispose,
  };
}
