/**
 * Images as model inputs: PNG (pngjs: 1- to 16-bit gray, RGB, gray + alpha,
 * RGBA, palette) and JPEG (jpeg-js: baseline and progressive) decoded to
 * pixels in [0, 255] (16-bit samples kept as fractions, not rounded; alpha
 * dropped, not blended), resized with a bilinear filter, converted to one
 * or three channels, and normalized into a float32 NCHW or NHWC batch.
 * Damaged or unsupported files are an ImageError naming the file; bad
 * arguments a TypeError/RangeError naming the argument.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { checkInt, checkObject, checkOneOf, fail, typeFail } from '../validate.js';

export class ImageError extends Error {
  override name = 'ImageError';
}

/** height x width pixels of `channels` values each (row by row, channels innermost), each in [0, 255]. */
export interface Image {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

export type ImageLayout = 'nchw' | 'nhwc';

/** value = (pixel * scale - mean[c]) / std[c]; mean and std one value per channel, or one for all. */
export interface Normalization {
  scale: number;
  mean?: readonly number[];
  std?: readonly number[];
}

/** BT.601 luma weights of R, G and B (what Pillow's convert('L') and OpenCV use). */
export const LUMA = [0.299, 0.587, 0.114] as const;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8, 0xff];

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

function checkBytes(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) typeFail('bytes', 'must be a Uint8Array (or Buffer)');
  return bytes;
}

function checkFile(file: unknown): string {
  if (typeof file !== 'string') typeFail('file', 'must be a string (the name errors give)');
  return file;
}

/** The first line of a decoder's error, for a one-line message. */
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/**
 * A PNG's pixels: gray (and gray + alpha) as one channel, RGB, RGBA and
 * palette images as three; samples of 1, 2, 4 and 16 bits scaled to [0, 255].
 * @throws ImageError naming `file` when the bytes are not a PNG pngjs decodes.
 */
export function decodePng(bytes: Uint8Array, file: string): Image {
  checkBytes(bytes);
  checkFile(file);
  if (!startsWith(bytes, PNG_SIGNATURE)) throw new ImageError(`${file}: not a PNG file (no PNG signature)`);
  let png;
  try {
    // skipRescale: 16-bit samples stay 16-bit (a Uint16Array), scaled here without rounding.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new ImageError(`${file}: damaged or unsupported PNG (${reason(e)})`);
  }
  // Palette entries are 8-bit whatever the index depth; other samples have the image's depth.
  const max = png.palette ? 255 : 2 ** png.depth - 1;
  const channels = png.color || png.palette ? 3 : 1;
  const rgba = png.data as unknown as ArrayLike<number>;
  const n = png.width * png.height;
  const data = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = (rgba[p * 4 + c] * 255) / max;
  return { width: png.width, height: png.height, channels, data };
}

/**
 * A JPEG's pixels as RGB (gray JPEGs too: jpeg-js replicates their one channel).
 * @throws ImageError naming `file` when the bytes are not a JPEG jpeg-js decodes.
 */
export function decodeJpeg(bytes: Uint8Array, file: string): Image {
  checkBytes(bytes);
  checkFile(file);
  if (!startsWith(bytes, JPEG_SOI)) throw new ImageError(`${file}: not a JPEG file (no start-of-image marker)`);
  let decoded;
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (e) {
    throw new ImageError(`${file}: damaged or unsupported JPEG (${reason(e)})`);
  }
  if (decoded.width === 0 || decoded.height === 0) throw new ImageError(`${file}: the JPEG has no pixels`);
  return { width: decoded.width, height: decoded.height, channels: 3, data: Float32Array.from(decoded.data) };
}

/**
 * A PNG or JPEG file's pixels, told apart by their first bytes.
 * @throws ImageError naming `file` when it is neither, or damaged.
 */
export function decodeImage(bytes: Uint8Array, file: string): Image {
  checkBytes(bytes);
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes, file);
  if (startsWith(bytes, JPEG_SOI)) return decodeJpeg(bytes, file);
  throw new ImageError(`${checkFile(file)}: not a PNG or JPEG image (unknown first bytes)`);
}

function checkImage(name: string, image: unknown): Image {
  checkObject(name, image);
  const { width, height, channels, data } = image as Image;
  checkInt(`${name}.width`, width, 1, 2 ** 31 - 1);
  checkInt(`${name}.height`, height, 1, 2 ** 31 - 1);
  if (channels !== 1 && channels !== 3) fail(`${name}.channels`, `must be 1 or 3, got ${String(channels)}`);
  if (!(data instanceof Float32Array)) typeFail(`${name}.data`, 'must be a Float32Array');
  if (data.length !== width * height * channels) fail(`${name}.data`, `holds ${data.length} values, ${width} x ${height} x ${channels} needs ${width * height * channels}`);
  return image as Image;
}

/**
 * For each of `size` output positions along an axis of `length` pixels: the
 * first source pixel and the normalized weights of the ones it reads.
 * A triangle (bilinear) filter at half-pixel centres, widened by the shrink
 * factor when shrinking so every source pixel counts (Pillow's BILINEAR):
 * enlarging, it is plain bilinear interpolation, the edges clamped.
 */
function bilinearTaps(length: number, size: number): { first: number; weights: number[] }[] {
  const ratio = length / size, stretch = Math.max(ratio, 1);
  return Array.from({ length: size }, (_, o) => {
    const centre = (o + 0.5) * ratio;
    const first = Math.max(Math.floor(centre - stretch + 0.5), 0), end = Math.min(Math.floor(centre + stretch + 0.5), length);
    const weights = Array.from({ length: end - first }, (_, j) => Math.max(0, 1 - Math.abs((first + j + 0.5 - centre) / stretch)));
    const total = weights.reduce((a, b) => a + b, 0);
    return { first, weights: weights.map((w) => w / total) };
  });
}

/**
 * `image` resized to height x width by bilinear filtering (see bilinearTaps),
 * rows then columns, in float64 rounded once to float32: a constant image
 * stays exactly constant. An image of that size already is returned as is.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function resizeBilinear(imageIn: Image, height: number, width: number): Image {
  const image = checkImage('image', imageIn);
  checkInt('height', height, 1, 2 ** 16);
  checkInt('width', width, 1, 2 ** 16);
  if (height === image.height && width === image.width) return image;
  const c = image.channels;
  const across = bilinearTaps(image.width, width), down = bilinearTaps(image.height, height);
  const rows = new Float64Array(image.height * width * c);
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < width; x++) {
      const { first, weights } = across[x];
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++) sum += weights[j] * image.data[(y * image.width + first + j) * c + ch];
        rows[(y * width + x) * c + ch] = sum;
      }
    }
  const data = new Float32Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const { first, weights } = down[y];
    for (let i = 0; i < width * c; i++) {
      let sum = 0;
      for (let j = 0; j < weights.length; j++) sum += weights[j] * rows[(first + j) * width * c + i];
      data[y * width * c + i] = sum;
    }
  }
  return { width, height, channels: c, data };
}

/**
 * `image` with `channels` channels: RGB to gray by BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B), gray to RGB by repeating it.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function toChannels(imageIn: Image, channels: 1 | 3): Image {
  const image = checkImage('image', imageIn);
  if (channels !== 1 && channels !== 3) fail('channels', `must be 1 or 3, got ${String(channels)}`);
  if (channels === image.channels) return image;
  const n = image.width * image.height, src = image.data;
  const data = new Float32Array(n * channels);
  if (channels === 3) for (let p = 0; p < n; p++) data.fill(src[p], p * 3, p * 3 + 3);
  else for (let p = 0; p < n; p++) data[p] = LUMA[0] * src[p * 3] + LUMA[1] * src[p * 3 + 1] + LUMA[2] * src[p * 3 + 2];
  return { ...image, channels, data };
}

/** One value per channel from a list of 1 or `channels` values (or `fallback` when absent). */
function perChannel(name: string, values: readonly number[] | undefined, channels: number, fallback: number, nonZero: boolean): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fallback);
  if (!Array.isArray(values) || (values.length !== 1 && values.length !== channels)) fail(name, channels === 1 ? 'must hold 1 number (the images have 1 channel)' : `must hold 1 or ${channels} numbers (one per channel)`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (nonZero && v === 0)) fail(`${name}[${i}]`, `must be a finite${nonZero ? ' non-zero' : ''} number, got ${String(v)}`);
  });
  return values.length === channels ? [...values] : new Array<number>(channels).fill(values[0]);
}

/**
 * The batch of `images` (all one size and channel count) as float32 data of
 * dims [N, C, H, W] ('nchw') or [N, H, W, C] ('nhwc'), each value
 * (pixel * scale - mean[c]) / std[c].
 * @throws TypeError/RangeError naming the bad argument.
 */
export function imageBatch(images: readonly Image[], layout: ImageLayout, normalization: Normalization): Float32Array {
  if (!Array.isArray(images) || images.length === 0) typeFail('images', 'must be a non-empty array of images');
  images.forEach((image, i) => checkImage(`images[${i}]`, image));
  const { width, height, channels } = images[0];
  const other = images.findIndex((im) => im.width !== width || im.height !== height || im.channels !== channels);
  if (other >= 0) fail(`images[${other}]`, `is ${images[other].width} x ${images[other].height} x ${images[other].channels}, images[0] ${width} x ${height} x ${channels}`);
  checkOneOf('layout', layout, ['nchw', 'nhwc'] as const);
  checkObject('normalization', normalization);
  const { scale } = normalization;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) fail('normalization.scale', `must be a finite positive number, got ${String(scale)}`);
  const mean = perChannel('normalization.mean', normalization.mean, channels, 0, false);
  const std = perChannel('normalization.std', normalization.std, channels, 1, true);
  const plane = width * height, size = plane * channels;
  const out = new Float32Array(images.length * size);
  images.forEach((image, n) => {
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < channels; c++) {
        const at = n * size + (layout === 'nchw' ? c * plane + p : p * channels + c);
        out[at] = (image.data[p * channels + c] * scale - mean[c]) / std[c];
      }
  });
  return out;
}
