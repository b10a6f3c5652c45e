/**
 * Post-training static quantization in one call: the BatchNorm fold and
 * weight clipping steps, calibration and the QDQ rewrite, in that order,
 * each as its own function would run it. Every option is checked before
 * any step runs.
 */
import type { OnnxGraph } from '../../runtime/onnx/write.js';
import { checkBoolean, checkObject } from '../../validate.js';
import { calibrate, checkCalibrateOptions, checkFeeds, type CalibrateOptions, type CalibrationFeed } from '../calibrate.js';
import { checkGraph, checkQdqOptions, quantizeQdq, type QdqOptions } from '../quantize-qdq.js';
import { checkClipWeightsOptions, clipWeights, type ClipWeightsOptions } from './clip-weights.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import type { Range } from './ranges.js';

export interface QuantizeOptions extends QdqOptions {
  /** How activation ranges are calibrated (calibrate()'s options; default min-max). */
  calibration?: CalibrateOptions;
  /** Fold each Conv -> BatchNormalization into the Conv first (default true). */
  foldBatchNorm?: boolean;
  /** Clip the weights before they are quantized (default: not clipped). */
  clipWeights?: ClipWeightsOptions;
}

export interface QuantizeResult {
  /** The QDQ model. */
  graph: OnnxGraph;
  /** The calibrated range of every quantized activation. */
  ranges: Map<string, Range>;
  /** How many values of each weight clipWeights clipped (empty without options.clipWeights). */
  clipped: Map<string, number>;
}

/** The QDQ int8 model of the float `graph`, its activations calibrated on `feeds`. */
export async function quantize(graph: OnnxGraph, feeds: readonly CalibrationFeed[], options: QuantizeOptions = {}): Promise<QuantizeResult> {
  checkGraph(graph);
  checkFeeds(feeds);
  checkObject('options', options);
  const qdq = checkQdqOptions(options);
  const calibration = options.calibration ?? {};
  checkCalibrateOptions(calibration, 'options.calibration');
  const fold = options.foldBatchNorm === undefined ? true : checkBoolean('options.foldBatchNorm', options.foldBatchNorm);
  if (options.clipWeights !== undefined) checkClipWeightsOptions(options.clipWeights, 'options.clipWeights');
  const folded = fold ? foldBatchNorm(graph) : graph;
  const { graph: clipped, clipped: counts } = options.clipWeights ? clipWeights(folded, options.clipWeights) : { graph: folded, clipped: new Map<string, number>() };
  const ranges = await calibrate(clipped, feeds, calibration);
  return { graph: quantizeQdq(clipped, ranges, qdq), ranges, clipped: counts };
}
