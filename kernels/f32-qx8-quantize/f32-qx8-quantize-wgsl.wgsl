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

const SIGN = 0x80000000u;
const INF = 0x7f800000u;
const QUIET_NAN = 0x7fc00000u;

// A finite nonzero float as significand * 2^exponent with the significand
// normalized to [2^23, 2^24), subnormals included.
struct Unpacked {
  significand: u32,
  exponent: i32,
}

fn unpackFinite(bits: u32) -> Unpacked {
  let field = (bits >> 23u) & 0xffu;
  let fraction = bits & 0x7fffffu;
  if (field == 0u) {
    let shift = countLeadingZeros(fraction) - 8u;
    return Unpacked(fraction << shift, -149 - i32(shift));
  }
  return Unpacked(fraction | 0x800000u, i32(field) - 150);
}

// Float32 bits of p * 2^k rounded to nearest even (overflow to infinity,
// underflow through the subnormals). Bits of p below its rounding point only
// count as nonzero or not, so a caller may fold a sticky bit into bit 0 when
// at least 2 bits of p lie below the 24 kept ones.
fn roundToF32(negative: bool, p: u32, k: i32) -> u32 {
  let sign = select(0u, SIGN, negative);
  if (p == 0u) {
    return sign;
  }
  let top = 31 - i32(countLeadingZeros(p)) + k;  // exponent of p's leading bit
  let lowest = max(top - 23, -149);  // exponent of the last kept bit
  let drop = lowest - k;
  var r: u32;
  if (drop <= 0) {
    r = p << u32(-drop);  // exact; at most 23 places since p >= 2^(top - k)
  } else if (drop > 32) {
    r = 0u;  // p < 2^32 <= 2^(drop - 1): below half of the last kept bit
  } else {
    let guardUp = p >> u32(drop - 1);
    r = guardUp >> 1u;
    let guard = (guardUp & 1u) != 0u;
    let sticky = (p & ((1u << u32(drop - 1)) - 1u)) != 0u;
    r += select(0u, 1u, guard && (sticky || (r & 1u) != 0u));
  }
  // lowest + 149 is the biased exponent minus one for a normal r in
  // [2^23, 2^24) and 0 for a subnormal one, so adding r (whose 2^23 bit is the
  // implicit one) gives the encoding in both cases; r = 2^24 after rounding up
  // carries into the exponent.
  if (lowest + 149 >= 255) {
    return sign | INF;
  }
  return sign | min((u32(lowest + 149) << 23u) + r, INF);
}

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

// round_half_even(v) clamped to [lo, hi], v given by its float32 bits; NaN
// gives 0 (then clamped) as in the CPU kernel. |lo|, |hi| < 2^23.
fn roundClamp(v: u32, lo: i32, hi: i32) -> i32 {
  let magnitude = v & ~SIGN;
  if (magnitude > INF) {
    return clamp(0, lo, hi);
  }
  let field = magnitude >> 23u;
  var n: i32;
  if (field >= 150u) {
    n = 1 << 23u;  // |v| >= 2^23 is past both bounds whatever its size
  } else if (field < 126u) {
    n = 0;  // |v| < 0.5
  } else {
    let significand = (magnitude & 0x7fffffu) | 0x800000u;
    let shift = 150u - field;  // 1..24 fraction bits
    let whole = significand >> shift;
    let fraction = significand & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    let up = fraction > half || (fraction == half && (whole & 1u) != 0u);
    n = i32(whole + select(0u, 1u, up));
  }
  return clamp(select(n, -n, (v & SIGN) != 0u), lo, hi);
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
