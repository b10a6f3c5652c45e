/** Fused activations of the GEMM epilogues. */
import { fail, typeFail } from '../validate.js';

/** 'relu' clamps at 0; `{ min, max }` clamps to a range (ReLU6 is `{ min: 0, max: 6 }`). */
export type Activation = 'none' | 'relu' | { min?: number; max?: number };

/** The activation as a float32 [min, max] range. */
export function activationRange(name: string, activation: Activation | undefined): { min: number; max: number } {
  if (activation === undefined || activation === 'none') return { min: -Infinity, max: Infinity };
  if (activation === 'relu') return { min: 0, max: Infinity };
  if (typeof activation !== 'object' || activation === null) typeFail(name, "must be 'none', 'relu' or { min, max }");
  const { min = -Infinity, max = Infinity } = activation;
  if (typeof min !== 'number' || Number.isNaN(min)) typeFail(`${name}.min`, 'must be a number');
  if (typeof max !== 'number' || Number.isNaN(max)) typeFail(`${name}.max`, 'must be a number');
  if (!(min <= max)) fail(name, `min (${min}) must be <= max (${max})`);
  return { min: Math.fround(min), max: Math.fround(max) };
}

/**
 * The activations of the elementwise kernels (cpu.activate, cpu.add/sub/mul)
 * and of the conv's fused post-op: a clamp as above, or HardSigmoid
 * (alpha * x + beta clamped to [0, 1], ONNX's defaults alpha 0.2, beta 0.5)
 * or HardSwish (x * HardSigmoid(x) with alpha 1/6, beta 0.5), each followed
 * by an optional [min, max] clamp.
 */
export type PointwiseActivation =
  | Activation
  | 'hardswish'
  | 'hardsigmoid'
  | { kind: 'clamp' | 'hardsigmoid' | 'hardswish'; alpha?: number; beta?: number; min?: number; max?: number };

/** A PointwiseActivation checked, with every parameter a float32 (the kernels' fields). */
export interface ResolvedActivation {
  kind: 'clamp' | 'hardsigmoid' | 'hardswish';
  alpha: number;
  beta: number;
  min: number;
  max: number;
}

const POINTWISE_KINDS = ['clamp', 'hardsigmoid', 'hardswish'] as const;

/** `activation` (named `name`) checked and resolved; undefined is no activation. */
export function resolveActivation(name: string, activation: PointwiseActivation | undefined): ResolvedActivation {
  const plain = { alpha: Math.fround(0.2), beta: 0.5 };
  if (activation === 'hardswish' || activation === 'hardsigmoid') return { kind: activation, ...plain, min: -Infinity, max: Infinity };
  if (typeof activation !== 'object' || activation === null || !('kind' in activation)) {
    if (activation !== undefined && typeof activation !== 'string' && (typeof activation !== 'object' || activation === null))
      typeFail(name, "must be 'none', 'relu', 'hardswish', 'hardsigmoid' or an object");
    return { kind: 'clamp', ...plain, ...activationRange(name, activation as Activation | undefined) };
  }
  if (!(POINTWISE_KINDS as readonly unknown[]).includes(activation.kind)) typeFail(`${name}.kind`, "must be 'clamp', 'hardsigmoid' or 'hardswish'");
  const { alpha = 0.2, beta = 0.5 } = activation;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) typeFail(`${name}.alpha`, 'must be a finite number');
  if (typeof beta !== 'number' || !Number.isFinite(beta)) typeFail(`${name}.beta`, 'must be a finite number');
  const range = activationRange(name, { min: activation.min, max: activation.max });
  return { kind: activation.kind, alpha: Math.fround(alpha), beta: Math.fround(beta), ...range };
}
