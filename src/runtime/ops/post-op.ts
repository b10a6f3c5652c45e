/**
 * The post-op a fusion pass (passes/fuse-post-op.ts) moved into a Conv:
 * y = act(conv(x) + bias [+ residual]), act HardSwish, HardSigmoid or a
 * clamp (FUSED_MIN / FUSED_MAX, applied last); or into a Gemm (HardSwish
 * or HardSigmoid, no residual). The attribute names are
 * sparq's own; a model never carries them. The residual is the Conv's
 * input 3 (after X, W and an optional, possibly empty, B).
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { PointwiseActivation } from '../../ops/activation.js';
import { planBinary } from '../../ops/elementwise.js';
import type { Tensor } from '../../tensor.js';
import { ModelError, type Value } from '../onnx/model.js';
import { FUSED_MAX, FUSED_MIN, type Attributes } from './op.js';

/** 'hardswish' or 'hardsigmoid' (with FUSED_ALPHA / FUSED_BETA). */
export const FUSED_KIND = 'sparq_activation_kind';
export const FUSED_ALPHA = 'sparq_activation_alpha';
export const FUSED_BETA = 'sparq_activation_beta';
/** 1 when input 3 is a residual added before the activation. */
export const FUSED_RESIDUAL = 'sparq_residual';

/** The input index of a fused residual. */
export const RESIDUAL_INPUT = 3;

export interface PostOp {
  activation: PointwiseActivation;
  residual: boolean;
}

/**
 * The node's post-op, when it has one the conv epilogue cannot apply itself
 * (HardSwish, HardSigmoid, or any activation after a residual); undefined
 * for none or a plain clamp (the epilogue's FUSED_MIN / FUSED_MAX).
 */
export function fusedPostOp(attrs: Attributes): PostOp | undefined {
  const residual = attrs.int(FUSED_RESIDUAL, 0) === 1;
  const kind = attrs.string(FUSED_KIND, 'clamp');
  if (!residual && kind === 'clamp') return undefined;
  if (kind !== 'clamp' && kind !== 'hardswish' && kind !== 'hardsigmoid') throw new Error(`unknown fused activation kind ${kind}`);
  const activation = { kind, alpha: attrs.float(FUSED_ALPHA, 0.2), beta: attrs.float(FUSED_BETA, 0.5), min: attrs.float(FUSED_MIN, -Infinity), max: attrs.float(FUSED_MAX, Infinity) } as const;
  return { activation, residual };
}

/**
 * Applies `post` to the conv's float32 result `y`, in place where the
 * residual has y's shape or one value per channel (the native
 * f32-elementwise kernels, one call).
 */
export function applyPostOp(post: PostOp, y: Value, residual: Value | undefined): Value {
  const t = y as Tensor<'float32'>;
  if (!post.residual) {
    cpu.activate(t, post.activation, { out: t.data });
    return y;
  }
  if (residual?.type !== 'float32') throw new ModelError(`the fused residual (input ${RESIDUAL_INPUT}) must be float32, got ${residual?.type ?? 'none'}`);
  const plan = planBinary(y.dims, residual.dims);
  const inPlace = plan !== undefined && !plan.swapped;
  const sum = cpu.add(t, residual as Tensor<'float32'>, { activation: post.activation, out: inPlace ? t.data : undefined });
  return { type: 'float32', dims: [...sum.dims], data: sum.data };
}
