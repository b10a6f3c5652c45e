// f32-bits-wgsl: exact float32 arithmetic on the bits, in u32/i32 integers,
// shared by the quantization kernels (f32-qx8-quantize-wgsl,
// qx8-f32-dequantize-wgsl, qs32-qx8-requantize-wgsl) through
//   //! include "common/f32-bits-wgsl.wgsl"
// (expanded by wgslSource in src/backends/webgpu/pipelines.ts; not a shader
// on its own).
//
// Why: those kernels must equal the CPU bit for bit, but WGSL float arithmetic
// is not IEEE-exact: x / y may be off by 2.5 ULP, int -> float conversion may
// round either way, subnormals may be flushed to zero and an implementation
// may assume that no NaN or infinity occurs. Integer arithmetic is exact and
// fully specified in WGSL, so the kernels carry float32 values as their bits
// (u32) and round with the helpers below.
//
// Provides:
//   SIGN, INF, QUIET_NAN  float32 bit patterns: the sign bit, +infinity (also
//                         the exponent mask) and the quiet NaN returned for
//                         NaN results (NaN payloads are not reproduced)
//   Unpacked, unpackFinite(bits)
//                         a finite nonzero float as a significand normalized
//                         to [2^23, 2^24) times a power of two
//   roundToF32(negative, p, k)
//                         float32 bits of +-p * 2^k rounded to nearest even,
//                         IEEE overflow and subnormals included
//   roundClamp(v, lo, hi) round_half_even of float bits to an integer, clamped,
//                         NaN -> 0 (the CPU kernels' float -> int8/uint8 step)

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

// round_half_even(v) clamped to [lo, hi], v given by its float32 bits; NaN
// gives 0 (then clamped) as in the CPU kernels. |lo|, |hi| < 2^23.
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
