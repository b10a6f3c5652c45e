/**
 * Calibrated ranges from an activation's histogram (./histogram.ts). Each
 * method picks a threshold on the bin edges and returns a range within the
 * values' own [min, max] (as onnxruntime's calibrate.py clips its thresholds
 * to them; widened to hold 0), so a range never reaches past what was seen.
 * An activation without nonzero values gets [0, 0].
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { Histogram } from './histogram.js';

export type Range = [number, number];

/**
 * [lo, hi] cut to the values' [min, max], widened to hold 0 (the quantized
 * range always does), so that a threshold below every value of a one-signed
 * activation still gives [0, t].
 */
function withinSeen(h: Histogram, lo: number, hi: number): Range {
  return [Math.max(lo, Math.min(h.min, 0)), Math.min(hi, Math.max(h.max, 0))];
}

/** Index of the first cumulative fraction >= q (numpy's searchsorted on the normalized cdf, as onnxruntime uses it). */
function firstAtLeast(counts: ArrayLike<number>, total: number, q: number): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i];
    if (sum / total >= q) return i;
  }
  return counts.length - 1;
}

/**
 * onnxruntime's percentile method (compute_percentile). Symmetric (its
 * default): the histogram of |x| (the two halves folded onto each other),
 * cut where its cdf reaches `percentile`, range [-t, t]. Per side: each tail
 * loses (100 - percentile) / 2 percent. The threshold is the left edge of
 * the bin where the cdf crosses, as onnxruntime takes it.
 */
export function percentileRange(h: Histogram, percentile: number, symmetric: boolean): Range {
  if (h.half === 0) return withinSeen(h, 0, 0);
  const total = h.total(), q = percentile / 100;
  if (symmetric) {
    const folded = Float64Array.from({ length: h.half }, (_, j) => h.counts[h.half + j] + h.counts[h.half - 1 - j]);
    const t = firstAtLeast(folded, total, q) * h.width;
    return withinSeen(h, -t, t);
  }
  const cut = (1 - q) / 2;
  const edge = (i: number) => (i - h.half) * h.width;
  return withinSeen(h, edge(firstAtLeast(h.counts, total, cut)), edge(firstAtLeast(h.counts, total, 1 - cut)));
}

/**
 * onnxruntime's smooth_distribution: eps on the empty bins, taken evenly
 * from the others, so that KL(p || q) stays finite. undefined when every
 * bin is empty or when the others cannot spare it (onnxruntime asserts).
 */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | undefined {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return undefined;
  const take = (eps * zeros) / nonzeros;
  const out = p.map((v) => (v === 0 ? eps : v - take));
  return out.every((v) => v > 0) ? out : undefined;
}

/** KL(p || q) of two unnormalized distributions (scipy.stats.entropy normalizes both). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0, sq = 0, kl = 0;
  for (let i = 0; i < p.length; i++) { sp += p[i]; sq += q[i]; }
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    kl += pi * Math.log(pi / (q[i] / sq));
  }
  return kl;
}

/**
 * The entropy (KL divergence) method of onnxruntime's get_entropy_threshold
 * and TensorRT: for every window of bins [half - i, half + i + 1) around 0
 * (i from quantizedBins / 2 up to the whole histogram), p is the window with
 * the counts outside it added to its end bins, q the window merged into
 * `quantizedBins` bins (the last takes the remainder) and spread back
 * evenly over each merged bin's nonempty bins; the window with the smallest
 * KL(p || q) after smoothing gives the range. q is spread in floats and is
 * zero where p is, as in TensorRT's and MXNet's versions: onnxruntime's
 * copy truncates q to integers and spreads it over empty bins too.
 */
export function entropyRange(h: Histogram, quantizedBins: number): Range {
  if (h.half === 0) return withinSeen(h, 0, 0);
  const { counts, half } = h, bins = counts.length;
  let best = Infinity, bestRange: Range = [-half * h.width, half * h.width];
  const prefix = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) prefix[i + 1] = prefix[i] + counts[i];
  for (let i = quantizedBins / 2; i <= half; i++) {
    const start = half - i, end = Math.min(bins, half + i + 1), size = end - start;
    const p = counts.slice(start, end);
    p[0] += prefix[start];
    p[size - 1] += prefix[bins] - prefix[end];
    const q = new Float64Array(size);
    const merged = Math.floor(size / quantizedBins);
    for (let k = 0; k < quantizedBins; k++) {
      const from = k * merged, to = k === quantizedBins - 1 ? size : from + merged;
      let sum = 0, nonempty = 0;
      for (let j = from; j < to; j++) {
        sum += counts[start + j];
        if (p[j] !== 0) nonempty++;
      }
      if (nonempty > 0) for (let j = from; j < to; j++) q[j] = p[j] !== 0 ? sum / nonempty : 0;
    }
    const ps = smooth(p), qs = smooth(q);
    const kl = ps && qs ? klDivergence(ps, qs) : Infinity;
    if (kl < best) {
      best = kl;
      bestRange = [(start - half) * h.width, (end - half) * h.width];
    }
  }
  return withinSeen(h, bestRange[0], bestRange[1]);
}

/**
 * The range whose uint8 quantize-dequantize (scale and zero point as
 * quantizeQdq chooses them) has the smallest squared error over the
 * histogram, among [-t, t] cut to [min, max] for t at every bin edge. Each
 * bin's values sit at its center: one outside the representable range costs
 * its distance to the nearest end squared, one inside the rounding noise of
 * a uniform error over a step, scale^2 / 12 (what it averages to when the
 * bins and the steps are not aligned).
 */
export function mseRange(h: Histogram): Range {
  if (h.half === 0) return withinSeen(h, 0, 0);
  const { counts, half } = h;
  let best = Infinity, bestRange = withinSeen(h, -half * h.width, half * h.width);
  for (let j = 1; j <= half; j++) {
    const [lo, hi] = withinSeen(h, -j * h.width, j * h.width);
    const { scale, zeroPoint } = cpu.chooseQuantParams(lo, hi, { type: 'uint8' });
    const low = -zeroPoint * scale, high = (255 - zeroPoint) * scale, noise = (scale * scale) / 12;
    let error = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      const x = h.center(i);
      error += counts[i] * (x < low ? (x - low) ** 2 : x > high ? (x - high) ** 2 : noise);
    }
    if (error < best) {
      best = error;
      bestRange = [lo, hi];
    }
  }
  return bestRange;
}
