// qx8-f32-dequantize-wgsl: uint8/int8 -> float32, bit for bit the CPU kernel
// (qx8-f32-dequantize.h): y = float(x - zeroPoint) * scale, one correctly
// rounded float32 multiply. The tensor is viewed as [outer, channels, inner];
// element i uses channel (i / inner) % channels. Per tensor: channels = 1,
// inner = count.
//
// Bindings (@group(0)):
//   0  x           storage, read        array<u32>  ceil(count / 4) words, 4 bytes per word,
//                                                   element i in byte i % 4 (little end first)
//   1  scales      storage, read        array<u32>  channels float32 values (their bits)
//   2  zeroPoints  storage, read        array<i32>  channels values, in the input type's range
//   3  y           storage, read_write  array<u32>  count float32 values (their bits)
//   4  params      uniform              Params
//
// Params (uniform, 16 bytes):
//   offset  0  count     u32  elements (outer * channels * inner)
//   offset  4  channels  u32  >= 1
//   offset  8  inner     u32  >= 1
//   offset 12  isSigned  u32  0: uint8 input, 1: int8 input
//
// Overrides: WORKGROUP_SIZE = 64 invocations; each reads one word of x
// (4 consecutive elements) and writes their 4 floats.
//
// Dispatch: words = ceil(count / 4), groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535)).
// The 2-D grid is folded back into one index; invocations past the last
// word return.
//
// Exactness: WGSL may flush subnormal results to zero and may assume that no
// NaN or infinity occurs, so a float multiply could differ from the CPU for
// tiny or huge scales. The product is computed on the integers instead:
// |x - zeroPoint| <= 255 times the 24-bit significand of scale fits in u32,
// and is rounded to float32 exactly as IEEE multiplication rounds.
// roundToF32 comes from common/f32-bits-wgsl.wgsl (the include below);
// scaleBy is this kernel's.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  channels: u32,
  inner: u32,
  isSigned: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> zeroPoints: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

//! include "common/f32-bits-wgsl.wgsl"

// Float32 bits of float(d) * scale for |d| <= 255, IEEE special cases included.
fn scaleBy(d: i32, scale: u32) -> u32 {
  let negative = (d < 0) != ((scale & SIGN) != 0u);
  let magnitude = scale & ~SIGN;
  let field = magnitude >> 23u;
  if (field == 0xffu) {
    // NaN payloads are not reproduced: the CPU's differ by ISA too.
    let nan = magnitude != INF || d == 0;
    return select(select(0u, SIGN, negative) | INF, QUIET_NAN, nan);
  }
  // A subnormal scale has no implicit bit and the exponent of field 1.
  let significand = (magnitude & 0x7fffffu) | select(0x800000u, 0u, field == 0u);
  return roundToF32(negative, u32(abs(d)) * significand, i32(max(field, 1u)) - 150);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let word = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (word >= (params.count + 3u) / 4u) {
    return;
  }
  let packed = x[word];
  for (var b = 0u; b < 4u; b++) {
    let i = word * 4u + b;
    if (i >= params.count) {
      break;
    }
    let byte = (packed >> (8u * b)) & 0xffu;
    // int8 bytes are sign-extended by shifting them to the top and back.
    let q = select(i32(byte), i32(byte << 24u) >> 24u, params.isSigned != 0u);
    let c = (i / params.inner) % params.channels;
    y[i] = scaleBy(q - zeroPoints[c], scales[c]);
  }
}
