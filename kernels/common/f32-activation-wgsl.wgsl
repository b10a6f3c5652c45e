// The pointwise activations of the elementwise kernels (f32-vunary,
// f32-vbinary), as src/ops/activation.ts resolves them: kind 0 clamp,
// 1 hard sigmoid max(0, min(1, alpha * v + beta)), 2 hard swish
// v * max(0, min(1, v / 6 + 0.5)); then the clamp to [lo, hi] (-Infinity
// and +Infinity for none; lo <= hi, as the host checks). The CPU rounds alpha * v and + beta separately; a
// GPU compiler may contract them (an ulp). Included through the pipeline
// loader's include line; not a kernel of its own.

fn activate(v: f32, kind: u32, alpha: f32, beta: f32, lo: f32, hi: f32) -> f32 {
  var y = v;
  if (kind == 1u) {
    y = max(0.0, min(1.0, alpha * v + beta));
  } else if (kind == 2u) {
    y = v * max(0.0, min(1.0, v / 6.0 + 0.5));
  }
  return min(max(y, lo), hi);
}
