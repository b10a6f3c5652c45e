/**
 * A histogram of one activation's values, collected batch by batch without
 * keeping the values: the histogram calibration methods (percentile,
 * entropy, MSE; ./ranges.ts) read it once every batch has run.
 *
 * Its bins are symmetric around 0 as in onnxruntime's HistogramCollector
 * (calibrate.py, collect_value): the first batch with a nonzero value spans
 * [-T, T] (T its largest |x|) with `bins` bins, so 0 is a bin edge; a later
 * batch reaching past the range adds whole bins of the same width on both
 * sides, so every earlier count stays in its bin. Where onnxruntime lets the
 * bin count grow with the range, this merges neighbouring pairs (twice the
 * width, still aligned on 0) whenever it passes 2 * `bins`: memory stays
 * bounded however the range grows, and the bins stay at least as fine as
 * T / `bins` per side.
 */

export class Histogram {
  /** Counts, bin i spanning [(i - half) * width, (i - half + 1) * width), the last bin closed. Empty until a nonzero value. */
  counts = new Float64Array(0);
  /** Bins on each side of 0 (counts.length / 2). */
  half = 0;
  width = 0;
  /** Extremes of every value seen (Infinity, -Infinity before any). */
  min = Infinity;
  max = -Infinity;
  /** Zeros seen before the first nonzero value (they fall in bin `half` once there are bins). */
  private zeros = 0;

  /** `bins`: the even bin count of the first range (2048 as TensorRT's and onnxruntime's percentile histograms). */
  constructor(readonly bins: number) {}

  /** Adds `data`, whose extremes (cpu.minmax) are `min` and `max`. */
  add(data: Float32Array, min: number, max: number): void {
    if (data.length === 0) return;
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
    const reach = Math.max(-min, max);
    if (reach === 0) {
      if (this.half === 0) this.zeros += data.length;
      else this.counts[this.half] += data.length;
      return;
    }
    if (this.half === 0) {
      this.half = this.bins / 2;
      this.width = reach / this.half;
      this.counts = new Float64Array(this.bins);
      this.counts[this.half] = this.zeros;
      this.zeros = 0;
    } else if (reach > this.half * this.width) {
      this.grow(reach);
    }
    const { counts, half, width } = this;
    const last = counts.length - 1;
    for (let i = 0; i < data.length; i++) counts[Math.min(last, Math.max(0, Math.floor(data[i] / width) + half))]++;
  }

  /** Total count. */
  total(): number {
    return this.counts.reduce((a, b) => a + b, 0) + this.zeros;
  }

  /** Center of bin `i`. */
  center(i: number): number {
    return (i - this.half + 0.5) * this.width;
  }

  /** Adds bins on both sides until the range covers `reach` (onnxruntime's merge_histogram), then halves the count while over 2 * bins. */
  private grow(reach: number): void {
    let half = this.half + Math.floor((reach - this.half * this.width) / this.width) + 1;
    let width = this.width;
    let counts = new Float64Array(2 * half);
    counts.set(this.counts, half - this.half);
    while (half > this.bins) {
      // Pairs (2j, 2j + 1) never straddle 0 once `half` is even.
      if (half % 2 === 1) {
        const padded = new Float64Array(2 * half + 2);
        padded.set(counts, 1);
        counts = padded;
        half++;
      }
      const merged = new Float64Array(half);
      for (let j = 0; j < half; j++) merged[j] = counts[2 * j] + counts[2 * j + 1];
      counts = merged;
      half /= 2;
      width *= 2;
    }
    this.counts = counts;
    this.half = half;
    this.width = width;
  }
}
