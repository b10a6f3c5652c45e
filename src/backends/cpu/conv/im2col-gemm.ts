/**
 * The im2col path, for every layer the direct kernels do not take (strided,
 * grouped, or cheaper this way): im2col rows, then per group a GEMM against
 * the weights packed once, or, when linear() finds a sparse kernel faster
 * (the measured crossover), one sparse product on the channels-first
 * layout; the result is written NCHW.
 *
 *   dense:  rows[N*P, K] x W'[K, OC/g] -> [N*P, OC/g] -> NCHW (a transpose per image)
 *   sparse: rows^T[K, N*P], W[OC, K] * rows^T -> [OC, N*P] -> NCHW (a copy per image when N > 1)
 */
import { tensor, type QuantParams, type Tensor, type TypedArrayOf } from '../../../tensor.js';
import { convGeometry } from '../../../ops/im2col.js';
import { im2col } from '../im2col.js';
import { linear, type Linear, type LinearRunOptions } from '../linear.js';
import { packWeights, type PackedWeights } from '../pack.js';
import { transpose } from '../transpose.js';
import type { ConvAllocate, ConvRunGeometry, ConvValue, ConvWeightSource } from './layer.js';

/** Runs one group's rows against its packed weights: [N*P, Kg] -> [N*P, OC/g]. */
export type GroupGemm = (rows: Tensor, packed: PackedWeights, group: number) => Tensor;

/** The weights of the im2col path, laid out once: per group W' for the GEMM, or the whole weight on linear()'s sparse kernel. */
export type Im2colWeights =
  | { outChannels: number; groups: number; kind: 'dense'; packed: PackedWeights[] }
  | { outChannels: number; groups: number; kind: 'sparse'; layer: Linear };

/**
 * Lays `w` [OC, C/g, KH, KW] out for the im2col path: when `trySparse` (one
 * group, symmetric weights), asks linear() whether a sparse kernel beats
 * dense for it (and takes the W' it packed when not); else W' transposed to
 * [K, OC/g] and packed per group.
 */
export function prepareIm2colWeights<T extends 'float32' | 'int8' | 'uint8'>(
  w: ConvWeightSource<T>,
  groups: number,
  trySparse: { bias?: Float32Array | Int32Array; columns: number } | null,
): Im2colWeights {
  const [oc] = w.dims;
  const k = w.data.length / oc;
  const ocg = oc / groups;
  if (trySparse && groups === 1) {
    const quant: QuantParams = !w.scales ? {} : w.scales.length === 1 ? { scale: w.scales[0] } : { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: 0 };
    const symmetric = !w.zeroPoints || w.zeroPoints.every((z) => z === 0);
    if (w.type !== 'uint8' && symmetric) {
      const layer = linear(tensor(w.type as 'float32' | 'int8', [oc, k], w.data as Float32Array | Int8Array, quant), { bias: trySparse.bias, columns: trySparse.columns });
      if (layer.kernel !== 'dense') return { outChannels: oc, groups, kind: 'sparse', layer };
      // Dense: linear() packed W' [K, OC] already, as the loop below would (its zero points are zero, as checked above).
      return { outChannels: oc, groups, kind: 'dense', packed: [layer.packed!] };
    }
  }
  const packed: PackedWeights[] = [];
  for (let g = 0; g < groups; g++) {
    // Group g's output channels are consecutive rows [OC/g, K] of w.
    const t = transpose(tensor(w.type, [ocg, k], w.data.subarray(g * ocg * k, (g + 1) * ocg * k) as TypedArrayOf<T>)).data as TypedArrayOf<T>;
    const perChannel = w.scales !== undefined && w.scales.length > 1;
    const quant: QuantParams = !w.scales ? {} : perChannel
      ? { scale: w.scales.slice(g * ocg, (g + 1) * ocg), zeroPoint: w.zeroPoints?.slice(g * ocg, (g + 1) * ocg), axis: 1 }
      : { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 };
    packed.push(packWeights(tensor(w.type, [k, ocg], t, quant) as Tensor<'float32' | 'int8' | 'uint8'>));
  }
  return { outChannels: oc, groups, kind: 'dense', packed };
}

/**
 * Runs the convolution of NCHW `x` (float32 or uint8 with its quantization)
 * and returns the NCHW result of type `outType`: `gemm` runs each group of
 * dense weights, `sparseOptions` the sparse layer.
 */
export function runIm2colGemm(x: ConvValue<'float32' | 'uint8'>, xQuant: QuantParams, weights: Im2colWeights, geometry: ConvRunGeometry,
  outType: 'float32' | 'uint8' | 'int8' | 'int32', gemm: GroupGemm, sparseOptions: LinearRunOptions, allocate: ConvAllocate): ConvValue {
  const [n] = x.dims;
  const g = weights.groups;
  const xt = tensor(x.type, x.dims, x.data, xQuant);
  const col = im2col(xt, geometry);
  const [, rows, kg] = col.dims;
  const oc = weights.outChannels, ocg = oc / g;
  const { outH: oh, outW: ow } = convGeometry(x.dims, geometry);
  const pixels = oh * ow;
  const y = allocate(outType, n * oc * pixels);
  if (weights.kind === 'sparse') {
    const colT = transpose(tensor(col.type, [rows, kg], col.data, xQuant));
    const r = weights.layer.run(colT as Tensor<'float32'>, sparseOptions);
    // r is [OC, N*P]: image i's channel o is r[o, i*P .. (i+1)*P].
    if (n === 1) y.set(r.data);
    else for (let o = 0; o < oc; o++) for (let i = 0; i < n; i++) y.set(r.data.subarray(o * rows + i * pixels, o * rows + (i + 1) * pixels), (i * oc + o) * pixels);
  } else {
    for (let group = 0; group < g; group++) {
      const view = tensor(col.type, [rows, kg], col.data.subarray(group * rows * kg, (group + 1) * rows * kg) as Float32Array | Uint8Array, xQuant);
      const r = gemm(view, weights.packed[group], group);
      for (let i = 0; i < n; i++) {
        const image = r.data.subarray(i * pixels * ocg, (i + 1) * pixels * ocg);
        if (g === 1) transpose(tensor(r.type, [pixels, ocg], image as Float32Array), { out: y.subarray(i * oc * pixels, (i + 1) * oc * pixels) as Float32Array });
        else for (let p = 0; p < pixels; p++) for (let o = 0; o < ocg; o++) y[(i * oc + group * ocg + o) * pixels + p] = image[p * ocg + o];
      }
    }
  }
  return { type: outType as ConvValue['type'], dims: [n, oc, oh, ow], data: y as ConvValue['data'] };
}
