/**
 * Gradual pruning: the target sparsity at each training step, as TF Model
 * Optimization's ConstantSparsity and PolynomialDecay define it, and the
 * trainer hook that re-masks a set of params on such a schedule
 * (TrainOptions.prune). Pruning gradually, with training between the
 * steps, loses less accuracy than pruning at once (the Fashion-MNIST
 * example's 90% models).
 */
import { checkInt, checkObject, fail, typeFail } from '../../validate.js';
import { checkNumber } from '../train/layers/common.js';
import type { Param } from '../train/layer.js';
import { magnitudeMask } from './masks.js';
import { maskParam } from './param-mask.js';
import { paramWeight, type WeightArray } from './weight.js';

/** The sparsity to prune to before optimizer step `step` (0-based over the whole run). */
export type SparsitySchedule = (step: number) => number;

/** `sparsity` from step `begin` (default 0) on, 0 before. @throws TypeError/RangeError naming the bad argument. */
export function constantSparsity(sparsity: number, begin = 0): SparsitySchedule {
  checkNumber('sparsity', sparsity, 0, 1, true);
  checkInt('begin', begin, 0, 2 ** 53);
  return (step) => (step >= begin ? sparsity : 0);
}

/**
 * 0 before `begin`, then from `initial` at `begin` to `final` at `end`:
 * final + (initial - final) * (1 - (step - begin) / (end - begin))^power
 * (default power 3: fast first, slower as fewer weights are left), `final` after.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function polynomialSparsity(options: { initial: number; final: number; begin: number; end: number; power?: number }): SparsitySchedule {
  checkObject('options', options);
  const { initial, final, begin, end, power = 3 } = options;
  checkNumber('options.initial', initial, 0, 1, true);
  checkNumber('options.final', final, 0, 1, true);
  checkInt('options.begin', begin, 0, 2 ** 53);
  checkInt('options.end', end, 0, 2 ** 53);
  if (end <= begin) fail('options.end', `must be after options.begin (${begin}), got ${end}`);
  checkNumber('options.power', power, 0, 100);
  return (step) => {
    if (step < begin) return 0;
    if (step >= end) return final;
    return final + (initial - final) * (1 - (step - begin) / (end - begin)) ** power;
  };
}

export interface PruneDuringTraining {
  /** The params to prune (weights in ONNX layout, as paramWeight reads them). */
  params: readonly Param[];
  sparsity: SparsitySchedule;
  /** The mask of a weight at a sparsity (default magnitudeMask); blockMask for [4 x 1] blocks, and so on. */
  mask?: (weight: WeightArray, sparsity: number) => Uint8Array;
  /** Re-mask every this many steps (default 100), and at the first step. */
  every?: number;
}

/**
 * The trainer's pruning hook for `options` (checked here): before step
 * `step`, on the first step and every options.every steps, each param gets
 * options.mask at the schedule's sparsity through maskParam (its pruned
 * weights, gradient and optimizer state stay 0 until the next re-mask).
 * A sparsity equal to the last one applied changes nothing.
 */
export function pruningHook(options: PruneDuringTraining): (step: number) => void {
  checkObject('options.prune', options);
  if (!Array.isArray(options.params) || options.params.length === 0) typeFail('options.prune.params', 'must be a non-empty array of Params');
  if (typeof options.sparsity !== 'function') typeFail('options.prune.sparsity', 'must be a schedule step -> sparsity (polynomialSparsity, constantSparsity)');
  if (options.mask !== undefined && typeof options.mask !== 'function') typeFail('options.prune.mask', 'must be a function (weight, sparsity) -> mask, such as magnitudeMask');
  const every = checkInt('options.prune.every', options.every ?? 100, 1, 2 ** 31 - 1);
  const { params, sparsity, mask = magnitudeMask } = options;
  let applied: number | undefined;
  return (step) => {
    if (applied !== undefined && step % every !== 0) return;
    const s = sparsity(step);
    if (!(s >= 0 && s < 1)) fail('options.prune.sparsity', `must give a sparsity in [0, 1), gave ${s} at step ${step}`);
    if (s === applied) return;
    for (const p of params) maskParam(p, mask(paramWeight(p), s));
    applied = s;
  };
}
