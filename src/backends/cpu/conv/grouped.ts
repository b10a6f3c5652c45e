/**
 * The grouped path: float32 convs with more than one group (depthwise, where
 * each group is one input channel, and grouped ones with a few channels per
 * group) run on f32-dwconv2d, every group in one native call, instead of
 * im2col and one small GEMM per group. The weights are copied once; the
 * call is planned once per input shape.
 */
import { tensor, type Tensor } from '../../../tensor.js';
import type { Activation } from '../../../ops/activation.js';
import { planDwconv2d, type Dwconv2dPlan } from '../dwconv2d.js';
import type { ConvAllocate, ConvRunGeometry, ConvValue, ConvWeightSource, ConvWindow } from './layer.js';

export interface GroupedConv {
  /** 'conv-depthwise' (one input channel per group) or 'conv-grouped'. */
  readonly label: string;
  run(x: ConvValue<'float32'>, geometry: ConvRunGeometry, allocate: ConvAllocate): ConvValue<'float32'>;
}

/** The layer on f32-dwconv2d: `w` [OC, C/group, KH, KW] (or [OC, C/group, KW]) with the window's kernel. */
export function prepareGroupedConv(w: ConvWeightSource<'float32'>, window: ConvWindow, group: number, bias: Float32Array | undefined,
  activation: Activation | undefined): GroupedConv {
  const [oc, perGroup] = w.dims;
  const weights: Tensor<'float32'> = tensor('float32', [oc, perGroup, window.kernel[0], window.kernel[1]], w.data.slice());
  const biasCopy = bias?.slice();
  let planned: { key: string; plan: Dwconv2dPlan } | undefined;
  return {
    label: perGroup === 1 ? 'conv-depthwise' : 'conv-grouped',
    run(x, geometry, allocate) {
      // Pads follow the input size under auto_pad, so they are part of the key.
      const key = `${x.dims.join(',')}/${geometry.pads.join(',')}`;
      if (planned?.key !== key) {
        const plan = planDwconv2d({ type: 'float32', dims: x.dims }, weights, {
          group, strides: geometry.strides, pads: geometry.pads, dilations: geometry.dilations, bias: biasCopy, activation,
        });
        planned = { key, plan };
      }
      const { plan } = planned;
      const y = allocate('float32', plan.dims.reduce((a, b) => a * b, 1)) as Float32Array;
      plan.run(x.data, y);
      return { type: 'float32', dims: plan.dims, data: y };
    },
  };
}
