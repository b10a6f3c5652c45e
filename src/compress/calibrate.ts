/**
 * Calibration for static quantization: runs the float graph on sample feeds
 * in sparq's own session, fetching the intermediate values the QDQ
 * quantizer quantizes, and picks each one's range by one of four methods:
 * - 'minmax' (the default): the overall [min, max];
 * - 'percentile': onnxruntime's percentile method (default 99.999, cutting
 *   |x| symmetrically as its tool does by default);
 * - 'entropy': the range whose quantized distribution is closest (KL
 *   divergence) to the histogram's, onnxruntime's and TensorRT's method;
 * - 'mse': the range whose uint8 quantize-dequantize squared error over the
 *   histogram is smallest.
 * The histogram methods keep one bounded histogram per activation across
 * the feeds, never the values (./quantize/histogram.ts).
 */
import { cpu } from '../backends/cpu/backend.js';
import { encodeOnnxModel, type OnnxGraph } from '../runtime/onnx/write.js';
import { InferenceSession } from '../runtime/session.js';
import type { Tensor } from '../tensor.js';
import { checkBoolean, checkInt, checkObject, checkOneOf, fail, typeFail } from '../validate.js';
import { checkGraph, quantizedActivations } from './quantize-qdq.js';
import { Histogram } from './quantize/histogram.js';
import { entropyRange, mseRange, percentileRange, type Range } from './quantize/ranges.js';

/** One calibration sample: a float32 tensor ({ type: 'float32', dims, data }) per graph input, by input name. */
export type CalibrationFeed = Record<string, { type: string; dims: readonly number[]; data: Float32Array }>;

export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy', 'mse'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export interface CalibrateOptions {
  /** How each activation's range is chosen (default 'minmax'). */
  method?: CalibrationMethod;
  /** 'percentile' only: the share of values kept, in (0, 100] (default 99.999, onnxruntime's). */
  percentile?: number;
  /**
   * 'percentile' only: cut |x| at the percentile, range [-t, t] within
   * [min, max] (true, the default of onnxruntime's tool), or cut each tail
   * at half the rest (false).
   */
  symmetric?: boolean;
  /** Histogram methods: the even bin count of the first batch's range, 128 to 65536 (default 2048). */
  bins?: number;
  /** 'entropy' only: bins of the quantized distribution, even, 2 to `bins` (default 128, onnxruntime's). */
  quantizedBins?: number;
}

interface Checked {
  method: CalibrationMethod;
  percentile: number;
  symmetric: boolean;
  bins: number;
  quantizedBins: number;
}

/** Throws unless `options` (named `name`) are valid calibrate() options; returns them with defaults. */
export function checkCalibrateOptions(options: unknown, name = 'options'): Checked {
  checkObject(name, options);
  const o = options as CalibrateOptions;
  const method = o.method === undefined ? 'minmax' : checkOneOf(`${name}.method`, o.method, CALIBRATION_METHODS);
  const only = (key: keyof CalibrateOptions, methods: readonly CalibrationMethod[]) => {
    if (o[key] !== undefined && !methods.includes(method)) fail(`${name}.${key}`, `applies to method ${methods.map((m) => `'${m}'`).join(' or ')} only, not '${method}'`);
  };
  only('percentile', ['percentile']);
  only('symmetric', ['percentile']);
  only('bins', ['percentile', 'entropy', 'mse']);
  only('quantizedBins', ['entropy']);
  let percentile = 99.999;
  if (o.percentile !== undefined) {
    if (typeof o.percentile !== 'number') typeFail(`${name}.percentile`, `must be a number, got ${typeof o.percentile}`);
    if (!(o.percentile > 0 && o.percentile <= 100)) fail(`${name}.percentile`, `must be in (0, 100], got ${o.percentile}`);
    percentile = o.percentile;
  }
  const symmetric = o.symmetric === undefined ? true : checkBoolean(`${name}.symmetric`, o.symmetric);
  const bins = o.bins === undefined ? 2048 : checkInt(`${name}.bins`, o.bins, 128, 65536);
  if (bins % 2 !== 0) fail(`${name}.bins`, `must be even (0 is a bin edge), got ${bins}`);
  const quantizedBins = o.quantizedBins === undefined ? 128 : checkInt(`${name}.quantizedBins`, o.quantizedBins, 2, bins);
  if (quantizedBins % 2 !== 0) fail(`${name}.quantizedBins`, `must be even, got ${quantizedBins}`);
  return { method, percentile, symmetric, bins, quantizedBins };
}

/** The range of every activation quantizeQdq() quantizes, over all the `feeds`, by `options.method`. */
export async function calibrate(graph: OnnxGraph, feeds: readonly CalibrationFeed[], options: CalibrateOptions = {}): Promise<Map<string, Range>> {
  checkGraph(graph);
  checkFeeds(feeds);
  const checked = checkCalibrateOptions(options);
  const names = quantizedActivations(graph);
  // Unoptimized: the passes fuse some of these activations away.
  const session = await InferenceSession.create(encodeOnnxModel(graph), { optimize: false });
  const ranges = new Map<string, Range>();
  const histograms = new Map<string, Histogram>();
  feeds.forEach((feed, i) => {
    const values = session.runSync(feed, names.filter((n) => !(n in feed)));
    for (const [name, v] of [...Object.entries(feed), ...Object.entries(values)]) {
      const tensor = v as Tensor<'float32'>;
      if (tensor.data.length === 0) continue;
      const { min: [min], max: [max] } = cpu.minmax(tensor);
      if (!(Number.isFinite(min) && Number.isFinite(max))) fail(`feeds[${i}]`, `gives activation ${JSON.stringify(name)} non-finite values (min ${min}, max ${max}): no range can hold them`);
      if (checked.method === 'minmax') {
        const [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
        ranges.set(name, [Math.min(lo, min), Math.max(hi, max)]);
      } else {
        let h = histograms.get(name);
        if (!h) histograms.set(name, (h = new Histogram(checked.bins)));
        h.add(tensor.data, min, max);
      }
    }
  });
  for (const [name, h] of histograms) ranges.set(name, rangeOf(h, checked));
  return ranges;
}

function rangeOf(h: Histogram, options: Checked): Range {
  switch (options.method) {
    case 'percentile': return percentileRange(h, options.percentile, options.symmetric);
    case 'entropy': return entropyRange(h, options.quantizedBins);
    default: return mseRange(h);
  }
}

/** Throws unless `feeds` is a non-empty array of objects whose values are float32 tensors (the session checks their dims). */
export function checkFeeds(feeds: unknown): asserts feeds is readonly CalibrationFeed[] {
  if (!Array.isArray(feeds)) typeFail('feeds', 'must be an array of feeds (input name -> float32 tensor)');
  if (feeds.length === 0) fail('feeds', 'must hold at least one feed');
  feeds.forEach((feed, i) => {
    checkObject(`feeds[${i}]`, feed);
    for (const [name, value] of Object.entries(feed)) {
      if ((value as { type?: unknown } | null)?.type !== 'float32') typeFail(`feeds[${i}].${name}`, 'must be a float32 tensor');
    }
  });
}
