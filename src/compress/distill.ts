/**
 * distill(): knowledge distillation. A student network trains on a
 * dataset's images against a teacher's temperature-softened outputs mixed
 * with the hard labels (the trainer's distillation loss, train.ts/loss.ts:
 * alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher_T || student_T)).
 * The teacher is any ONNX model sparq runs, taking NCHW images: it runs on
 * each batch in sparq's session (the batch's NHWC images transposed to
 * NCHW), so a teacher in another framework's export works as well as one
 * the trainer made.
 */
import type { OnnxGraph } from '../runtime/onnx/write.js';
import { InferenceSession } from '../runtime/session.js';
import type { Tensor } from '../tensor.js';
import { checkObject, fail } from '../validate.js';
import { Batches, type BatchOptions } from './data/batches.js';
import { checkDataset, type Dataset } from './data/dataset.js';
import { imageModelIo, modelBytes, nchwImages } from './report/feeds.js';
import type { Batch, Layer } from './train/layer.js';
import { checkNumber } from './train/layers/common.js';
import { train, type EpochResult, type TrainOptions } from './train/train.js';

export interface DistillOptions extends Pick<TrainOptions, 'epochs' | 'optimizer' | 'schedule' | 'progress'> {
  /** The training images (NHWC) and their hard labels. */
  data: Dataset;
  /** Images per batch (default 64). */
  batchSize?: number;
  /** Seed of the batches' order and augmentation (default 0); see Batches. */
  seed?: number;
  augment?: BatchOptions['augment'];
  /** Evaluated after each epoch (in order, batchSize at a time): its loss and accuracy join each epoch's result. */
  validation?: Dataset;
  /** Softening temperature T > 0 (default 4). */
  temperature?: number;
  /** Weight of the hard-label loss in [0, 1] (default 0.5); 1 - alpha weighs the teacher's. */
  alpha?: number;
}

/** The teacher's logits for a batch of NHWC images, from its session. */
function teacherLogits(session: InferenceSession, io: { input: string; output: string }) {
  return (batch: Batch): Tensor<'float32'> => {
    const [n, h, w, c] = batch.x.dims;
    const out = session.runSync({ [io.input]: { type: 'float32', dims: [n, c, h, w], data: nchwImages(batch.x.data, 0, n, [h, w, c]) } })[io.output];
    if (out.type !== 'float32' || out.dims.length !== 2 || out.dims[0] !== n) fail('teacher', `must output float32 logits [N, classes], gives ${out.type} [${out.dims.join(', ')}] for ${n} images`);
    return { type: 'float32', dims: out.dims, data: out.data as Float32Array };
  };
}

/**
 * Trains `student` (a Network on NHWC images) on options.data against
 * `teacher`'s logits (see the file comment): a 'cpu' InferenceSession (left
 * open), or an ONNX graph or its bytes (a session made and released here).
 * @returns each epoch's result, as train() gives them
 * @throws TypeError/RangeError naming the bad argument; the session's errors for a teacher it cannot run; train()'s.
 */
export async function distill(student: Layer, teacher: InferenceSession | OnnxGraph | Uint8Array, options: DistillOptions): Promise<EpochResult[]> {
  checkObject('options', options);
  const data = checkDataset('options.data', options.data);
  const validation = options.validation === undefined ? undefined : checkDataset('options.validation', options.validation);
  if (validation && validation.dims.slice(1).some((d, i) => d !== data.dims[i + 1]))
    fail('options.validation', `must hold images of options.data's [H, W, C] = [${data.dims.slice(1).join(', ')}], got [${validation.dims.slice(1).join(', ')}]`);
  // The loss's own checks, named after these options.
  const temperature = checkNumber('options.temperature', options.temperature ?? 4, Number.MIN_VALUE, Number.MAX_VALUE);
  const alpha = checkNumber('options.alpha', options.alpha ?? 0.5, 0, 1);
  const batchSize = options.batchSize ?? 64;
  const batches = new Batches(data, { batchSize, seed: options.seed, augment: options.augment });
  const validate = validation && new Batches(validation, { batchSize, shuffle: false });
  const session = teacher instanceof InferenceSession ? teacher : await InferenceSession.create(modelBytes(teacher, 'teacher'));
  try {
    const [, h, w, c] = data.dims;
    const io = imageModelIo(session, [h, w, c], 'teacher');
    return train(student, {
      train: () => batches.epoch(),
      epochs: options.epochs,
      optimizer: options.optimizer,
      schedule: options.schedule,
      progress: options.progress,
      validation: validate && (() => validate.epoch()),
      distill: { teacher: teacherLogits(session, io), temperature, alpha },
    });
  } finally {
    if (session !== teacher) await session.release();
  }
}
