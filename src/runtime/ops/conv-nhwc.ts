/**
 * Conv and QLinearConv in the NHWC layout: which nodes the layout pass may
 * move (`nhwcConv`), and the run of a moved node on the channels-last conv
 * operator (backends/cpu/conv/nhwc.ts): x [N, H, W, C] -> y [N, OH, OW, OC],
 * planned once per input shape and quantization.
 */
import { isDepthwise } from '../../backends/cpu/conv/layer.js';
import { prepareConvNhwc, type NhwcConvPlan } from '../../backends/cpu/conv/nhwc.js';
import type { ConvLayer } from '../../backends/cpu/conv/operator.js';
import { planBinary } from '../../ops/elementwise.js';
import { sizeOf, type QuantParams } from '../../tensor.js';
import type { Allocate } from '../buffers.js';
import { ModelError, type OnnxNode, type Value } from '../onnx/model.js';
import { convOptions, windowAttributes, type WindowAttributes } from './conv-attributes.js';
import { Attributes } from './op.js';
import { PlanCache } from './plan-cache.js';
import { fusedPostOp } from './post-op.js';

/** Why a conv of this window and group cannot run NHWC; undefined when it can (a fused max pool included: the operator pools its result). */
function unsupported(window: WindowAttributes, group: number, depthwise: boolean): string | undefined {
  if (window.oneD) return 'a 1-D conv';
  // Depthwise layers take any window (backends/cpu/conv/depthwise-nhwc.ts, depthwise-nhwc-int8.ts).
  if (group !== 1 && !depthwise) return `group ${group}`;
  return undefined;
}

/**
 * Whether this Conv / QLinearConv node can run NHWC: 2-D, constant weights
 * (and bias, and QLinearConv's weight and output quantization), group 1 or
 * depthwise, a post-op the NHWC operator applies (a clamp; on a float
 * Conv also HardSwish, HardSigmoid and a residual add). Pruned weights
 * too: whether their NHWC kernel pays is layout 'auto''s estimate
 * (passes/nhwc-choice.ts), not this question.
 */
export function nhwcConv(node: OnnxNode, constants: ReadonlyMap<string, Value>): boolean {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return false;
  const quantized = node.opType === 'QLinearConv';
  if (node.opType !== 'Conv' && !quantized) return false;
  const given = (i: number) => (node.inputs[i] ?? '') !== '';
  const constant = (i: number) => !given(i) || constants.has(node.inputs[i]);
  const w = given(quantized ? 3 : 1) ? constants.get(node.inputs[quantized ? 3 : 1]) : undefined;
  if (!w || w.dims.length !== 4 || !(quantized ? ['int8', 'uint8'] : ['float32']).includes(w.type)) return false;
  // QLinearConv: w_scale, w_zero_point, y_scale, y_zero_point and B; Conv: B.
  if (!(quantized ? [4, 5, 6, 7, 8] : [2]).every(constant) || (quantized && !(given(4) && given(6)))) return false;
  const attrs = new Attributes(node);
  try {
    // QLinearConv applies only its clamp; the fused kinds and the residual are float Conv's.
    if (fusedPostOp(attrs) && quantized) return false;
    const window = windowAttributes(attrs, w.dims.slice(2));
    const group = attrs.int('group', 1);
    return unsupported(window, group, isDepthwise(w.dims, group)) === undefined;
  } catch (e) {
    // Attributes the handlers reject: the node stays NCHW, where its handler reports them.
    if (e instanceof ModelError || (e instanceof Error && e.message.startsWith('unknown fused activation'))) return false;
    throw e;
  }
}

/** A prepared NHWC conv: run() takes x [N, H, W, C] and its quantization, and returns y [N, OH, OW, OC]. */
export interface NhwcConvRun {
  readonly label: string;
  run(x: Value, xQuant: QuantParams, allocate: Allocate): Value;
}

/**
 * Prepares a layer (weights constant) the layout pass moved to NHWC.
 * @throws ModelError for a layer the NHWC operator cannot run (the pass must not have moved it).
 */
export function prepareNhwcConv<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>, window: WindowAttributes): NhwcConvRun {
  const why = unsupported(window, layer.group, isDepthwise(layer.weights.dims, layer.group));
  if (why) throw new ModelError(`${why} cannot run NHWC`);
  const op = prepareConvNhwc(layer);
  const channels = layer.weights.dims[1] * layer.group;
  const plans = new PlanCache<NhwcConvPlan>();
  return {
    label: op.label,
    run(x, xQuant, allocate) {
      const [n, h, w, c] = x.dims;
      if (x.dims.length !== 4 || c !== channels) throw new ModelError(`input must be NHWC [N, H, W, ${channels}], got [${x.dims}]`);
      const quant = [xQuant.scale as number ?? 0, xQuant.zeroPoint as number ?? 0];
      const plan = plans.get(x.dims, () => op.plan([n, h, w, c], xQuant, convOptions(window, h, w)), quant);
      const y = allocate(plan.type, sizeOf(plan.dims));
      plan.run(x.data as Float32Array | Uint8Array, y);
      return { type: plan.type, dims: [...plan.dims], data: y };
    },
  };
}

/**
 * A fused residual of an NHWC conv: of its result y's rank, moved to NHWC
 * with it by the layout pass (so an NCHW [N, C, 1, 1] one is [N, 1, 1, C]),
 * and the same shape as y or broadcast onto it in place (one value per
 * column, as cpu.add runs it).
 * @throws ModelError for any other shape.
 */
export function nhwcResidual(y: Value, residual: Value | undefined): Value | undefined {
  const plan = residual && residual.dims.length === y.dims.length ? planBinary(y.dims, residual.dims) : undefined;
  if (residual && (!plan || plan.swapped))
    throw new ModelError(`an NHWC conv's residual must have its result's dims [${y.dims}] or broadcast onto them, got [${residual.dims}]`);
  return residual;
}
