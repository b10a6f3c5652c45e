/** Reference int8 depthwise convolution: the oracle for qu8s8-dwconv2d and, transposed, qu8s8-dwconv2d-nhwc (exact in int32). */
import type { DwConv2dGeometry } from '../../ops/dwconv2d.js';
import { refOutput, type RefOutputStage } from './quantize.js';

/**
 * sums[n, o, oh, ow] = sum over i, j of (x[n, o / multiplier, ih, iw] - xZeroPoint) * w[o, i, j]
 * with ih = oh * strideH - padTop + i * dilationH (likewise iw), taps in the
 * padding skipped (they read as the zero point), modulo 2^32 as int32. w
 * holds int8 weights, or weights already less their zero points (Int16Array:
 * int8 or uint8 values off a zero point reach [-255, 255]).
 */
export function refQdwconv2dSums(g: DwConv2dGeometry, x: Uint8Array, xZeroPoint: number, w: Int8Array | Int16Array): Int32Array {
  if (g.groupChannels !== 1) throw new RangeError('refQdwconv2dSums takes depthwise geometry (one input channel per group)');
  const outChannels = g.channels * g.multiplier;
  const sums = new Int32Array(g.batch * outChannels * g.outH * g.outW);
  let out = 0;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < outChannels; o++) {
      const plane = (n * g.channels + Math.floor(o / g.multiplier)) * g.height;
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++, out++) {
          let s = 0;
          for (let i = 0; i < g.kernelH; i++) {
            const ih = oh * g.strideH - g.padTop + i * g.dilationH;
            if (ih < 0 || ih >= g.height) continue;
            for (let j = 0; j < g.kernelW; j++) {
              const iw = ow * g.strideW - g.padLeft + j * g.dilationW;
              if (iw < 0 || iw >= g.width) continue;
              s = (s + Math.imul(x[(plane + ih) * g.width + iw] - xZeroPoint, w[(o * g.kernelH + i) * g.kernelW + j])) | 0;
            }
          }
          sums[out] = s;
        }
    }
  return sums;
}

/**
 * The sums through the output stage into y (output channel o of each image:
 * stage values per channel or per tensor): int32 gets sums + bias, the
 * others qs32-qx8-requantize's formula (refOutput).
 */
export function refQdwconv2dOutput(sums: Int32Array, g: DwConv2dGeometry, y: Int32Array | Uint8Array | Int8Array | Float32Array, stage: RefOutputStage): void {
  const plane = g.outH * g.outW, outChannels = g.channels * g.multiplier;
  for (let i = 0; i < sums.length; i++) {
    const o = Math.floor(i / plane) % outChannels;
    if (y instanceof Int32Array) y[i] = stage.bias ? (sums[i] + stage.bias[o]) | 0 : sums[i];
    else y[i] = refOutput(sums[i], o, stage, y instanceof Float32Array);
  }
}

/** [N, A, B, C] -> [N, C, A, B] when `toChannelsFirst`, else [N, A, B, C] from [N, C, A, B] (dims given channels-last). */
function transposed<T extends Uint8Array | Int32Array | Int8Array | Float32Array>(data: T, n: number, a: number, b: number, c: number, toChannelsFirst: boolean): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < a * b; p++)
      for (let k = 0; k < c; k++) {
        const last = (i * a * b + p) * c + k, first = (i * c + k) * a * b + p;
        if (toChannelsFirst) out[first] = data[last];
        else out[last] = data[first];
      }
  return out;
}

/**
 * The channels-last form: x [N, H, W, C] and y [N, OH, OW, OC] around the
 * NCHW reference (refQdwconv2dSums, then refQdwconv2dOutput), transposed in
 * and out, so both layouts have one oracle.
 */
export function refQdwconv2dNhwc(g: DwConv2dGeometry, x: Uint8Array, xZeroPoint: number, w: Int8Array | Int16Array,
  y: Int32Array | Uint8Array | Int8Array | Float32Array, stage: RefOutputStage): void {
  const nchw = transposed(x, g.batch, g.height, g.width, g.channels, true);
  const out = new (y.constructor as new (length: number) => typeof y)(y.length);
  refQdwconv2dOutput(refQdwconv2dSums(g, nchw, xZeroPoint, w), g, out, stage);
  y.set(transposed(out, g.batch, g.outH, g.outW, g.channels * g.multiplier, false));
}
