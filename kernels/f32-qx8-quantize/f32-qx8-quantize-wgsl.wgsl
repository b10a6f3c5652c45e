// f32-qx8-quantize-wgsl: float32 -> uint8/int8, bit for bit the CPU kernel
// (f32-qx8-quantize.h): y = saturate(round_half_even(x / scale) + zeroPoint),
// with x / scale the correctly rounded float32 quotient and NaN -> zeroPoint.
// The tensor is viewed as [outer, channels, inner]; element i uses channel
// (i / inner) % channels. Per tensor: channels = 1, inner = count.
//
// Bindings (@group(0)):
//   0  x           storage, read        array<u32>  count float32 values (their bits)
//   1  scales      storage, read        array<u32>  channels float32 values (their bits)
//   2  zeroPoints  storage, read        array<i32>  channels values, in the output type's range
//   3  y           storage, read_write  array<u32>  ceil(count / 4) words, 4 bytes per word,
//                                                   element i in byte i % 4 (little end first)
//   4  params      uniform              Params
// The padding bytes of the last word of y are written as 0.
//
// Params (uniform, 16 bytes):
//   offset  0  count     u32  elements (outer * channels * inner)
//   offset  4  channels  u32  >= 1
//   offset  8  inner     u32  >= 1
//   offset 12  isSigned  u32  0: uint8 [0, 255], 1: int8 [-128, 127]
//
// Overrides: WORKGROUP_SIZE = 64 invocations; each writes one whole word of y
// (4 consecutive elements), so no two invocations share a word.
//
// Dispatch: words = ceil(count / 4), groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535)).
// The 2-D grid is folded back into one index; invocations past the last
// word return.
//
// Exactness: WGSL allows x / y an error of 2.5 ULP, may flush subnormals to
// zero and may assume that no NaN or infinity occurs, so float arithmetic
// cannot reproduce the CPU. Everything here is integer arithmetic on the
// float bits instead (exact and fully specified in WGSL): a long division of
// the significands gives the quotient to 25 bits plus a sticky bit, which is
// rounded to float32 like IEEE division (ties to even, subnormals, overflow to
// infinity), then rounded half to even to an integer and clamped.
// unpackFinite, roundToF32 and roundClamp come from
// common/f32-bits-wgsl.wgsl (the include below); divide is this kernel's.

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

// Correctly rounded float32 bits of a / b, IEEE special cases included.
fn divide(a: u32, b: u32) -> u32 {
  let sign = (a ^ b) & SIGN;
  let absA = a & ~SIGN;
  let absB = b & ~SIGN;
  let nanOperand = absA > INF || absB > INF;
  if (nanOperand || (absA == INF && absB == INF) || (absA == 0u && absB == 0u)) {
    return QUIET_NAN;
  }
  if (absA == INF || absB == 0u) {
    return sign | INF;
  }
  if (absA == 0u || absB == INF) {
    return sign;
  }
  var n = unpackFinite(absA);
  let d = unpackFinite(absB);
  // Scale the dividend into [d, 2d) so the quotient is in [1, 2): one
  // integer bit, then three radix-256 digits (rem < d < 2^24, so rem << 8
  // fits in u32).
  if (n.significand < d.significand) {
    n = Unpacked(n.significand << 1u, n.exponent - 1);
  }
  var q = 1u;
  var rem = n.significand - d.significand;
  for (var step = 0u; step < 3u; step++) {
    let wide = rem << 8u;
    let digit = wide / d.significand;
    rem = wide - digit * d.significand;
    q = (q << 8u) | digit;
  }
  // 25 quotient bits and a sticky bit: two bits below the 24 kept ones.
  let p = (q << 1u) | select(0u, 1u, rem != 0u);
  return roundToF32(sign != 0u, p, n.exponent - d.exponent - 25);
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
  let qmin = select(0, -128, params.isSigned != 0u);
  let qmax = select(255, 127, params.isSigned != 0u);
  var packed = 0u;
  for (var b = 0u; b < 4u; b++) {
    let i = word * 4u + b;
    if (i >= params.count) {
      break;
    }
    let c = (i / params.inner) % params.channels;
    let zp = zeroPoints[c];
    let q = roundClamp(divide(x[i], scales[c]), qmin - zp, qmax - zp) + zp;
    packed |= (u32(q) & 0xffu) << (8u * b);
  }
  y[word] = packed;
}
