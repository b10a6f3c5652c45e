// x32-im2col-wgsl: NCHW images -> GEMM rows, the layout of x32-im2col.h and
// the CPU's im2col (src/kernels/im2col.ts, reference
// src/backends/reference/im2col.ts), for float32 (ELEMENT_BYTES = 4) and
// uint8 (ELEMENT_BYTES = 1, padded with the zero point):
//   col[g][(b*OH + oh)*OW + ow][(c*KH + kh)*KW + kw]
//     = x[b][g*C + c][oh*SH - PT + kh*DH][ow*SW - PL + kw*DW], or padValue outside the image
// with C the channels per group. The GEMM then runs on the rows as they are
// (conv = col * W'), so the output is [N*OH*OW, OC] pixels-first.
//
// Bindings (@group(0)):
//   0  x       storage, read        array<u32>  the NCHW input, element layout of
//                                               common/x32-elements-wgsl.wgsl
//   1  y       storage, read_write  array<u32>  the col matrix, words = ceil(count * ELEMENT_BYTES / 4),
//                                               count = groups * N*OH*OW * C*KH*KW;
//                                               padding bytes of the last word are 0
//   2  params  uniform              Params
//
// Params (uniform, 64 bytes, every field u32, in this order): count, batch,
// groups, channels (per group), height, width, kernelH, kernelW, strideH,
// strideW, dilationH, dilationW, padTop, padLeft, outH, outW; then padValue
// (the element bits: a float32's bits or the uint8 zero point), 3 words of
// padding.
//
// Overrides: WORKGROUP_SIZE = 64; ELEMENT_BYTES = 4 or 1. Each invocation
// writes one whole word of col, so no two invocations share a word.
//
// Dispatch: groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last word return. Every output element is computed
// from its own index (no tiling): im2col moves O(count) bytes against the
// GEMM's O(count * OC) multiply-adds, so a simple gather is enough.

override WORKGROUP_SIZE: u32 = 64u;
override ELEMENT_BYTES: u32 = 4u;

struct Params {
  count: u32,
  batch: u32,
  groups: u32,
  channels: u32,
  height: u32,
  width: u32,
  kernelH: u32,
  kernelW: u32,
  strideH: u32,
  strideW: u32,
  dilationH: u32,
  dilationW: u32,
  padTop: u32,
  padLeft: u32,
  outH: u32,
  outW: u32,
  padValue: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

//! include "common/x32-elements-wgsl.wgsl"

// The bits of col element e.
fn elementAt(e: u32) -> u32 {
  let p = params;
  let cols = p.channels * p.kernelH * p.kernelW;
  let rows = p.batch * p.outH * p.outW;
  let g = e / (rows * cols);
  let row = (e / cols) % rows;
  let k = e % cols;
  let ow = row % p.outW;
  let oh = (row / p.outW) % p.outH;
  let b = row / (p.outW * p.outH);
  let kw = k % p.kernelW;
  let kh = (k / p.kernelW) % p.kernelH;
  let c = k / (p.kernelW * p.kernelH);
  // Signed: positions in the top/left padding are negative.
  let ih = i32(oh * p.strideH + kh * p.dilationH) - i32(p.padTop);
  let iw = i32(ow * p.strideW + kw * p.dilationW) - i32(p.padLeft);
  if (ih < 0 || iw < 0 || u32(ih) >= p.height || u32(iw) >= p.width) {
    return p.padValue;
  }
  let channel = (b * p.groups + g) * p.channels + c;
  return loadElement((channel * p.height + u32(ih)) * p.width + u32(iw));
}
