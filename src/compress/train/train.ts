/**
 * The training loop: per batch, forward in train mode, softmax
 * cross-entropy, backward, one optimizer step at the schedule's rate; and
 * evaluate() for loss and accuracy in eval mode. Everything runs in order on
 * seeded state, so the same network, seeds and batch order give
 * bit-identical weights (tested on one thread, cpu.setThreads(1); with more,
 * the kernels' split of the work is theirs to keep or change).
 */
import type { Tensor } from '../../tensor.js';
import { checkInt, checkObject, fail, typeFail } from '../../validate.js';
import type { Batch, Layer, Param } from './layer.js';
import { softmaxCrossEntropy } from './loss.js';
import type { Optimizer } from './optimizer.js';
import { progressReporter, type Progress, type ProgressOption } from './progress.js';
import { constantLr, type Schedule } from './schedule.js';
import { pruningHook, type PruneDuringTraining } from '../prune/schedule.js';

export interface TrainOptions {
  /** The batches of an epoch (0-based), e.g. a loader shuffled with the epoch as seed. */
  train: (epoch: number) => Iterable<Batch>;
  epochs: number;
  /** Built on the network's params (all, or a subset to fine-tune). */
  optimizer: Optimizer;
  /** The learning rate: a number (constant) or a schedule (default 0.01). */
  schedule?: Schedule | number;
  /** Default 'auto': a bar on a terminal, JSON lines otherwise. */
  progress?: ProgressOption;
  /** Batches evaluated after each epoch (a held-out set): their loss and accuracy join the epoch's result and last report. */
  validation?: () => Iterable<Batch>;
  /**
   * Distillation: the loss becomes alpha * CE(labels) + (1 - alpha) * T^2 *
   * KL(softmax(teacher / T) || softmax(student / T)), the teacher's logits
   * [N, classes] for each batch coming from `teacher` (any model: a
   * Network in eval mode, a session's runSync).
   */
  distill?: { teacher: (batch: Batch) => Tensor<'float32'>; temperature?: number; alpha?: number };
  /** Gradual pruning: params re-masked on a sparsity schedule as training runs (see prune/schedule.ts). */
  prune?: PruneDuringTraining;
}

export interface EpochResult {
  /** 0-based. */
  epoch: number;
  /** Mean training loss and accuracy over the epoch's batches (as trained, in train mode). */
  loss: number;
  accuracy: number;
  images: number;
  /** Training time, without the validation. */
  seconds: number;
  /** With options.validation: evaluate() on it after the epoch. */
  validation?: Evaluation;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  images: number;
}

/** The network's logits for one batch, checked to be [N, classes] with N the batch's images. */
function logitsOf(network: Layer, batch: Batch, mode: 'train' | 'eval', where: string) {
  checkObject(where, batch);
  if (!(batch.labels instanceof Uint8Array)) typeFail(`${where}.labels`, 'must be a Uint8Array of class indices');
  const logits = network.forward(batch.x, mode);
  if (logits.dims.length !== 2 || logits.dims[0] !== batch.x.dims[0])
    fail('network', `must output logits [N, classes] for a batch of N, got [${logits.dims.join(', ')}] for ${batch.x.dims[0]} images`);
  if (batch.labels.length !== logits.dims[0]) fail(`${where}.labels`, `must hold one label per image (${logits.dims[0]}), got ${batch.labels.length}`);
  return logits;
}

function checkNetwork(network: unknown): Layer {
  const n = network as Layer | null;
  if (typeof n !== 'object' || n === null || typeof n.forward !== 'function' || typeof n.backward !== 'function' || typeof n.params !== 'function')
    typeFail('network', 'must be a Network (or any Layer)');
  return n;
}

function checkOptimizer(optimizer: unknown, params: Param[]): Optimizer {
  const o = optimizer as Optimizer | null;
  if (typeof o !== 'object' || o === null || typeof o.step !== 'function' || !Array.isArray(o.params)) typeFail('options.optimizer', 'must be an optimizer (sgd() or adam())');
  const own = new Set(params);
  const stranger = o.params.find((p) => !own.has(p));
  if (stranger) fail('options.optimizer', `updates '${stranger.name}', which is not a param of the network`);
  return o;
}

function iterableOf(value: unknown, what: string): Iterable<Batch> {
  if (typeof value !== 'object' || value === null || typeof (value as Iterable<Batch>)[Symbol.iterator] !== 'function') typeFail(what, 'must be an iterable of batches');
  return value as Iterable<Batch>;
}

/**
 * Trains `network` on options.train's batches for options.epochs epochs.
 * @returns each epoch's training loss, accuracy, images and seconds
 * @throws TypeError/RangeError naming the bad argument; an Error when the loss stops being finite (lower the learning rate).
 */
export function train(network: Layer, options: TrainOptions): EpochResult[] {
  const net = checkNetwork(network);
  checkObject('options', options);
  if (typeof options.train !== 'function') typeFail('options.train', 'must be a function epoch -> iterable of batches');
  const epochs = checkInt('options.epochs', options.epochs, 1, 2 ** 31 - 1);
  const params = net.params();
  const optimizer = checkOptimizer(options.optimizer, params);
  const rate = options.schedule ?? 0.01;
  const schedule: Schedule = typeof rate === 'number' ? constantLr(rate) : typeof rate === 'function' ? rate : typeFail('options.schedule', 'must be a learning rate or a schedule (step, epoch) => lr');
  const report = progressReporter(options.progress ?? 'auto');
  if (options.validation !== undefined && typeof options.validation !== 'function') typeFail('options.validation', 'must be a function returning an iterable of batches');
  const { distill } = options;
  if (distill !== undefined) {
    checkObject('options.distill', distill);
    if (typeof distill.teacher !== 'function') typeFail('options.distill.teacher', 'must be a function batch -> teacher logits');
  }
  const prune = options.prune === undefined ? undefined : pruningHook(options.prune);
  const results: EpochResult[] = [];
  let step = 0, batchesPerEpoch: number | undefined, secondsPerBatch = 0, gradOut: Float32Array | undefined;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const batches = iterableOf(options.train(epoch), `options.train(${epoch})`);
    const known = batchesPerEpoch ?? (Array.isArray(batches) ? batches.length : undefined);
    const start = performance.now();
    let batch = 0, images = 0, lossSum = 0, correct = 0;
    const progress = (epochDone: boolean): Progress => {
      const seconds = (performance.now() - start) / 1000;
      const perBatch = batch > 0 ? seconds / batch : secondsPerBatch;
      const total = epochDone ? batch : known;
      return {
        epoch: epoch + 1, epochs, batch, batches: total, images, loss: images > 0 ? lossSum / images : 0, accuracy: images > 0 ? correct / images : 0,
        imagesPerSecond: seconds > 0 ? images / seconds : 0,
        secondsLeft: total === undefined ? undefined : perBatch * (total - batch + total * (epochs - epoch - 1)),
        epochDone,
      };
    };
    for (const b of batches) {
      prune?.(step);
      for (const p of params) p.grad.fill(0);
      const logits = logitsOf(net, b, 'train', `options.train(${epoch}) batch ${batch}`);
      const n = logits.dims[0];
      if (gradOut?.length !== logits.data.length) gradOut = new Float32Array(logits.data.length);
      const soft = distill && { teacher: distill.teacher(b), temperature: distill.temperature, alpha: distill.alpha };
      const { loss, grad, correct: right } = softmaxCrossEntropy(logits, b.labels, soft, gradOut);
      if (!Number.isFinite(loss)) throw new Error(`training diverged: the loss of epoch ${epoch} batch ${batch} is ${loss}; lower the learning rate`);
      net.backward(grad, false); // nothing reads the gradient of the images
      optimizer.step(schedule(step, epoch));
      step++;
      batch++;
      images += n;
      lossSum += loss * n;
      correct += right;
      report(progress(false));
    }
    const done = progress(true);
    const seconds = (performance.now() - start) / 1000;
    const validation = options.validation && evaluateOn(net, iterableOf(options.validation(), 'options.validation()'), 'options.validation()');
    report(validation ? { ...done, validation: { loss: validation.loss, accuracy: validation.accuracy } } : done);
    batchesPerEpoch = batch;
    secondsPerBatch = batch > 0 ? seconds / batch : 0;
    results.push({ epoch, loss: done.loss, accuracy: done.accuracy, images, seconds, ...(validation && { validation }) });
  }
  return results;
}

/**
 * Mean loss and accuracy of `network` (eval mode) over `batches`.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function evaluate(network: Layer, batches: Iterable<Batch>): Evaluation {
  return evaluateOn(checkNetwork(network), iterableOf(batches, 'batches'), 'batches');
}

/** evaluate() on checked arguments; `where` names the batches in errors. */
function evaluateOn(net: Layer, batches: Iterable<Batch>, where: string): Evaluation {
  let images = 0, lossSum = 0, correct = 0, index = 0;
  for (const b of batches) {
    const logits = logitsOf(net, b, 'eval', `${where}[${index++}]`);
    const { loss, correct: right } = softmaxCrossEntropy(logits, b.labels);
    images += logits.dims[0];
    lossSum += loss * logits.dims[0];
    correct += right;
  }
  return { loss: images > 0 ? lossSum / images : 0, accuracy: images > 0 ? correct / images : 0, images };
}
