// qu8s8-spmm-xpack-wgsl: repacks the uint8 activations X [K, M] for
// qu8s8-spmm-wgsl, per call (X may already live on the GPU):
//
//   Xp[g * M + m] = bytes j = 0..3: X[4g + j, m] ^ 0x80   (0 past K)
//
// so one entry of a weight row times one column is one dot4I8Packed of two
// words. ^ 0x80 is X - 128 as int8; qu8s8-spmm-wgsl folds the 128 back in
// with the zero point. The padding bytes past K meet zero weights and are
// written as 0 anyway.
//
// Bindings (@group(0)):
//   0  X       storage, read        array<u32>  K*M uint8, row-major, 4 per word
//                                               (byte i of the tensor in byte i % 4
//                                               of word i / 4)
//   1  Xp      storage, read_write  array<u32>  ceil(K/4) * M words
//   2  params  uniform              Params
//
// Params (uniform, 16 bytes):
//   offset  0  K      u32
//   offset  4  M      u32
//   offset  8  count  u32   ceil(K/4) * M, words of Xp
//   offset 12  _pad0  u32
//
// Overrides: WORKGROUP_SIZE = 64 invocations, one Xp word each.
//
// Dispatch: groups = ceil(count / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535)).
// The 2-D grid is folded back into one index; invocations past count return.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  K: u32,
  M: u32,
  count: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Xp: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let i = gid.y * nwg.x * WORKGROUP_SIZE + gid.x;
  if (i >= params.count) {
    return;
  }
  let M = params.M;
  let k0 = (i / M) * 4u;
  let m = i % M;
  var w = 0u;
  for (var j = 0u; j < 4u; j++) {
    if (k0 + j < params.K) {
      let b = (k0 + j) * M + m;
      let byte = (X[b >> 2u] >> (8u * (b & 3u))) & 0xffu;
      w |= (byte ^ 0x80u) << (8u * j);
    }
  }
  Xp[i] = w;
}
