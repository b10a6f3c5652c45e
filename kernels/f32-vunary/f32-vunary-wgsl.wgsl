// f32-vunary-wgsl: y = activation(x) elementwise for float32: a clamp
// (Relu, Clip, ReLU6), HardSigmoid or HardSwish, then the clamp
// (common/f32-activation-wgsl.wgsl), as cpu.activate. The CPU computes in
// f32 too; results may differ by an ulp where the compiler contracts a
// multiply-add, and in HardSwish's division (WGSL allows 2.5 ULP).
//
// Bindings (@group(0)):
//   0  x       storage, read        array<f32>  count values
//   1  y       storage, read_write  array<f32>  count values
//   2  params  uniform              Params
//
// Params (uniform, 32 bytes): count, kind (u32; 0 clamp, 1 hard sigmoid,
// 2 hard swish), alpha, beta, minValue, maxValue (f32), 2 words of padding.
//
// Overrides: WORKGROUP_SIZE = 64. One invocation per element.
//
// Dispatch: groups = ceil(count / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last element return.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  kind: u32,
  alpha: f32,
  beta: f32,
  minValue: f32,
  maxValue: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

//! include "common/f32-activation-wgsl.wgsl"

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let p = params;
  let e = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (e >= p.count) {
    return;
  }
  y[e] = activate(x[e], p.kind, p.alpha, p.beta, p.minValue, p.maxValue);
}
