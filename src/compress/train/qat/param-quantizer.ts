/**
 * The weight side of QAT: a Gemm or Conv runs on its weight fake-quantized
 * to symmetric int8 with quantizeQdq's scales and its bias to int32 at
 * input scale * weight scale (see qat.ts's file comment).
 */
import { cpu } from '../../../backends/cpu/backend.js';
import { biasScales, quantizedBiasValues, weightScales, type WeightQuantization } from '../../quantize-qdq.js';
import type { Layer, Param } from '../layer.js';
import type { ActivationQuantizer, QatPhase } from './activation-quantizer.js';

/** A layer quantizeQdq quantizes: a Gemm or Conv with its weight param (output channels on axis 0) and optional bias. */
export type WeightLayer = Layer & { weight: Param; bias?: Param };

/**
 * Puts a layer's fake-quantized weight and bias into its params around its
 * forward and backward, and its float values back after. Backward reuses
 * the values its forward quantized: train() steps the optimizer only after
 * backward, so the float params have not moved in between.
 */
export class ParamQuantizer {
  private readonly float: Float32Array[];
  private readonly quantized: Float32Array[];
  private readonly codes: Int8Array;

  constructor(private readonly layer: WeightLayer, private readonly input: ActivationQuantizer, private readonly quantization: WeightQuantization, private readonly phase: QatPhase) {
    const params = layer.bias ? [layer.weight, layer.bias] : [layer.weight];
    this.float = params.map((p) => new Float32Array(p.value.length));
    this.quantized = params.map((p) => new Float32Array(p.value.length));
    this.codes = new Int8Array(layer.weight.value.length);
  }

  forward<T>(call: () => T): T {
    if (this.phase.calibrating) return call();
    const { weight: w, bias: b } = this.layer;
    const scales = weightScales({ dims: w.dims, data: w.value }, this.quantization);
    const [qw, qb] = this.quantized;
    // int8 saturation never binds: |w| / fround(max|w| / qmax) rounds to at most qmax, so this is quantizeQdq's clamped rounding.
    const perChannel = this.quantization.perChannel;
    const q = cpu.quantize({ type: 'float32', dims: w.dims, data: w.value }, { type: 'int8', scale: perChannel ? scales : scales[0], ...(perChannel ? { axis: 0 } : {}), out: this.codes });
    cpu.dequantize(q, { out: qw });
    if (b) {
      const bs = biasScales(scales, this.input.grid().scale);
      const q32 = quantizedBiasValues(b.value, bs);
      for (let i = 0; i < q32.length; i++) qb[i] = Math.fround(q32[i] * bs[bs.length === 1 ? 0 : i]);
    }
    return this.swapped(call);
  }

  backward<T>(call: () => T): T {
    return this.swapped(call);
  }

  private swapped<T>(call: () => T): T {
    const params = this.layer.bias ? [this.layer.weight, this.layer.bias] : [this.layer.weight];
    params.forEach((p, i) => {
      this.float[i].set(p.value);
      p.value.set(this.quantized[i]);
    });
    try {
      return call();
    } finally {
      params.forEach((p, i) => p.value.set(this.float[i]));
    }
  }
}

