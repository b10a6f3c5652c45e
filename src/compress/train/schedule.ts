/**
 * Learning-rate schedules: the rate for an optimizer step, from the step's
 * index (0-based, over the whole run) and its epoch. Warmup wraps any of
 * them.
 */
import { checkInt, typeFail } from '../../validate.js';
import { checkNumber, checkOptions } from './layers/common.js';

export type Schedule = (step: number, epoch: number) => number;

function checkRate(name: string, lr: unknown): number {
  return checkNumber(name, lr, 0, Number.MAX_VALUE);
}

/** lr throughout. */
export function constantLr(lr: number): Schedule {
  checkRate('lr', lr);
  return () => lr;
}

/** lr * gamma^floor(epoch / everyEpochs) (default gamma 0.1). */
export function stepLr(lr: number, options: { everyEpochs: number; gamma?: number }): Schedule {
  checkRate('lr', lr);
  const { everyEpochs, gamma = 0.1 } = checkOptions(options);
  checkInt('options.everyEpochs', everyEpochs, 1, 2 ** 31 - 1);
  checkNumber('options.gamma', gamma, 0, Number.MAX_VALUE);
  return (_step, epoch) => lr * gamma ** Math.floor(epoch / everyEpochs);
}

/** Cosine from lr down to minLr (default 0) over totalSteps steps, minLr after. */
export function cosineLr(lr: number, options: { totalSteps: number; minLr?: number }): Schedule {
  checkRate('lr', lr);
  const { totalSteps, minLr = 0 } = checkOptions(options);
  checkInt('options.totalSteps', totalSteps, 1, 2 ** 53);
  checkRate('options.minLr', minLr);
  return (step) => minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps))) / 2;
}

/** `schedule` scaled by (step + 1) / steps for the first `steps` steps: a linear ramp from near 0. */
export function warmupLr(schedule: Schedule, options: { steps: number }): Schedule {
  if (typeof schedule !== 'function') typeFail('schedule', 'must be a schedule (step, epoch) => lr');
  const { steps } = checkOptions(options);
  checkInt('options.steps', steps, 1, 2 ** 53);
  return (step, epoch) => schedule(step, epoch) * Math.min(1, (step + 1) / steps);
}
