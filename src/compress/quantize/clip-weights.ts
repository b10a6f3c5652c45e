/**
 * Weight clipping as an explicit step before quantization: each int8
 * weight's outliers are clipped so that its scale (max|w| / 127) spends the
 * 8 bits on the bulk of the values. The threshold is per weight tensor:
 * the `percentile` of |w| (its values kept within [-t, t]), or `stdDevs`
 * standard deviations around the mean.
 */
import type { OnnxGraph, OnnxTensor } from '../../runtime/onnx/write.js';
import { checkObject, fail, typeFail } from '../../validate.js';
import { checkGraph, quantizedWeights } from '../quantize-qdq.js';

/** Exactly one of the two. */
export interface ClipWeightsOptions {
  /** Keep |w| within the value this share of them (in percent, (0, 100]) does not exceed. */
  percentile?: number;
  /** Keep w within mean +- stdDevs * the standard deviation (> 0). */
  stdDevs?: number;
}

/** Throws unless `options` (named `name`) give exactly one valid threshold. */
export function checkClipWeightsOptions(options: unknown, name = 'options'): ClipWeightsOptions {
  checkObject(name, options);
  const { percentile, stdDevs } = options as ClipWeightsOptions;
  if ((percentile === undefined) === (stdDevs === undefined)) fail(name, 'must give exactly one of percentile and stdDevs');
  for (const [key, value] of [['percentile', percentile], ['stdDevs', stdDevs]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'number') typeFail(`${name}.${key}`, `must be a number, got ${typeof value}`);
    const ok = key === 'percentile' ? value > 0 && value <= 100 : value > 0 && Number.isFinite(value);
    if (!ok) fail(`${name}.${key}`, `must be ${key === 'percentile' ? 'in (0, 100]' : 'finite and > 0'}, got ${value}`);
  }
  return { percentile, stdDevs };
}

/**
 * `graph` with the float Conv and Gemm weights quantizeQdq() quantizes
 * clipped, and how many values of each were clipped (by weight name; 0
 * where none were).
 */
export function clipWeights(graph: OnnxGraph, options: ClipWeightsOptions): { graph: OnnxGraph; clipped: Map<string, number> } {
  checkGraph(graph);
  const { percentile, stdDevs } = checkClipWeightsOptions(options);
  const names = new Set(quantizedWeights(graph));
  const clipped = new Map<string, number>();
  const initializers = (graph.initializers ?? []).map((t): OnnxTensor => {
    if (!names.has(t.name) || !(t.data instanceof Float32Array)) return t;
    const [lo, hi] = percentile !== undefined ? percentileBounds(t.data, percentile) : stdDevBounds(t.data, stdDevs!);
    let count = 0;
    const data = t.data.map((v) => {
      if (v >= lo && v <= hi) return v;
      count++;
      return v < lo ? lo : hi;
    });
    clipped.set(t.name, count);
    return { ...t, data };
  });
  return { graph: { ...graph, initializers }, clipped };
}

/** [-t, t] with t the smallest |w| that at least `percentile` percent of the values do not exceed. */
function percentileBounds(w: Float32Array, percentile: number): [number, number] {
  if (w.length === 0) return [0, 0];
  const sorted = Float32Array.from(w, Math.abs).sort();
  const t = sorted[Math.max(0, Math.ceil((percentile * w.length) / 100) - 1)];
  return [-t, t];
}

/** mean -/+ k standard deviations (population), as float32 values. */
function stdDevBounds(w: Float32Array, k: number): [number, number] {
  let sum = 0, squares = 0;
  for (const v of w) sum += v;
  const mean = sum / Math.max(1, w.length);
  for (const v of w) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / Math.max(1, w.length));
  return [Math.fround(mean - k * std), Math.fround(mean + k * std)];
}
