/**
 * Min/max calibration for static quantization: runs the float graph on
 * sample feeds in sparq's own session, fetching the intermediate values the
 * QDQ quantizer quantizes, and keeps each one's overall [min, max]. The
 * start of the compression toolkit's calibrate step (percentile, entropy and
 * MSE ranges come later); not exported from the package yet.
 */
import { cpu } from '../backends/cpu/backend.js';
import { encodeOnnxModel, type OnnxGraph } from '../runtime/onnx/write.js';
import { InferenceSession } from '../runtime/session.js';
import type { Tensor } from '../tensor.js';
import { checkObject, fail, typeFail } from '../validate.js';
import { checkGraph, quantizedActivations } from './quantize-qdq.js';

/** One calibration sample: a float32 tensor ({ type: 'float32', dims, data }) per graph input, by input name. */
export type CalibrationFeed = Record<string, { type: string; dims: readonly number[]; data: Float32Array }>;

/** [min, max] of every activation quantizeQdq() quantizes, over all the `feeds`. */
export async function calibrate(graph: OnnxGraph, feeds: readonly CalibrationFeed[]): Promise<Map<string, [number, number]>> {
  checkGraph(graph);
  checkFeeds(feeds);
  const names = quantizedActivations(graph);
  // Unoptimized: the passes fuse some of these activations away.
  const session = await InferenceSession.create(encodeOnnxModel(graph), { optimize: false });
  const ranges = new Map<string, [number, number]>();
  for (const feed of feeds) {
    const values = session.runSync(feed, names.filter((n) => !(n in feed)));
    for (const [name, v] of [...Object.entries(values), ...Object.entries(feed)]) {
      const { min, max } = cpu.minmax(v as Tensor<'float32'>);
      const [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
      ranges.set(name, [Math.min(lo, min[0]), Math.max(hi, max[0])]);
    }
  }
  return ranges;
}

/** Throws unless `feeds` is a non-empty array of objects whose values are float32 tensors (the session checks their dims). */
function checkFeeds(feeds: unknown): asserts feeds is readonly CalibrationFeed[] {
  if (!Array.isArray(feeds)) typeFail('feeds', 'must be an array of feeds (input name -> float32 tensor)');
  if (feeds.length === 0) fail('feeds', 'must hold at least one feed');
  feeds.forEach((feed, i) => {
    checkObject(`feeds[${i}]`, feed);
    for (const [name, value] of Object.entries(feed)) {
      if ((value as { type?: unknown } | null)?.type !== 'float32') typeFail(`feeds[${i}].${name}`, 'must be a float32 tensor');
    }
  });
}
