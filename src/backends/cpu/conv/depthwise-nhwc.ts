/**
 * The NHWC conv operator's depthwise branch: float32 convs with one input
 * channel per group (group = C, weights [C * M, 1, KH, KW]) on
 * f32-dwconv2d-nhwc, x [N, H, W, C] -> y [N, OH, OW, C * M] with the bias,
 * the clamp and a HardSwish / HardSigmoid post-activation fused. The
 * weights are copied once; each input shape plans (and packs) its own call.
 */
import { tensor, type Tensor } from '../../../tensor.js';
import { planDwconv2dNhwc } from '../dwconv2d-nhwc.js';
import type { ConvLayer } from './operator.js';
import type { NhwcConvOperator } from './nhwc.js';

/** The layer (float32, depthwise: weights [C * M, 1, KH, KW], group C, no fused pool) on f32-dwconv2d-nhwc. */
export function prepareDepthwiseNhwc(layer: ConvLayer<'float32'>): NhwcConvOperator {
  const [oc, , kh, kw] = layer.weights.dims;
  const weights: Tensor<'float32'> = tensor('float32', [oc, 1, kh, kw], layer.weights.data.slice());
  const bias = layer.bias?.slice() as Float32Array | undefined;
  // A post-activation carries its own clamp (layer.activation is then none).
  const activation = layer.postActivation ?? layer.activation;
  return {
    label: 'conv-depthwise-nhwc',
    plan(xDims, _xQuant, geometry) {
      const { strides, pads, dilations } = geometry;
      const plan = planDwconv2dNhwc({ type: 'float32', dims: xDims }, weights, { strides, pads, dilations, bias, activation });
      return { type: 'float32', dims: plan.dims as [number, number, number, number], run: (x, y) => plan.run(x as Float32Array, y as Float32Array) };
    },
  };
}
