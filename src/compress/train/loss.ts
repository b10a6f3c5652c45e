/**
 * Softmax cross-entropy from logits [N, K], mean over the batch, with its
 * gradient dL/dlogits: log-softmax computed as z - max - log(sum(exp(z - max)))
 * in float64 (no overflow for large logits, no log(0) for tiny
 * probabilities). With a teacher's logits it is the distillation loss
 *   alpha * CE(labels) + (1 - alpha) * T^2 * KL(softmax(teacher / T) || softmax(student / T))
 * (Hinton et al.: T^2 keeps the soft term's gradient on the hard term's
 * scale as T grows).
 */
import type { Tensor } from '../../tensor.js';
import { checkObject, checkTensor, fail, typeFail } from '../../validate.js';
import { checkNumber } from './layers/common.js';

export interface SoftTargets {
  /** The teacher's logits, [N, K] like the student's. */
  teacher: Tensor<'float32'>;
  /** Softening temperature T > 0 (default 4). */
  temperature?: number;
  /** Weight of the hard-label term in [0, 1] (default 0.5); 1 - alpha weighs the soft one. */
  alpha?: number;
}

export interface LossResult {
  /** The batch's mean loss. */
  loss: number;
  /** dL/dlogits [N, K]. */
  grad: Tensor<'float32'>;
  /** Rows whose largest logit is their label's (the first one on ties). */
  correct: number;
}

/** log-softmax of row z[offset, offset + k) scaled by 1/t, into out (float64). */
function logSoftmax(z: ArrayLike<number>, offset: number, k: number, t: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, z[offset + j] / t);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(z[offset + j] / t - max);
  const log = max + Math.log(sum);
  for (let j = 0; j < k; j++) out[j] = z[offset + j] / t - log;
}

/**
 * The loss of `logits` against class `labels` (and a teacher's soft targets).
 * @param out where the gradient goes (reused storage of N x K floats; default new)
 * @throws TypeError/RangeError naming the bad argument.
 */
export function softmaxCrossEntropy(logits: Tensor<'float32'>, labels: Uint8Array, soft?: SoftTargets, out?: Float32Array): LossResult {
  const z = checkTensor('logits', logits, ['float32'], 2);
  const [n, k] = z.dims;
  if (k === 0) fail('logits', 'must have at least one class');
  if (!(labels instanceof Uint8Array)) typeFail('labels', 'must be a Uint8Array of class indices');
  if (labels.length !== n) fail('labels', `must hold one label per row of logits (${n}), got ${labels.length}`);
  for (let i = 0; i < n; i++) if (labels[i] >= k) fail(`labels[${i}]`, `must be a class index below ${k}, got ${labels[i]}`);
  let teacher: Tensor<'float32'> | undefined, temperature = 4, alpha = 0.5;
  if (soft !== undefined) {
    checkObject('soft', soft);
    teacher = checkTensor('soft.teacher', soft.teacher, ['float32'], 2);
    if (teacher.dims[0] !== n || teacher.dims[1] !== k) fail('soft.teacher', `must have the logits' dims [${n}, ${k}], got [${teacher.dims.join(', ')}]`);
    temperature = checkNumber('soft.temperature', soft.temperature ?? temperature, Number.MIN_VALUE, Number.MAX_VALUE);
    alpha = checkNumber('soft.alpha', soft.alpha ?? alpha, 0, 1);
  }
  if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n * k)) fail('out', `must be a Float32Array of ${n * k} values`);
  const grad = out ?? new Float32Array(n * k);
  const hard = teacher === undefined ? 1 : alpha;
  const logP = new Float64Array(k), logQ = new Float64Array(k), logT = new Float64Array(k);
  let total = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    logSoftmax(z.data, row, k, 1, logP);
    let best = 0;
    for (let j = 1; j < k; j++) if (z.data[row + j] > z.data[row + best]) best = j;
    if (best === labels[i]) correct++;
    total += -hard * logP[labels[i]];
    for (let j = 0; j < k; j++) grad[row + j] = (hard * (Math.exp(logP[j]) - (j === labels[i] ? 1 : 0))) / n;
    if (teacher === undefined) continue;
    // Soft term: T^2 KL(p_T || q_T), gradient T (q_T - p_T) per logit.
    logSoftmax(z.data, row, k, temperature, logQ);
    logSoftmax(teacher.data, row, k, temperature, logT);
    const w = (1 - alpha) * temperature * temperature;
    for (let j = 0; j < k; j++) {
      const p = Math.exp(logT[j]);
      if (p > 0) total += w * p * (logT[j] - logQ[j]);
      grad[row + j] += ((1 - alpha) * temperature * (Math.exp(logQ[j]) - p)) / n;
    }
  }
  return { loss: n === 0 ? 0 : total / n, grad: { type: 'float32', dims: [n, k], data: grad }, correct };
}
