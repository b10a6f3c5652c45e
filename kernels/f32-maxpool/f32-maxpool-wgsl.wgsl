// f32-maxpool-wgsl: 2-D max pooling of NCHW planes, undilated windows, for
// float32 (ELEMENT_BYTES = 4) and uint8/int8 (ELEMENT_BYTES = 1, SIGNED
// picks the order): the semantics of f32-maxpool.h and the CPU's
// cpu.maxPool (src/kernels/maxpool.ts, reference
// src/backends/reference/maxpool.ts):
//   y[p][oh][ow] = max over kh < KH, kw < KW of x[p][oh*SH - PT + kh][ow*SW - PL + kw],
// positions in the padding skipped, the first of equal values kept (a
// strict > scan in row-major window order, as the reference: -0 before +0
// stays -0), and NaN never wins. The host's geometry (maxPoolGeometry: pads
// smaller than the kernel, ceil mode dropping a window that starts in the
// end padding) guarantees every window holds at least one image position,
// so the starting value is always replaced.
//
// Bindings (@group(0)):
//   0  x       storage, read        array<u32>  planes * height * width elements,
//                                               layout of common/x32-elements-wgsl.wgsl
//   1  y       storage, read_write  array<u32>  ceil(count * ELEMENT_BYTES / 4) words,
//                                               count = planes * outH * outW; padding
//                                               bytes of the last word are 0
//   2  params  uniform              Params
//
// Params (uniform, 48 bytes, u32, in this order): count, height, width,
// kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, _pad.
//
// Overrides: WORKGROUP_SIZE = 64; ELEMENT_BYTES = 4 or 1; SIGNED = 0 or 1
// (8-bit only: int8 or uint8). Each invocation writes one whole word of y.
//
// Dispatch: groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last word return.

override WORKGROUP_SIZE: u32 = 64u;
override ELEMENT_BYTES: u32 = 4u;
override SIGNED: u32 = 0u;

struct Params {
  count: u32,
  height: u32,
  width: u32,
  kernelH: u32,
  kernelW: u32,
  strideH: u32,
  strideW: u32,
  padTop: u32,
  padLeft: u32,
  outH: u32,
  outW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

//! include "common/x32-elements-wgsl.wgsl"

// Element bits as a value that orders like the element: int8 sign-extended,
// uint8 as is. Only used for 8-bit elements.
fn asInteger(bits: u32) -> i32 {
  if (SIGNED != 0u) {
    return (i32(bits) << 24u) >> 24u;
  }
  return i32(bits);
}

// The bits of y element e.
fn elementAt(e: u32) -> u32 {
  let p = params;
  let ow = e % p.outW;
  let oh = (e / p.outW) % p.outH;
  let plane = e / (p.outW * p.outH);
  let top = i32(oh * p.strideH) - i32(p.padTop);
  let left = i32(ow * p.strideW) - i32(p.padLeft);
  // The float maximum's bits (-Infinity to start: kept as bits, because a
  // constant infinity is a shader-creation error in WGSL) and the integer
  // maximum (below any 8-bit value); a kernel instance uses one of them.
  var best = 0xff800000u;
  var bestInt = -1000;
  for (var kh = 0u; kh < p.kernelH; kh++) {
    let ih = top + i32(kh);
    if (ih < 0 || u32(ih) >= p.height) {
      continue;
    }
    for (var kw = 0u; kw < p.kernelW; kw++) {
      let iw = left + i32(kw);
      if (iw < 0 || u32(iw) >= p.width) {
        continue;
      }
      let bits = loadElement((plane * p.height + u32(ih)) * p.width + u32(iw));
      if (ELEMENT_BYTES == 4u) {
        if (bitcast<f32>(bits) > bitcast<f32>(best)) {
          best = bits;
        }
      } else {
        bestInt = max(bestInt, asInteger(bits));
      }
    }
  }
  if (ELEMENT_BYTES == 4u) {
    return best;
  }
  return u32(bestInt) & 0xffu;
}
