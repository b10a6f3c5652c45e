// f32-spmm-nonfinite-wgsl: which columns of X [K, M] hold an Inf or a NaN,
// per call, for the f32-spmm pipelines (f32-spmm-body-wgsl.wgsl):
//
//   flags[m] = (a NaN in column m ? 2 : 0) | (an Inf in column m ? 1 : 0)
//
// Their kernels skip the weights that are not stored, so the 0 x Inf and
// 0 x NaN that make a dense product NaN never happen there; a column
// flagged here sends its outputs through the fix-up that puts them back.
// X is read as bits: WGSL may assume floats are finite, integers are exact.
//
// Bindings (@group(0)):
//   0  X       storage, read        array<u32>  K*M float32 bits, row-major
//   1  flags   storage, read_write  array<u32>  M values
//   2  params  uniform              Params
//
// Params (uniform, 16 bytes):
//   offset  0  K      u32
//   offset  4  M      u32
//   offset  8  _pad0  u32
//   offset 12  _pad1  u32
//
// Overrides: WORKGROUP_SIZE = 64 invocations, one column each, walking its K
// values (adjacent invocations read adjacent columns of a row).
//
// Dispatch: groups = ceil(M / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535)).
// The 2-D grid is folded back into one index; invocations past M return.

override WORKGROUP_SIZE: u32 = 64u;

const MAGNITUDE = 0x7fffffffu;
const INF = 0x7f800000u;

struct Params {
  K: u32,
  M: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> flags: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let m = gid.y * nwg.x * WORKGROUP_SIZE + gid.x;
  if (m >= params.M) {
    return;
  }
  var f = 0u;
  for (var k = 0u; k < params.K; k++) {
    let bits = X[k * params.M + m] & MAGNITUDE;
    if (bits >= INF) {
      f |= select(1u, 2u, bits > INF);
    }
  }
  flags[m] = f;
}
