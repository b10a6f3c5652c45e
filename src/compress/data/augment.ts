/**
 * CIFAR's augmentation: a random crop of the image padded with zeros on
 * every side (pad 4, crop 32: shifts of up to 4 pixels each way) and a
 * random horizontal flip. The image is cropped, then flipped; both are done
 * in one pass while copying it into a batch.
 */
import { checkBoolean, checkDims, checkInt, checkObject, fail, typeFail } from '../../validate.js';

/** Where one image is cropped from its padded copy, and whether the crop is mirrored. */
export interface CropFlip {
  /** Zeros added on each side before cropping back to the image's size; 0 crops nothing. */
  readonly padding: number;
  /** The crop's top row and left column in the padded image, each in [0, 2 * padding]; padding, padding is the image itself. */
  readonly top: number;
  readonly left: number;
  /** Mirror the crop left to right. */
  readonly flip: boolean;
}

/**
 * Copies the h x w x c image at src[srcOffset] to dst[dstOffset], cropped
 * and flipped as `crop` says: dst(y, x) = src(y + top - padding, x' + left
 * - padding) with x' = w - 1 - x when flipped, else x, and 0 where that
 * falls outside the image. Zero is the padding in the dataset's values: the
 * mean when the dataset was normalized.
 */
export function copyCropFlip(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  h: number,
  w: number,
  c: number,
  { padding, top, left, flip }: CropFlip,
): void {
  const dy = top - padding;
  const dx = left - padding;
  let d = dstOffset;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    if (sy < 0 || sy >= h) {
      dst.fill(0, d, d + w * c);
      d += w * c;
      continue;
    }
    const row = srcOffset + sy * w * c;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + dx;
      if (sx < 0 || sx >= w) {
        for (let ch = 0; ch < c; ch++) dst[d++] = 0;
      } else {
        for (let ch = 0, s = row + sx * c; ch < c; ch++) dst[d++] = src[s + ch];
      }
    }
  }
}

/**
 * One image (NHWC values of `dims` = [H, W, C]) cropped and flipped as
 * `crop` says, in a new array: what a batch holds for that image when those
 * were drawn.
 * @throws TypeError/RangeError naming the argument.
 */
export function cropFlip(image: Float32Array, dims: readonly [number, number, number], crop: CropFlip): Float32Array {
  const [h, w, c] = checkDims('dims', dims, 3);
  if (!(image instanceof Float32Array)) typeFail('image', 'must be a Float32Array');
  if (image.length !== h * w * c) fail('image', `has ${image.length} values but dims [${h}, ${w}, ${c}] need ${h * w * c}`);
  checkObject('crop', crop);
  const padding = checkInt('crop.padding', crop.padding, 0, Math.max(h, w));
  checkInt('crop.top', crop.top, 0, 2 * padding);
  checkInt('crop.left', crop.left, 0, 2 * padding);
  checkBoolean('crop.flip', crop.flip);
  const out = new Float32Array(image.length);
  copyCropFlip(image, 0, out, 0, h, w, c, crop);
  return out;
}
