// f32-gavgpool-wgsl: global average pooling, y[p] = (sum of x[p][i] for
// i < size) / size for each of `planes` planes of `size` float32 values
// (NCHW: planes = N*C, size = H*W). One workgroup per plane: its
// WORKGROUP_SIZE invocations sum every WORKGROUP_SIZE-th value (coalesced
// reads), then the partial sums are added in workgroup memory by halving.
// The CPU sums in double; here partial sums are f32 (differences of a few
// ULPs of the sum).
//
// Bindings (@group(0)):
//   0  x       storage, read        array<f32>  planes * size values
//   1  y       storage, read_write  array<f32>  planes values
//   2  params  uniform              Params
//
// Params (uniform, 16 bytes, u32): planes, size, 2 words of padding.
//
// Overrides: WORKGROUP_SIZE = 64, a power of two (the halving needs one),
// at most 256. Workgroup memory: WORKGROUP_SIZE * 4 bytes.
//
// Dispatch: dispatchWorkgroups(min(planes, 65535), ceil(planes / 65535));
// workgroups past the last plane return (uniformly: the whole workgroup).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  planes: u32,
  size: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let plane = group.y * groups.x + group.x;
  if (plane >= params.planes) {
    return;
  }
  let start = plane * params.size;
  var sum = 0.0;
  for (var i = local; i < params.size; i += WORKGROUP_SIZE) {
    sum += x[start + i];
  }
  partial[local] = sum;
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (local < half) {
      partial[local] += partial[local + half];
    }
  }
  if (local == 0u) {
    y[plane] = partial[0] / f32(params.size);
  }
}
