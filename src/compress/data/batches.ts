/**
 * Batches of a dataset for training and evaluation, epoch after epoch:
 * seeded shuffling, an optional partial last batch, and CIFAR's random crop
 * and flip drawn per image.
 */
import { mulberry32 } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { checkBoolean, checkInt, checkObject } from '../../validate.js';
import type { Batch } from '../train/layer.js';
import { copyCropFlip } from './augment.js';
import { checkDataset, shuffle, type Dataset } from './dataset.js';

export interface BatchOptions {
  /** Images per batch, at least 1. */
  readonly batchSize: number;
  /** Draw a new order every epoch (default true); false keeps the dataset's order. */
  readonly shuffle?: boolean;
  /** An integer in [0, 2^32) (default 0): the same seed gives the same orders and augmentations. */
  readonly seed?: number;
  /** Leave out the last batch when fewer than batchSize images are left for it (default false: a smaller last batch). */
  readonly dropLast?: boolean;
  /** Random crop and flip per image (default none). */
  readonly augment?: {
    /** Pad every side with this many zeros and crop back at a random offset (CIFAR: 4); default 0, no crop. */
    readonly cropPadding?: number;
    /** Mirror half the images left to right, at random (default false). */
    readonly flip?: boolean;
  };
}

/**
 * A dataset's batches (the trainer's Batch: x NHWC [n, H, W, C], labels [n]).
 *
 * Order: each epoch() starts from 0..N-1 and, when shuffling, runs a
 * Fisher-Yates shuffle on it (dataset.ts's shuffle()) with mulberry32 seeded
 * by `seed`, continued from one epoch to the next: epoch k's order depends
 * only on the seed and k. Augmentation draws from a second mulberry32
 * seeded by seed ^ 0x9E3779B9, so turning it on changes no order: per image,
 * in batch order, the crop's top then left (each floor(u * (2 * padding + 1)))
 * when cropping, then the flip (u < 0.5) when flipping.
 *
 * Storage: every batch is written into the same arrays (the first batch's;
 * a smaller last batch views their front), so an epoch allocates nothing
 * per batch. A batch is valid until the next one is produced: a caller that
 * keeps one copies it. Run one epoch at a time.
 */
export class Batches {
  /** Batches per epoch. */
  readonly count: number;
  private readonly dataset: Dataset;
  private readonly batchSize: number;
  private readonly shuffled: boolean;
  private readonly crop: { padding: number; flip: boolean };
  private readonly order: Uint32Array;
  private readonly orderRandom: () => number;
  private readonly augmentRandom: () => number;
  /** A full batch, and the smaller last one (on the same storage) when the dataset leaves one. */
  private readonly full: Batch;
  private readonly last: Batch | undefined;

  /** @throws TypeError/RangeError naming the argument. */
  constructor(dataset: Dataset, options: BatchOptions) {
    this.dataset = checkDataset('dataset', dataset);
    checkObject('options', options);
    this.batchSize = checkInt('options.batchSize', options.batchSize, 1, 2 ** 31 - 1);
    this.shuffled = checkBoolean('options.shuffle', options.shuffle ?? true);
    const seed = checkInt('options.seed', options.seed ?? 0, 0, 2 ** 32 - 1);
    const dropLast = checkBoolean('options.dropLast', options.dropLast ?? false);
    const augment = options.augment ?? {};
    checkObject('options.augment', augment);
    const [n, h, w, c] = dataset.dims;
    this.crop = {
      padding: checkInt('options.augment.cropPadding', augment.cropPadding ?? 0, 0, Math.max(h, w)),
      flip: checkBoolean('options.augment.flip', augment.flip ?? false),
    };
    this.order = new Uint32Array(n);
    this.orderRandom = mulberry32(seed);
    this.augmentRandom = mulberry32(seed ^ 0x9e3779b9);

    const rest = n % this.batchSize;
    this.count = Math.floor(n / this.batchSize) + (rest > 0 && !dropLast ? 1 : 0);
    const rows = Math.min(this.batchSize, n);
    const x = new Float32Array(rows * h * w * c);
    const labels = new Uint8Array(rows);
    this.full = { x: batchTensor(x, [rows, h, w, c]), labels };
    this.last = rest > 0 && !dropLast && rest < rows ? { x: batchTensor(x.subarray(0, rest * h * w * c), [rest, h, w, c]), labels: labels.subarray(0, rest) } : undefined;
  }

  /** The next epoch's batches, in its order (see the class comment); each one overwrites the one before. */
  *epoch(): Generator<Batch, void, undefined> {
    const { order, batchSize, count } = this;
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.shuffled) shuffle(order, this.orderRandom);
    for (let b = 0; b < count; b++) {
      const rows = Math.min(batchSize, order.length - b * batchSize);
      const batch = rows === this.full.labels.length ? this.full : this.last!;
      this.fill(batch, b * batchSize, rows);
      yield batch;
    }
  }

  /** Copies the `rows` images at order[start..] into `batch`, cropped and flipped as drawn. */
  private fill(batch: Batch, start: number, rows: number): void {
    const { images, labels, dims } = this.dataset;
    const [, h, w, c] = dims;
    const size = h * w * c;
    const { padding, flip } = this.crop;
    const random = this.augmentRandom;
    const crop = { padding, top: padding, left: padding, flip: false };
    for (let r = 0; r < rows; r++) {
      const index = this.order[start + r];
      if (padding > 0) {
        crop.top = Math.floor(random() * (2 * padding + 1));
        crop.left = Math.floor(random() * (2 * padding + 1));
      }
      if (flip) crop.flip = random() < 0.5;
      copyCropFlip(images, index * size, batch.x.data, r * size, h, w, c, crop);
      batch.labels[r] = labels[index];
    }
  }
}

function batchTensor(data: Float32Array, dims: number[]): Tensor<'float32'> {
  return { type: 'float32', dims, data };
}
