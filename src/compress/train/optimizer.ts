/**
 * Optimizers over a network's params: SGD with momentum (heavy ball or
 * Nesterov) and L2 weight decay, Adam with decoupled weight decay (AdamW),
 * both PyTorch's update rules. Weight decay applies to params whose `decay`
 * is set (weights, not biases or BatchNorm's scale and shift). A param's
 * mask holds pruned weights at exactly 0 through fine-tuning: where it is
 * 0 the weight, its gradient's effect and its optimizer state stay 0. State
 * is float64, the update written back to the float32 value.
 */
import { checkBoolean, fail, typeFail } from '../../validate.js';
import type { Param } from './layer.js';
import { checkNumber, checkOptions } from './layers/common.js';

export interface Optimizer {
  /** The params it updates. */
  readonly params: readonly Param[];
  /** One update of every param from its grad at learning rate `lr` (grads are left as they are). */
  step(lr: number): void;
}

export interface SgdOptions {
  /** Momentum in [0, 1) (default 0.9; 0 is plain SGD). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 weight decay: weightDecay * w added to the gradient of decayed params (default 0). */
  weightDecay?: number;
}

export interface AdamOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay (AdamW): w -= lr * weightDecay * w for decayed params (default 0). */
  weightDecay?: number;
}

function checkParams(params: unknown): readonly Param[] {
  if (!Array.isArray(params)) typeFail('params', 'must be an array of params (network.params())');
  params.forEach((p: Param, i) => {
    if (typeof p !== 'object' || p === null || !(p.value instanceof Float32Array) || !(p.grad instanceof Float32Array)) typeFail(`params[${i}]`, 'must be a Param (value and grad Float32Arrays)');
    if (p.grad.length !== p.value.length) fail(`params[${i}].grad`, `must hold as many values as value (${p.value.length})`);
    if (p.mask !== undefined && (!(p.mask instanceof Uint8Array) || p.mask.length !== p.value.length)) fail(`params[${i}].mask`, `must be a Uint8Array of ${p.value.length} values`);
  });
  return params;
}

function checkLr(lr: unknown): number {
  return checkNumber('lr', lr, 0, Number.MAX_VALUE);
}

/** Zeroes the masked weights (and the given state arrays there). */
function applyMask(p: Param, ...state: Float64Array[]): void {
  const mask = p.mask;
  if (!mask) return;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] === 0) {
      p.value[i] = 0;
      for (const s of state) s[i] = 0;
    }
}

/**
 * SGD: g = grad + weightDecay * w; v = momentum * v + g; w -= lr * (Nesterov ? g + momentum * v : v).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function sgd(params: readonly Param[], options?: SgdOptions): Optimizer {
  const list = checkParams(params);
  const { momentum = 0.9, nesterov = false, weightDecay = 0 } = checkOptions(options);
  checkNumber('options.momentum', momentum, 0, 1, true);
  checkBoolean('options.nesterov', nesterov);
  checkNumber('options.weightDecay', weightDecay, 0, Number.MAX_VALUE);
  if (nesterov && momentum === 0) fail('options.nesterov', 'needs momentum > 0');
  const velocity = list.map((p) => new Float64Array(p.value.length));
  return {
    params: list,
    step(lr) {
      checkLr(lr);
      list.forEach((p, k) => {
        const v = velocity[k], w = p.value, decay = p.decay ? weightDecay : 0;
        for (let i = 0; i < w.length; i++) {
          const g = p.grad[i] + decay * w[i];
          v[i] = momentum * v[i] + g;
          w[i] -= lr * (nesterov ? g + momentum * v[i] : v[i]);
        }
        applyMask(p, v);
      });
    },
  };
}

/**
 * Adam (with decoupled weight decay, AdamW): w -= lr * weightDecay * w;
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function adam(params: readonly Param[], options?: AdamOptions): Optimizer {
  const list = checkParams(params);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = checkOptions(options);
  checkNumber('options.beta1', beta1, 0, 1, true);
  checkNumber('options.beta2', beta2, 0, 1, true);
  checkNumber('options.epsilon', epsilon, Number.MIN_VALUE, Number.MAX_VALUE);
  checkNumber('options.weightDecay', weightDecay, 0, Number.MAX_VALUE);
  const m = list.map((p) => new Float64Array(p.value.length));
  const v = list.map((p) => new Float64Array(p.value.length));
  let t = 0;
  return {
    params: list,
    step(lr) {
      checkLr(lr);
      t++;
      const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
      list.forEach((p, k) => {
        const mk = m[k], vk = v[k], w = p.value, shrink = 1 - lr * (p.decay ? weightDecay : 0);
        for (let i = 0; i < w.length; i++) {
          const g = p.grad[i];
          mk[i] = beta1 * mk[i] + (1 - beta1) * g;
          vk[i] = beta2 * vk[i] + (1 - beta2) * g * g;
          w[i] = w[i] * shrink - (lr * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + epsilon);
        }
        applyMask(p, mk, vk);
      });
    },
  };
}
