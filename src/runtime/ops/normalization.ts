/**
 * BatchNormalization in inference mode: y = (x - mean) / sqrt(var + eps) *
 * scale + B per channel (axis 1). passes/fold-batch-norm.ts folds it into the
 * preceding Conv/Gemm where it can; this runs the rest.
 */
import type { Value } from '../onnx/model.js';
import { value } from '../value.js';
import { ModelError } from '../onnx/model.js';
import { input, nodeRun, type OpHandler } from './op.js';

/** Per-channel multiplier and offset of an inference BatchNormalization: y = x * a + b. */
export function batchNormAffine(scale: Value, bias: Value, mean: Value, variance: Value, epsilon: number): { a: Float32Array; b: Float32Array } {
  const c = scale.data.length;
  for (const [v, what] of [[bias, 'B'], [mean, 'mean'], [variance, 'var']] as const)
    if (v.type !== 'float32' || v.data.length !== c) throw new ModelError(`${what} must be ${c} float32 values like scale, got ${v.type} [${v.dims}]`);
  const a = new Float32Array(c), b = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    a[i] = (scale.data[i] as number) / Math.sqrt((variance.data[i] as number) + epsilon);
    b[i] = (bias.data[i] as number) - (mean.data[i] as number) * a[i];
  }
  return { a, b };
}

const batchNormalization: OpHandler = (ctx) => {
  if (ctx.attributes.int('training_mode', 0) !== 0) throw new ModelError('training_mode is not supported (inference only)');
  if (ctx.node.outputs.slice(1).some((o) => o !== '')) throw new ModelError('the running mean/var outputs are not supported (inference only)');
  const epsilon = ctx.attributes.float('epsilon', 1e-5);
  return nodeRun('batchnorm', (inputs) => {
    const x = input(inputs, 0, ['float32']);
    const { a, b } = batchNormAffine(input(inputs, 1, ['float32']), input(inputs, 2), input(inputs, 3), input(inputs, 4), epsilon);
    const c = x.dims[1];
    if (x.dims.length < 2 || c !== a.length) throw new ModelError(`input [${x.dims}] has ${c} channels, the parameters ${a.length}`);
    const inner = x.data.length / Math.max(1, x.dims[0] * c);
    const y = value('float32', x.dims);
    const xd = x.data as Float32Array;
    for (let i = 0, p = 0; p < x.dims[0] * c; p++) {
      const ch = p % c;
      for (let j = 0; j < inner; j++, i++) y.data[i] = xd[i] * a[ch] + b[ch];
    }
    return [y];
  });
};

export const NORMALIZATION_OPS: Record<string, OpHandler> = { BatchNormalization: batchNormalization };
