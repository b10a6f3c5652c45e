/**
 * The NHWC region's stem: a float32 group-1 conv that reads the model's
 * NCHW input where it lies, x [N, C, H, W] -> y [N, OH, OW, OC], on
 * f32-conv2d-nhwc's channels-first gather (planConv2dNhwc's channelsFirst),
 * instead of a transpose into the layout and the NHWC gather after it
 * (runtime/passes/nhwc-edges.ts picks these convs). Bias and clamp fused, a
 * HardSwish / HardSigmoid post-activation in place after. Dense weights
 * always: the convs it takes are few-channel stems, where a sparse kernel
 * does not pay.
 */
import { tensor } from '../../../tensor.js';
import { activate } from '../elementwise.js';
import { planConv2dNhwc } from '../conv2d-nhwc.js';
import { packWeights } from '../pack.js';
import { transpose } from '../transpose.js';
import type { ConvLayer } from './operator.js';
import type { NhwcConvOperator } from './nhwc.js';

/** The layer (float32, group 1, no fused pool) on NCHW input; plan() takes x's dims as [N, C, H, W]. */
export function prepareChannelsFirstStem(layer: ConvLayer<'float32'>): NhwcConvOperator {
  if (layer.group !== 1) throw new RangeError(`layer.group: ${layer.group} groups do not run on the channels-first stem (group 1 only)`);
  const [oc, c, kh, kw] = layer.weights.dims;
  // W' [C*KH*KW, OC], rows (c, kh, kw): the ONNX weight [OC, C*KH*KW] transposed.
  const packed = packWeights(transpose(tensor('float32', [oc, c * kh * kw], layer.weights.data)));
  const bias = layer.bias?.slice() as Float32Array | undefined;
  const post = layer.postActivation;
  return {
    label: 'conv-nchw-to-nhwc',
    plan(xDims, _xQuant, geometry) {
      const { kernelShape, strides, pads, dilations } = geometry;
      const conv = planConv2dNhwc({ type: 'float32', dims: xDims }, packed, { kernelShape, strides, pads, dilations, bias, activation: layer.activation, channelsFirst: true });
      return {
        type: 'float32',
        dims: conv.dims,
        run(x, y) {
          conv.run(x as Float32Array, y as Float32Array);
          if (post) activate({ type: 'float32', dims: [y.length], data: y as Float32Array }, post, { out: y as Float32Array });
        },
      };
    },
  };
}
