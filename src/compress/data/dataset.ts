/**
 * A dataset in memory: images as float32 NHWC [N, H, W, C] (the trainer's
 * layout) with a class label per image; building one from a file's pixel
 * bytes, per-channel statistics and normalization, and subsets (a seeded
 * sample for calibration).
 */
import { mulberry32 } from '../../random.js';
import { checkDims, checkInt, checkObject, fail, typeFail } from '../../validate.js';

export interface Dataset {
  /** [N, H, W, C]: images, rows, columns, channels. */
  readonly dims: readonly [number, number, number, number];
  /** N * H * W * C values, image after image, each row after row, each pixel's channels together. */
  readonly images: Float32Array;
  /** N class labels. */
  readonly labels: Uint8Array;
}

/** One mean and one standard deviation per channel. */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A training and a test set, and the statistics both were normalized with (when they were). */
export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly stats?: ChannelStats;
}

/** How the loaders scale pixels: byte / 255 always; then, when asked, per channel (x - mean) / std. */
export interface LoadOptions {
  /** true: by the training set's channelStats() (the test set by the same); stats: by those; false (default): left in [0, 1]. */
  readonly normalize?: boolean | ChannelStats;
}

/** The pixel layout in a file's records: 'hwc' (IDX: one channel, or interleaved), 'chw' (CIFAR's planes, red then green then blue). */
export type PixelLayout = 'hwc' | 'chw';

/**
 * Writes `count` images of h x w x c bytes in `layout`, `stride` bytes
 * apart from `bytes[offset]`, into `images` from image `first` on, as NHWC
 * floats in [0, 1] (byte / 255).
 */
export function imagesFromBytes(
  bytes: Uint8Array,
  offset: number,
  stride: number,
  count: number,
  [h, w, c]: readonly [number, number, number],
  layout: PixelLayout,
  images: Float32Array,
  first: number,
): void {
  const pixels = h * w;
  const size = pixels * c;
  for (let n = 0; n < count; n++) {
    const src = offset + n * stride;
    const dst = (first + n) * size;
    if (layout === 'hwc' || c === 1) {
      for (let i = 0; i < size; i++) images[dst + i] = bytes[src + i] / 255;
    } else {
      for (let ch = 0; ch < c; ch++) {
        const plane = src + ch * pixels;
        for (let p = 0; p < pixels; p++) images[dst + p * c + ch] = bytes[plane + p] / 255;
      }
    }
  }
}

/**
 * A dataset on the given arrays (not copied).
 * @param images N * H * W * C values, NHWC
 * @param labels N labels
 * @param dims [N, H, W, C]
 * @throws TypeError/RangeError naming the argument.
 */
export function dataset(images: Float32Array, labels: Uint8Array, dims: readonly [number, number, number, number]): Dataset {
  const checked = checkDims('dims', dims, 4) as [number, number, number, number];
  if (!(images instanceof Float32Array)) typeFail('images', 'must be a Float32Array');
  if (!(labels instanceof Uint8Array)) typeFail('labels', 'must be a Uint8Array');
  const [n, h, w, c] = checked;
  if (images.length !== n * h * w * c) fail('images', `has ${images.length} values but dims [${checked.join(', ')}] need ${n * h * w * c}`);
  if (labels.length !== n) fail('labels', `has ${labels.length} labels but dims[0] is ${n}`);
  return { dims: checked, images, labels };
}

/** Throws unless `value` (named `name`) is a Dataset whose arrays match its dims. */
export function checkDataset(name: string, value: unknown): Dataset {
  checkObject(name, value);
  const d = value as Record<string, unknown>;
  const [n, h, w, c] = checkDims(`${name}.dims`, d.dims, 4);
  if (!(d.images instanceof Float32Array)) typeFail(`${name}.images`, 'must be a Float32Array');
  if (!(d.labels instanceof Uint8Array)) typeFail(`${name}.labels`, 'must be a Uint8Array');
  if (d.images.length !== n * h * w * c) fail(`${name}.images`, `has ${d.images.length} values but dims [${n}, ${h}, ${w}, ${c}] need ${n * h * w * c}`);
  if (d.labels.length !== n) fail(`${name}.labels`, `has ${d.labels.length} labels but dims[0] is ${n}`);
  return value as Dataset;
}

/** Each channel's mean and (population) standard deviation over all of `dataset`'s pixels, summed in float64. */
export function channelStats(dataset: Dataset): ChannelStats {
  const { dims, images } = checkDataset('dataset', dataset);
  const c = dims[3];
  const sum = new Float64Array(c);
  const squares = new Float64Array(c);
  for (let i = 0; i < images.length; i += c) {
    for (let ch = 0; ch < c; ch++) {
      const v = images[i + ch];
      sum[ch] += v;
      squares[ch] += v * v;
    }
  }
  const count = images.length / c;
  const mean = Array.from(sum, (s) => s / count);
  // E[x^2] - mean^2 cancels only when std is tiny against the mean, which pixel data in [0, 1] is not.
  const std = Array.from(squares, (s, ch) => Math.sqrt(Math.max(s / count - mean[ch] ** 2, 0)));
  return { mean, std };
}

/** Throws unless `stats` holds `channels` finite means and finite positive standard deviations. */
export function checkChannelStats(name: string, stats: unknown, channels: number): ChannelStats {
  checkObject(name, stats);
  const { mean, std } = stats as Record<string, unknown>;
  for (const [key, values] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) typeFail(`${name}.${key}`, 'must be an array of numbers, one per channel');
    const list = values as ArrayLike<unknown>;
    if (list.length !== channels) fail(`${name}.${key}`, `must have one value per channel (${channels}), got ${list.length}`);
    for (let i = 0; i < channels; i++) {
      const v = list[i];
      if (typeof v !== 'number') typeFail(`${name}.${key}[${i}]`, `must be a number, got ${typeof v}`);
      if (!Number.isFinite(v) || (key === 'std' && !(v > 0))) fail(`${name}.${key}[${i}]`, `must be a finite${key === 'std' ? ' positive' : ''} number, got ${v}`);
    }
  }
  return stats as ChannelStats;
}

/**
 * Normalizes `dataset`'s images in place: each value becomes
 * (value - mean[c]) / std[c] for its channel c. In place because a training
 * set is hundreds of megabytes; normalize a copy to keep the original.
 * @throws TypeError/RangeError naming the argument (stats must hold one finite mean and one positive std per channel).
 */
export function normalize(dataset: Dataset, stats: ChannelStats): void {
  const { dims, images } = checkDataset('dataset', dataset);
  const c = dims[3];
  checkChannelStats('stats', stats, c);
  const mean = Float64Array.from(stats.mean);
  const scale = Float64Array.from(stats.std, (s) => 1 / s);
  for (let i = 0; i < images.length; i += c) {
    for (let ch = 0; ch < c; ch++) images[i + ch] = (images[i + ch] - mean[ch]) * scale[ch];
  }
}

/**
 * A new dataset of `dataset`'s images at `indices`, in that order (copied).
 * @throws TypeError/RangeError naming the argument (indices must be integers in [0, N)).
 */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const { dims, images, labels } = checkDataset('dataset', dataset);
  if (!Array.isArray(indices) && !ArrayBuffer.isView(indices)) typeFail('indices', 'must be an array or typed array of image indices');
  const n = dims[0];
  const size = dims[1] * dims[2] * dims[3];
  const out = new Float32Array(indices.length * size);
  const outLabels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = checkInt(`indices[${i}]`, indices[i], 0, n - 1);
    out.set(images.subarray(index * size, (index + 1) * size), i * size);
    outLabels[i] = labels[index];
  }
  return { dims: [indices.length, dims[1], dims[2], dims[3]], images: out, labels: outLabels };
}

/**
 * `count` distinct images of `dataset` drawn at random (copied, in the
 * order drawn): calibration data. The draw is the first `count` steps of a
 * Fisher-Yates shuffle of 0..N-1 (see shuffle()), so a seed gives the same
 * sample every time.
 * @param seed an integer in [0, 2^32)
 */
export function sample(dataset: Dataset, count: number, seed = 0): Dataset {
  const { dims } = checkDataset('dataset', dataset);
  checkInt('count', count, 0, dims[0]);
  checkInt('seed', seed, 0, 2 ** 32 - 1);
  const order = Uint32Array.from({ length: dims[0] }, (_, i) => i);
  shuffle(order, mulberry32(seed), count);
  return subset(dataset, order.subarray(0, count));
}

/**
 * Fisher-Yates, front to back: for i = 0.. (up to `steps`, default all),
 * swaps order[i] with order[j], j = i + floor(u * (n - i)) for the next
 * uniform u in [0, 1) of `random` (mulberry32). Every permutation is
 * equally likely up to the 2^-32 granularity of u.
 */
export function shuffle(order: Uint32Array, random: () => number, steps = order.length): void {
  const n = order.length;
  for (let i = 0; i < Math.min(steps, n - 1); i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/** A loader's options for images of `channels` channels: how to normalize (false: not at all), checked before any file is read. */
export function checkLoadOptions(options: unknown, channels: number): boolean | ChannelStats {
  checkObject('options', options);
  const how = (options as LoadOptions).normalize ?? false;
  if (typeof how === 'boolean') return how;
  if (typeof how !== 'object' || how === null) typeFail('options.normalize', `must be a boolean or { mean, std }, got ${how === null ? 'null' : typeof how}`);
  return checkChannelStats('options.normalize', how, channels);
}

/** `train` and `test` normalized (in place) as checkLoadOptions() returned, with the statistics used. */
export function normalizeSplit(train: Dataset, test: Dataset, how: boolean | ChannelStats): Split {
  if (how === false) return { train, test };
  const stats = how === true ? channelStats(train) : how;
  normalize(train, stats);
  normalize(test, stats);
  return { train, test, stats };
}
