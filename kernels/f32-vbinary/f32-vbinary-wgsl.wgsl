// f32-vbinary-wgsl: y = a (op) b elementwise for float32 tensors with
// multidirectional (numpy) broadcasting, OP = 0 add, 1 subtract,
// 2 multiply, 3 divide. The host reduces the two shapes to at most 8
// merged loops (size-1 output axes dropped, neighbouring axes
// where the same operand repeats merged), so a same-shape op is one loop,
// a per-channel operand on NCHW ([N, C, 1, 1] or [C, 1, 1]) two or three,
// a scalar one.
// Then the activation (common/f32-activation-wgsl.wgsl: a clamp,
// HardSigmoid or HardSwish, then the clamp), as cpu.add's options.activation.
// add, subtract and multiply are correctly rounded as on the CPU; WGSL
// allows division 2.5 ULP of error, so a quotient may differ from the CPU's
// in its last bits.
//
// Bindings (@group(0)):
//   0  a       storage, read        array<f32>
//   1  b       storage, read        array<f32>
//   2  y       storage, read_write  array<f32>  count values
//   3  params  uniform              Params
//
// Params (uniform, 128 bytes): count, loops, kind (u32; the activation: 0
// clamp, 1 hard sigmoid, 2 hard swish), 1 word of padding, alpha, beta,
// minValue, maxValue (f32); then sizes, aStrides, bStrides, each
// array<vec4<u32>, 2> (loop k at
// [k / 4][k % 4]), loops outermost first: the merged loop sizes and each
// operand's element stride along them (0 where it repeats).
//
// Overrides: WORKGROUP_SIZE = 64; OP = 0..3. One invocation per output.
//
// Dispatch: groups = ceil(count / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last output return.

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;

struct Params {
  count: u32,
  loops: u32,
  kind: u32,
  _pad0: u32,
  alpha: f32,
  beta: f32,
  minValue: f32,
  maxValue: f32,
  sizes: array<vec4<u32>, 2>,
  aStrides: array<vec4<u32>, 2>,
  bStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//! include "common/f32-activation-wgsl.wgsl"

fn apply(u: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    default: { return u + v; }
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
  // Unravel e over the loops, innermost first.
  var rest = e;
  var ia = 0u;
  var ib = 0u;
  for (var k = params.loops; k > 0u; k--) {
    let i = k - 1u;
    let size = params.sizes[i / 4u][i % 4u];
    let index = rest % size;
    rest = rest / size;
    ia += index * params.aStrides[i / 4u][i % 4u];
    ib += index * params.bStrides[i / 4u][i % 4u];
  }
  let p = params;
  y[e] = activate(apply(a[ia], b[ib]), p.kind, p.alpha, p.beta, p.minValue, p.maxValue);
}
