// f32-vunary-wgsl: y = f(x) elementwise for float32 activations, OP picks f:
//   0  clamp         min(max(x, p0), p1)   (Relu: p0 = 0, p1 = +Infinity; Clip;
//                                           p0 > p1 gives p1, as onnxruntime's Clip)
//   1  hard sigmoid  max(0, min(1, p0 * x + p1))     (ONNX HardSigmoid, alpha p0, beta p1)
//   2  hard swish    x * max(0, min(1, x / 6 + 0.5))  (ONNX HardSwish)
//   3  leaky relu    x >= 0 ? x : p0 * x              (ONNX LeakyRelu, alpha p0)
// The CPU computes these in double and rounds once; here they run in f32,
// so results may differ in the last bit (one rounding per step).
//
// Bindings (@group(0)):
//   0  x       storage, read        array<f32>  count values
//   1  y       storage, read_write  array<f32>  count values
//   2  params  uniform              Params
//
// Params (uniform, 16 bytes): count (u32), p0, p1 (f32), 1 word of padding.
//
// Overrides: WORKGROUP_SIZE = 64; OP = 0..3. One invocation per element.
//
// Dispatch: groups = ceil(count / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last element return.

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;

struct Params {
  count: u32,
  p0: f32,
  p1: f32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn apply(v: f32) -> f32 {
  switch OP {
    case 1u: { return max(0.0, min(1.0, params.p0 * v + params.p1)); }
    case 2u: { return v * max(0.0, min(1.0, v / 6.0 + 0.5)); }
    case 3u: { return select(params.p0 * v, v, v >= 0.0); }
    default: { return min(max(v, params.p0), params.p1); }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let e = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (e >= params.count) {
    return;
  }
  y[e] = apply(x[e]);
}
