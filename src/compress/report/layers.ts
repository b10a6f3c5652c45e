/**
 * The weight layers of an ONNX model as the report lists them: each Conv,
 * Gemm or MatMul with a constant weight, float or quantized (a weight behind
 * a DequantizeLinear, as QDQ models hold it, or a QLinearConv /
 * QLinearMatMul's), its dims, element type and sparsity.
 */
import type { OnnxGraph as ModelGraph, OnnxNode as ModelNode, Value } from '../../runtime/onnx/model.js';

export interface LayerReport {
  /** The node's name. */
  name: string;
  op: string;
  /** The weight initializer's dims, as stored. */
  weightDims: number[];
  /** Fraction of weights that are zero (quantized ones: equal to their zero point, so they dequantize to 0). */
  sparsity: number;
  /** The stored weight's element type: 'float32', 'int8' or 'uint8'. */
  type: string;
  /** The kernel sparq's session runs the node on (its profile's label), when it reports one. */
  kernel?: string;
}

/** Ops with a weight: the index of their weight input, and of its zero point where the op holds one. */
const WEIGHT_INPUT: Record<string, { weight: number; zeroPoint?: number }> = {
  Conv: { weight: 1 },
  ConvTranspose: { weight: 1 },
  Gemm: { weight: 1 },
  MatMul: { weight: 1 },
  QLinearConv: { weight: 3, zeroPoint: 5 },
  QLinearMatMul: { weight: 3, zeroPoint: 5 },
};

interface StoredWeight {
  value: Value;
  zeroPoint?: Value;
  /** The axis per-channel zero points run along. */
  axis: number;
}

/** The initializer behind value `name`: itself, or what a DequantizeLinear of an initializer dequantizes. */
function storedWeight(graph: ModelGraph, producers: Map<string, ModelNode>, name: string, zeroPoint: string | undefined, axis: number): StoredWeight | undefined {
  const value = graph.initializers.get(name);
  if (value) return { value, zeroPoint: zeroPoint === undefined ? undefined : graph.initializers.get(zeroPoint), axis };
  const dq = producers.get(name);
  if (dq?.opType !== 'DequantizeLinear') return undefined;
  const a = dq.attributes.get('axis');
  return storedWeight(graph, producers, dq.inputs[0], dq.inputs[2] || undefined, a?.type === 'int' ? a.value : 1);
}

/** Fraction of `w`'s elements equal to their zero point (one for all, or one per channel along `axis`). */
function zeroFraction({ value, zeroPoint, axis }: StoredWeight): number {
  const { data, dims } = value;
  if (data.length === 0) return 0;
  const zp = zeroPoint?.data ?? [0];
  const channels = zp.length;
  const inner = channels === 1 ? data.length : dims.slice((axis < 0 ? axis + dims.length : axis) + 1).reduce((a, b) => a * b, 1);
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (Number(data[i]) === Number(zp[Math.floor(i / inner) % channels])) zeros++;
  return zeros / data.length;
}

/** The model's weight layers in node order, with the kernel `kernels` names for each (by node name). */
export function weightLayers(graph: ModelGraph, kernels: ReadonlyMap<string, string>): LayerReport[] {
  const producers = new Map<string, ModelNode>();
  for (const node of graph.nodes) for (const out of node.outputs) producers.set(out, node);
  const layers: LayerReport[] = [];
  for (const node of graph.nodes) {
    const at = WEIGHT_INPUT[node.opType];
    if (!at || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const weight = storedWeight(graph, producers, node.inputs[at.weight], at.zeroPoint === undefined ? undefined : node.inputs[at.zeroPoint], 0);
    if (!weight) continue;
    const kernel = kernels.get(node.name);
    layers.push({ name: node.name, op: node.opType, weightDims: [...weight.value.dims], sparsity: zeroFraction(weight), type: weight.value.type, ...(kernel !== undefined && { kernel }) });
  }
  return layers;
}

/** The weights of all `layers` and the fraction of them that are zero (0 without weights). */
export function weightTotals(layers: readonly LayerReport[]): { weights: number; sparsity: number } {
  let weights = 0, zeros = 0;
  for (const l of layers) {
    const size = l.weightDims.reduce((a, b) => a * b, 1);
    weights += size;
    zeros += l.sparsity * size;
  }
  return { weights, sparsity: weights > 0 ? zeros / weights : 0 };
}

/** The fraction of zeros in the weights of all of `graph`'s weight layers. */
export function weightSparsity(graph: ModelGraph): number {
  return weightTotals(weightLayers(graph, new Map())).sparsity;
}
