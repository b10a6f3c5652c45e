// f32-dwconv2d-wgsl: depthwise and grouped 2-D convolution of NCHW float32
// images, direct (no im2col rows), bias and clamp fused:
//   y[n][o][oh][ow] = clamp(bias[o] + sum over c < CPG, kh < KH, kw < KW of
//                     x[n][g*CPG + c][oh*SH - PT + kh*DH][ow*SW - PL + kw*DW] * w[o][c][kh][kw],
//                     minValue, maxValue)
// with g = o / OCPG the group of output channel o, CPG the input and OCPG
// the output channels per group; taps in the padding are skipped (zero
// padding). Depthwise is CPG = 1 (OCPG is the channel multiplier); a
// grouped conv with a few channels per group (ResNeXt, ShuffleNet) runs the
// same loop over its CPG channels, in one dispatch for every group. Each
// output reads CPG*KH*KW inputs and as many weights: the GEMM's reuse buys
// nothing at CPG = 1, and the host keeps group-1 convs on im2col + GEMM.
// Sums run in f32 in (c, kh, kw) order from the bias, so results differ
// from a double-precision reference by rounding only.
//
// Bindings (@group(0)):
//   0  x       storage, read        array<f32>  N*C*H*W values, C = groups * CPG
//   1  w       storage, read        array<f32>  OC*CPG*KH*KW values, OC = groups * OCPG
//   2  bias    storage, read        array<f32>  OC values; with hasBias = 0 it is never read
//   3  y       storage, read_write  array<f32>  count = N*OC*OH*OW values
//   4  params  uniform              Params
//
// Params (uniform, 80 bytes, 4-byte fields in this order): count, channels
// (C), height, width, outChannels (OC), outH, outW, channelsPerGroup (CPG),
// outChannelsPerGroup (OCPG), kernelH, kernelW, strideH, strideW,
// dilationH, dilationW, padTop, padLeft, hasBias (u32 each); minValue,
// maxValue (f32: -Infinity / +Infinity for no clamp); 2 words of padding.
//
// Overrides: WORKGROUP_SIZE = 64. One invocation per output element, in
// NCHW order, so neighbouring invocations read neighbouring inputs (stride
// 1) and one weight row (a whole workgroup usually shares o).
//
// Dispatch: groups = ceil(count / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last output return. Indices are u32: the input,
// weight and output counts must stay below 2^32.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  channels: u32,
  height: u32,
  width: u32,
  outChannels: u32,
  outH: u32,
  outW: u32,
  channelsPerGroup: u32,
  outChannelsPerGroup: u32,
  kernelH: u32,
  kernelW: u32,
  strideH: u32,
  strideW: u32,
  dilationH: u32,
  dilationW: u32,
  padTop: u32,
  padLeft: u32,
  hasBias: u32,
  minValue: f32,
  maxValue: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let p = params;
  let e = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  if (e >= p.count) {
    return;
  }
  let ow = e % p.outW;
  let oh = (e / p.outW) % p.outH;
  let o = (e / (p.outW * p.outH)) % p.outChannels;
  let n = e / (p.outW * p.outH * p.outChannels);
  let firstChannel = n * p.channels + (o / p.outChannelsPerGroup) * p.channelsPerGroup;
  // Signed: windows that start in the top/left padding.
  let top = i32(oh * p.strideH) - i32(p.padTop);
  let left = i32(ow * p.strideW) - i32(p.padLeft);
  var sum = 0.0;
  if (p.hasBias != 0u) {
    sum = bias[o];
  }
  for (var c = 0u; c < p.channelsPerGroup; c++) {
    let plane = (firstChannel + c) * p.height;
    let taps = (o * p.channelsPerGroup + c) * p.kernelH;
    for (var kh = 0u; kh < p.kernelH; kh++) {
      let ih = top + i32(kh * p.dilationH);
      if (ih < 0 || u32(ih) >= p.height) {
        continue;
      }
      let row = (plane + u32(ih)) * p.width;
      let tap = (taps + kh) * p.kernelW;
      for (var kw = 0u; kw < p.kernelW; kw++) {
        let iw = left + i32(kw * p.dilationW);
        if (iw < 0 || u32(iw) >= p.width) {
          continue;
        }
        sum = fma(x[row + u32(iw)], w[tap + kw], sum);
      }
    }
  }
  y[e] = clamp(sum, p.minValue, p.maxValue);
}
