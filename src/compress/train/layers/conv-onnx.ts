/**
 * ONNX import of Conv nodes into the trainer's layers: group 1 becomes a
 * Conv2d, group = C with one output channel per group a DepthwiseConv2d;
 * the weight and bias initializers become trainable params. Importers throw
 * ModelError for what the layers do not run; the caller names the node.
 */
import { ModelError } from '../../../runtime/onnx/model.js';
import { windowAttributes } from '../../../runtime/ops/conv-attributes.js';
import type { Attributes } from '../../../runtime/ops/op.js';
import type { Importer } from '../import-context.js';
import { Conv2d } from './conv2d.js';
import { DepthwiseConv2d } from './conv-depthwise.js';
import type { WindowOptions } from './conv-window.js';

/** The node's 2-D window (`kernel` from the weight, or its kernel_shape), with explicit pads. */
export function importedWindow(attributes: Attributes, kernel: readonly number[]): WindowOptions {
  const w = windowAttributes(attributes, kernel);
  if (w.oneD) throw new ModelError('1-D windows are not supported by the trainer (2-D are)');
  if (typeof w.pads === 'string') throw new ModelError(`auto_pad ${w.pads} is not supported by the trainer (its pads follow the input size): give explicit pads`);
  return { kernelShape: w.kernel, strides: w.strides, pads: w.pads, dilations: w.dilations };
}

/** Conv -> Conv2d (group 1) or DepthwiseConv2d (group = C, one output channel per group). */
export const importConv: Importer = ({ node, attributes, constant, param }) => {
  const [, wName, bName] = node.inputs;
  const w = constant(wName);
  if (w?.type !== 'float32' || w.dims.length !== 4) throw new ModelError(`weight "${wName}" must be a 4-D float32 initializer (2-D windows)`);
  const [oc, perGroup, kh, kw] = w.dims;
  const window = importedWindow(attributes, [kh, kw]);
  const group = attributes.int('group', 1);
  const b = bName ? constant(bName) : undefined;
  if (bName && (b?.type !== 'float32' || b.data.length !== oc)) throw new ModelError(`bias "${bName}" must be a float32 initializer of ${oc} values`);
  const weight = param(wName, true), bias = bName ? param(bName, false) : undefined;
  if (group === 1) return new Conv2d(weight, bias, window);
  if (perGroup === 1 && oc === group) return new DepthwiseConv2d(weight, bias, window);
  throw new ModelError(`group ${group} is not supported by the trainer: 1, or depthwise (group = channels, weight [C, 1, KH, KW]), got weight [${w.dims}]`);
};
