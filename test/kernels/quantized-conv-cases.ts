/**
 * The cases the channels-last int8 convolution tests (qconv2d-nhwc,
 * qdwconv2d-nhwc) share: output stages, biases, weights with their zero
 * points, and images with runs of the extreme bytes.
 */
import type { Activation } from '../../src/ops/activation.js';
import type { QGemmOutput } from '../../src/ops/quantized-output.js';
import { randomInts } from '../helpers.js';

/**
 * Weights and their zero points: full-range int8 (symmetric, or per-channel
 * zero points that put the extremes 255 off), uint8 with zero point 255, or
 * uint8 with zero point 128 (weights that fit int8 less their zero point: the
 * byte dot-product kernels).
 */
export type WeightKind = 'int8 symmetric' | 'int8 per-channel zero points' | 'uint8 zero point' | 'uint8 zero point 128';

export type QuantizedCase<W extends string = WeightKind> = {
  output: QGemmOutput;
  activation?: Activation;
  perChannel: boolean;
  bias: 'none' | 'small' | 'extreme';
  weights: W;
};

/** Every output type, per-tensor and per-channel scales, clamps (ReLU6, Relu, narrow float ones) and every bias. */
export const STAGE_CASES: QuantizedCase[] = [
  { output: 'int32', perChannel: false, bias: 'none', weights: 'int8 symmetric' },
  { output: 'int32', perChannel: true, bias: 'extreme', weights: 'int8 per-channel zero points' },
  { output: 'uint8', perChannel: true, bias: 'small', weights: 'int8 symmetric' },
  { output: 'uint8', perChannel: false, bias: 'small', activation: { min: 0, max: 6 }, weights: 'uint8 zero point' },
  { output: 'int8', perChannel: true, bias: 'small', activation: 'relu', weights: 'int8 per-channel zero points' },
  { output: 'int8', perChannel: false, bias: 'none', weights: 'int8 symmetric' },
  { output: 'float32', perChannel: true, bias: 'small', activation: { min: -1, max: 2 }, weights: 'uint8 zero point' },
];

/** The bias: none, small, or int32's extremes (the sums wrap modulo 2^32). */
export function biasOf(k: QuantizedCase<string>, oc: number, r: () => number): Int32Array | undefined {
  if (k.bias === 'none') return undefined;
  if (k.bias === 'small') return randomInts(Int32Array, oc, -30000, 30000, r);
  return Int32Array.from({ length: oc }, (_, i) => (i % 2 === 0 ? 2 ** 31 - 1 - i : -(2 ** 31) + i));
}

/**
 * oc rows of `size` weights and their zero points: row 0 at the type's
 * minimum and row 1 at its maximum, with zero points that put them 255 off
 * (the widest w - wz), or, for symmetric int8 and uint8 with zero point 128,
 * at int8's extremes.
 */
export function weightsOf(kind: WeightKind, oc: number, size: number, r: () => number): { data: Int8Array | Uint8Array; zeroPoint: number | Int32Array } {
  if (kind === 'uint8 zero point' || kind === 'uint8 zero point 128') {
    const data = randomInts(Uint8Array, oc * size, 0, 255, r);
    data.fill(0, 0, size);
    if (kind === 'uint8 zero point') return { data, zeroPoint: 255 };
    if (oc > 1) data.fill(255, size, 2 * size);
    return { data, zeroPoint: 128 };
  }
  const data = randomInts(Int8Array, oc * size, -128, 127, r);
  data.fill(-128, 0, size);
  if (oc > 1) data.fill(127, size, 2 * size);
  if (kind === 'int8 symmetric') return { data, zeroPoint: 0 };
  const zeroPoint = randomInts(Int32Array, oc, -128, 127, r);
  zeroPoint[0] = 127;
  if (oc > 1) zeroPoint[1] = -128;
  return { data, zeroPoint };
}

/** `length` image bytes with runs of 0 and 255 (the extremes against either zero point). */
export function imageOf(length: number, r: () => number): Uint8Array {
  const x = randomInts(Uint8Array, length, 0, 255, r);
  for (let i = 0; i < x.length; i++) if (r() < 0.2) x[i] = r() < 0.5 ? 0 : 255;
  return x;
}
