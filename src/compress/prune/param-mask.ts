/**
 * Masks kept through fine-tuning: a mask set on a trainer Param zeroes the
 * pruned weights and their gradients now, and stays on the Param, where the
 * optimizers read it to keep those weights (and their state) at 0.
 */
import { checkObject, fail, typeFail } from '../../validate.js';
import type { Param } from '../train/layer.js';
import { checkMask } from './masks.js';

/**
 * Sets `param.mask` to a copy of `mask` (1 = kept) and zeroes `param.value`
 * and `param.grad` where it is 0. A mask already on the param is replaced:
 * pass the product of both to keep what each pruned.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function maskParam(param: Param, mask: Uint8Array): void {
  checkObject('param', param);
  if (!(param.value instanceof Float32Array) || !(param.grad instanceof Float32Array)) typeFail('param', 'must have Float32Array value and grad (a trainer Param)');
  if (param.grad.length !== param.value.length) fail('param.grad', `must have the ${param.value.length} entries of param.value, got ${param.grad.length}`);
  const kept = Uint8Array.from(checkMask('mask', mask, param.value.length), (v) => (v === 0 ? 0 : 1));
  for (let i = 0; i < kept.length; i++)
    if (kept[i] === 0) {
      param.value[i] = 0;
      param.grad[i] = 0;
    }
  param.mask = kept;
}
