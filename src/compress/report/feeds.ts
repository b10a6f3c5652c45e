/**
 * The toolkit's images (NHWC, the trainer's layout) as the feeds of an ONNX
 * model, which takes NCHW: the report and distill() run exported and
 * imported models on dataset images through these.
 */
import { encodeOnnxModel, type OnnxGraph } from '../../runtime/onnx/write.js';
import type { Feeds, InferenceSession } from '../../runtime/session.js';
import { fail, typeFail } from '../../validate.js';
import type { Dataset } from '../data/dataset.js';

/** The bytes of `model` (named `name` in errors): the bytes given, or the graph encoded. */
export function modelBytes(model: unknown, name: string): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (typeof model !== 'object' || model === null || !Array.isArray((model as OnnxGraph).nodes)) typeFail(name, 'must be an OnnxGraph or the bytes of an ONNX model');
  return encodeOnnxModel(model as OnnxGraph);
}

/**
 * The names of `session`'s one input, NCHW images [N, C, H, W] (fixed dims
 * must be `image`'s), and its first output; `name` names the model in errors.
 */
export function imageModelIo(session: InferenceSession, [h, w, c]: readonly [number, number, number], name: string): { input: string; output: string } {
  if (session.inputNames.length !== 1) fail(name, `must have one input (NCHW images), has ${session.inputNames.length}: ${session.inputNames.join(', ')}`);
  const dims = session.inputs[0].dims;
  const expected = [c, h, w];
  if (dims !== null && (dims.length !== 4 || dims.slice(1).some((d, i) => typeof d === 'number' && d !== expected[i])))
    fail(name, `takes [${dims.join(', ')}], which does not fit the data's images [N, H, W, C] = [N, ${h}, ${w}, ${c}] as NCHW [N, ${expected.join(', ')}]`);
  return { input: session.inputNames[0], output: session.outputNames[0] };
}

/**
 * `n` NHWC images of h x w x c from `images[first * h * w * c]` on, in NCHW
 * order. With one channel both orders are the same, so the images' own
 * storage is returned (a view, not a copy).
 */
export function nchwImages(images: Float32Array, first: number, n: number, [h, w, c]: readonly [number, number, number]): Float32Array {
  const size = h * w * c;
  const nhwc = images.subarray(first * size, (first + n) * size);
  if (c === 1) return nhwc;
  const out = new Float32Array(nhwc.length);
  const pixels = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * size;
    for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) out[base + ch * pixels + p] = nhwc[base + p * c + ch];
  }
  return out;
}

/** `data`'s images as feeds of `batch` images (the last batch may hold fewer) for input `input`, with the index of each batch's first image. */
export function* imageFeeds(data: Dataset, batch: number, input: string): Generator<{ first: number; rows: number; feeds: Feeds }> {
  const [n, h, w, c] = data.dims;
  for (let first = 0; first < n; first += batch) {
    const rows = Math.min(batch, n - first);
    yield { first, rows, feeds: { [input]: { type: 'float32', dims: [rows, c, h, w], data: nchwImages(data.images, first, rows, [h, w, c]) } } };
  }
}

/**
 * Writes the top-1 class of each of `rows` images from `logits` ([rows,
 * classes], a model's output) into `classes` from index `first` on; `name`
 * names the model in errors.
 */
export function topClasses(logits: { dims: readonly number[]; data: unknown }, rows: number, classes: Uint8Array, first: number, name: string): void {
  const { dims, data } = logits;
  if (dims.length !== 2 || dims[0] !== rows) fail(name, `must output logits [N, classes], gives [${dims.join(', ')}] for ${rows} images`);
  for (let i = 0; i < rows; i++) classes[first + i] = argmax(data as ArrayLike<number>, i * dims[1], dims[1]);
}

/** The index of the largest of `k` values from data[offset] on (the first one on ties), as the trainer's accuracy counts. */
function argmax(data: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (data[offset + j] > data[offset + best]) best = j;
  return best;
}
