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
