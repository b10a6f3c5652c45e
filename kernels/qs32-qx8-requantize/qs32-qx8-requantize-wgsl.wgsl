// qs32-qx8-requantize-wgsl: int32 accumulators -> uint8/int8 or float32, bit
// for bit the CPU kernel (qs32-qx8-requantize.h):
//   v = float(acc + bias) * multiplier   (wrapping int32 add, int -> float
//                                         rounded to nearest even, one float32
//                                         multiply)
//   8-bit:   y = round_half_even(clamp(v, outMin - zeroPoint, outMax - zeroPoint)) + zeroPoint,
//            NaN v -> zeroPoint (then clamped)
//   float32: y = clamp(v, minValue, maxValue) with the CPU's select semantics:
//            a NaN v stays NaN, a NaN bound is ignored
// The tensor is viewed as [outer, channels, inner]; element i uses channel
// (i / inner) % channels. Per tensor: channels = 1, inner = count.
//
// Bindings (@group(0)):
//   0  acc          storage, read        array<i32>  count values
//   1  bias         storage, read        array<i32>  channels values, or 1 value with
//                                                    biasPerChannel = 0 (no bias: bind a single 0)
//   2  multipliers  storage, read        array<u32>  channels float32 values (their bits)
//   3  y            storage, read_write  array<u32>  8-bit: ceil(count / 4) words, 4 bytes per
//                                                    word, element i in byte i % 4 (little end
//                                                    first); float32: count values (their bits)
//   4  params       uniform              Params
// uint8 and int8 differ only in zeroPoint, outMin and outMax: the byte written
// is the low 8 bits of the result either way. The padding bytes of the last
// 8-bit word are written as 0.
//
// Params (uniform, 48 bytes):
//   offset  0  count           u32  elements (outer * channels * inner)
//   offset  4  channels        u32  >= 1
//   offset  8  inner           u32  >= 1
//   offset 12  biasPerChannel  u32  0: bias[0] for every element, 1: bias[channel]
//   offset 16  floatOut        u32  0: 8-bit output, 1: float32 output
//   offset 20  zeroPoint       i32  8-bit only; |zeroPoint| <= 2^22
//   offset 24  outMin          i32  8-bit only; inclusive, within the output type's range
//   offset 28  outMax          i32  8-bit only; inclusive, >= outMin
//   offset 32  minValue        f32  float32 only; -Infinity for none
//   offset 36  maxValue        f32  float32 only; +Infinity for none
//   offset 40  _pad0           u32  unused, keeps the struct 16-byte sized
//   offset 44  _pad1           u32
//
// Overrides: WORKGROUP_SIZE = 64 invocations; each handles 4 consecutive
// elements, so with 8-bit output it writes one whole word of y and no two
// invocations share a word.
//
// Dispatch: words = ceil(count / 4), groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535)).
// The 2-D grid is folded back into one index; invocations past the last
// word return.
//
// Exactness: WGSL lets int -> float conversion round either way, may flush
// subnormals to zero and may assume that no NaN or infinity occurs, so float
// arithmetic cannot reproduce the CPU. Everything here is integer arithmetic
// on the float bits instead (exact and fully specified in WGSL): the
// conversion and the 24 x 24-bit significand product are rounded to float32
// exactly as IEEE rounds them, then the result is clamped and rounded.
// unpackFinite, roundToF32 and roundClamp come from
// common/f32-bits-wgsl.wgsl (the include below); multiply, less and scaled
// are this kernel's.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  channels: u32,
  inner: u32,
  biasPerChannel: u32,
  floatOut: u32,
  zeroPoint: i32,
  outMin: i32,
  outMax: i32,
  minValue: f32,
  maxValue: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> acc: array<i32>;
@group(0) @binding(1) var<storage, read> bias: array<i32>;
@group(0) @binding(2) var<storage, read> multipliers: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

//! include "common/f32-bits-wgsl.wgsl"

// Correctly rounded float32 bits of a * b for a finite a (a converted
// accumulator), IEEE special cases of b included. NaN payloads are not
// reproduced: the CPU's differ by ISA too.
fn multiply(a: u32, b: u32) -> u32 {
  let sign = (a ^ b) & SIGN;
  let absA = a & ~SIGN;
  let absB = b & ~SIGN;
  if (absB > INF || (absB == INF && absA == 0u)) {
    return QUIET_NAN;
  }
  if (absB == INF) {
    return sign | INF;
  }
  if (absA == 0u || absB == 0u) {
    return sign;
  }
  let u = unpackFinite(absA);
  let v = unpackFinite(absB);
  // The 48-bit product of two significands from 16-bit halves (every partial
  // product fits in u32), then its top 32 bits with the low 16 folded into a
  // sticky bit: the product is >= 2^46, so 8 bits stay below the 24 kept.
  let uh = u.significand >> 16u;
  let ul = u.significand & 0xffffu;
  let vh = v.significand >> 16u;
  let vl = v.significand & 0xffffu;
  let low = ul * vl;
  let cross = uh * vl + ul * vh;
  let lo = low + (cross << 16u);
  let hi = uh * vh + (cross >> 16u) + select(0u, 1u, lo < low);
  let p = (hi << 16u) | (lo >> 16u) | select(0u, 1u, (lo & 0xffffu) != 0u);
  return roundToF32(sign != 0u, p, u.exponent + v.exponent + 16);
}

// IEEE a < b on float bits: false when either is NaN, -0 == +0.
fn less(a: u32, b: u32) -> bool {
  if ((a & ~SIGN) > INF || (b & ~SIGN) > INF) {
    return false;
  }
  let ka = select(i32(a), -i32(a & ~SIGN), (a & SIGN) != 0u);
  let kb = select(i32(b), -i32(b & ~SIGN), (b & SIGN) != 0u);
  return ka < kb;
}

// Float32 bits of float(acc[i] + bias) * multiplier for element i.
fn scaled(i: u32, c: u32) -> u32 {
  let sum = acc[i] + bias[c * params.biasPerChannel];  // WGSL i32 addition wraps
  let magnitude = select(u32(sum), 0u - u32(sum), sum < 0);
  return multiply(roundToF32(sum < 0, magnitude, 0), multipliers[c]);
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
  let lo = params.outMin - params.zeroPoint;
  let hi = params.outMax - params.zeroPoint;
  let minValue = bitcast<u32>(params.minValue);
  let maxValue = bitcast<u32>(params.maxValue);
  var packed = 0u;
  for (var b = 0u; b < 4u; b++) {
    let i = word * 4u + b;
    if (i >= params.count) {
      break;
    }
    let v = scaled(i, (i / params.inner) % params.channels);
    if (params.floatOut != 0u) {
      let raised = select(v, minValue, less(v, minValue));
      y[i] = select(raised, maxValue, less(maxValue, raised));
    } else {
      let q = roundClamp(v, lo, hi) + params.zeroPoint;
      packed |= (u32(q) & 0xffu) << (8u * b);
    }
  }
  if (params.floatOut == 0u) {
    y[word] = packed;
  }
}
