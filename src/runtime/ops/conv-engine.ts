/**
 * The convolution all conv operators share (Conv, QLinearConv, ConvInteger):
 * im2col rows, then per group a GEMM against the weights packed once, or,
 * when the weights are sparse enough (the measured crossover), one sparse
 * product on the channels-first layout; the result is written NCHW.
 *
 *   dense:  rows[N*P, K] x W'[K, OC/g] -> [N*P, OC/g] -> NCHW (a transpose per image)
 *   sparse: rows^T[K, N*P], W[OC, K] * rows^T -> [OC, N*P] -> NCHW (a copy per image when N > 1)
 */
import { cpu } from '../../backends/cpu/backend.js';
import { convGeometry } from '../../backends/cpu/im2col.js';
import type { Linear, LinearRunOptions } from '../../backends/cpu/linear.js';
import type { PackedWeights } from '../../backends/cpu/pack.js';
import { TYPED_ARRAY_OF, tensor, type ElementType, type QuantParams, type Tensor, type TypedArrayOf } from '../../tensor.js';
import type { Value } from '../onnx/model.js';
import { as4d, convOptions, outputDims, type WindowAttributes } from './conv-attributes.js';
import { ModelError } from './op.js';

/** The weights of a conv, laid out once. */
export interface ConvWeights {
  outChannels: number;
  groups: number;
  /** Per group: W'[C/g*KH*KW, OC/g] packed for gemm/qgemm (absent when `sparse` runs the layer). */
  packed: PackedWeights[];
  /** The whole [OC, C*KH*KW] weight on linear()'s sparse kernel, when it beats dense. */
  sparse?: Linear;
  /** Runs one group's rows against its packed weights: [N*P, Kg] -> [N*P, OC/g]. */
  dense(rows: Tensor, group: number): Tensor;
}

export interface ConvWeightSource<T extends 'float32' | 'int8' | 'uint8'> {
  type: T;
  /** [OC, C/g, KH, KW] (or [OC, C/g, KW]). */
  dims: readonly number[];
  data: TypedArrayOf<T>;
  /** Per output channel (OC values) or per tensor (1). */
  scales?: Float32Array;
  zeroPoints?: Int32Array;
}

/**
 * Packs a conv weight per group (W' transposed to [K, OC/g]) and, when
 * `trySparse`, asks linear() whether a sparse kernel beats dense for it.
 * `makeDense` wraps gemm/qgemm with the call's fixed options.
 */
export function prepareConvWeights<T extends 'float32' | 'int8' | 'uint8'>(
  w: ConvWeightSource<T>,
  groups: number,
  trySparse: { bias?: Float32Array | Int32Array; columns: number } | null,
  makeDense: (packed: PackedWeights[]) => ConvWeights['dense'],
): ConvWeights {
  const [oc] = w.dims;
  if (oc % groups !== 0) throw new ModelError(`group ${groups} must divide the ${oc} output channels`);
  const k = w.data.length / oc;
  const ocg = oc / groups;
  if (trySparse && groups === 1) {
    const quant: QuantParams = !w.scales ? {} : w.scales.length === 1 ? { scale: w.scales[0] } : { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: 0 };
    const symmetric = !w.zeroPoints || w.zeroPoints.every((z) => z === 0);
    if (w.type !== 'uint8' && symmetric) {
      const layer = cpu.linear(tensor(w.type as 'float32' | 'int8', [oc, k], w.data as Float32Array | Int8Array, quant), { bias: trySparse.bias, columns: trySparse.columns });
      if (layer.kernel !== 'dense') return { outChannels: oc, groups, packed: [], sparse: layer, dense: () => { throw new ModelError('the layer runs sparse'); } };
    }
  }
  const packed: PackedWeights[] = [];
  for (let g = 0; g < groups; g++) {
    const t = new (TYPED_ARRAY_OF[w.type] as new (n: number) => TypedArrayOf<T>)(k * ocg);
    for (let o = 0; o < ocg; o++) {
      const src = (g * ocg + o) * k;
      for (let i = 0; i < k; i++) t[i * ocg + o] = w.data[src + i];
    }
    const perChannel = w.scales !== undefined && w.scales.length > 1;
    const quant: QuantParams = !w.scales ? {} : perChannel
      ? { scale: w.scales.slice(g * ocg, (g + 1) * ocg), zeroPoint: w.zeroPoints?.slice(g * ocg, (g + 1) * ocg), axis: 1 }
      : { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 };
    packed.push(cpu.packWeights(tensor(w.type, [k, ocg], t, quant) as Tensor<'float32' | 'int8' | 'uint8'>));
  }
  return { outChannels: oc, groups, packed, dense: makeDense(packed) };
}

/**
 * Runs the convolution of NCHW `x` (float32 or uint8 with its quantization)
 * and returns the NCHW result of type `outType`.
 */
export function runConv(
  xv: Value,
  xQuant: QuantParams,
  weights: ConvWeights,
  window: WindowAttributes,
  outType: ElementType,
  sparseOptions: LinearRunOptions,
): Value {
  const [n, c, h, w] = as4d(xv.dims, window);
  const g = weights.groups;
  const options = convOptions(window, h, w, g);
  if (c % g !== 0) throw new ModelError(`group ${g} must divide the ${c} input channels`);
  const x = tensor(xv.type as 'float32' | 'uint8', [n, c, h, w], xv.data as Float32Array | Uint8Array, xQuant);
  const col = cpu.im2col(x, options);
  const [, rows, kg] = col.dims;
  const oc = weights.outChannels, ocg = oc / g;
  const { outH: oh, outW: ow } = convGeometry(x.dims, options);
  const pixels = oh * ow;
  const y = new (TYPED_ARRAY_OF[outType] as new (n: number) => TypedArrayOf<ElementType>)(n * oc * pixels);
  if (weights.sparse) {
    const colT = cpu.transpose(tensor(col.type, [rows, kg], col.data, xQuant));
    const r = weights.sparse.run(colT as Tensor<'float32'>, sparseOptions);
    // r is [OC, N*P]: image i's channel o is r[o, i*P .. (i+1)*P].
    if (n === 1) y.set(r.data);
    else for (let o = 0; o < oc; o++) for (let i = 0; i < n; i++) y.set(r.data.subarray(o * rows + i * pixels, o * rows + (i + 1) * pixels), (i * oc + o) * pixels);
  } else {
    for (let group = 0; group < g; group++) {
      const view = tensor(col.type, [rows, kg], col.data.subarray(group * rows * kg, (group + 1) * rows * kg) as Float32Array | Uint8Array, xQuant);
      const r = weights.dense(view, group);
      for (let i = 0; i < n; i++) {
        const image = r.data.subarray(i * pixels * ocg, (i + 1) * pixels * ocg);
        if (g === 1) cpu.transpose(tensor(r.type, [pixels, ocg], image as Float32Array), { out: y.subarray(i * oc * pixels, (i + 1) * oc * pixels) as Float32Array });
        else for (let p = 0; p < pixels; p++) for (let o = 0; o < ocg; o++) y[(i * oc + group * ocg + o) * pixels + p] = image[p * ocg + o];
      }
    }
  }
  return { type: outType as Value['type'], dims: outputDims(window, n, oc, oh, ow), data: y as Value['data'] };
}
