/**
 * Which runtime compare() checks sparq against (onnxruntime, or sparq's
 * reference backend where onnxruntime's int8 is not exact here), and how far
 * sparq is from onnxruntime when it is not the oracle.
 */
import type { OnnxGraph, Value } from '../onnx/model.js';
import { top1Agreement, valueErrors, type TensorLike, type ValueErrors } from './metrics.js';
import { int8Weights, ortInt8Exactness } from './ort-int8.js';

/** Which runtime's values the errors, withinTolerance and firstDivergence are measured against, and why. */
export interface Oracle {
  /**
   * 'onnxruntime', or 'reference' (sparq's TypeScript reference backend on
   * the same graph, exact integer arithmetic) for int8 models where
   * onnxruntime's int8 is not exact on this CPU.
   */
  authority: 'onnxruntime' | 'reference';
  /** Why, in one sentence. */
  reason: string;
}

/** sparq's distance to onnxruntime where onnxruntime is not the oracle: information, never a failure. */
export interface OrtDistance extends ValueErrors {
  /** maxAbsError in the output's quantization steps (the scale of the DequantizeLinear producing it; 1 for 8-bit outputs); null when it has no single step. */
  steps: number | null;
  top1Agreement: number | null;
}

/** onnxruntime is the oracle unless the model has int8 weights and onnxruntime's int8 is not exact for them on this CPU (ortInt8Exactness). */
export function oracleFor(graph: OnnxGraph): Oracle {
  const weights = int8Weights(graph);
  if (weights.length === 0) return { authority: 'onnxruntime', reason: 'the model has no int8 weights' };
  const { exact, reason } = ortInt8Exactness(weights);
  return { authority: exact ? 'onnxruntime' : 'reference', reason };
}

/**
 * One quantization step of graph output `name`: the scalar scale of the
 * DequantizeLinear that produces it, 1 for an 8-bit output, else null.
 */
export function outputStep(graph: OnnxGraph, name: string): number | null {
  const producer = graph.nodes.find((n) => n.outputs.includes(name));
  if (producer?.opType === 'DequantizeLinear') {
    const scale = graph.initializers.get(producer.inputs[1]);
    return scale?.type === 'float32' && scale.data.length === 1 ? (scale.data[0] as number) : null;
  }
  const type = graph.outputs.find((o) => o.name === name)?.type;
  return type === 'uint8' || type === 'int8' ? 1 : null;
}

export function ortDistance(ours: Value, theirs: TensorLike, step: number | null): OrtDistance {
  const errors = valueErrors(ours, theirs);
  return { ...errors, steps: step === null || errors.mismatch !== null ? null : errors.maxAbsError / step, top1Agreement: errors.mismatch === null ? top1Agreement(ours, theirs) : null };
}
