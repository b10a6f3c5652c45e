/**
 * Static QDQ quantization of a float ONNX graph the way onnxruntime's
 * quantize_static writes it (QDQ format, symmetric int8 weights per output
 * channel or per tensor, uint8 activations, int32 biases at x_scale *
 * w_scale): every activation read by
 * a Conv, Gemm, MatMul, MaxPool or Flatten (its first input), every one read
 * by an Add, Mul, GlobalAveragePool, HardSwish or HardSigmoid (all of their
 * inputs), and every graph output, gets QuantizeLinear -> DequantizeLinear;
 * pooling and flattening keep their input's parameters, as the tool does.
 * Quantizing the elementwise ops' inputs puts a QuantizeLinear after every
 * Conv (a residual Add, an activation or a squeeze-excite reads each), so
 * the runtime's qdq-to-integer pass runs every Conv as a QLinearConv. The
 * elementwise ops themselves stay DequantizeLinear -> float op ->
 * QuantizeLinear and run on the float kernels (an integer QLinearAdd /
 * QLinearMul is future work). A Relu or Clip after a Conv is not quantized
 * apart: the runtime fuses it into the Conv before the Q, as the tool folds
 * it into the Conv's output range. Activation ranges come from
 * calibrate() (./calibrate.ts); quantize() (./quantize/quantize.ts) runs
 * both in one call. Values are rounded as the tool rounds them: the float32
 * quotient, half to even.
 */
import { cpu } from '../backends/cpu/backend.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../runtime/onnx/write.js';
import { roundHalfEven } from '../ops/round.js';
import { checkBoolean, checkObject, fail, typeFail } from '../validate.js';

/** Ops whose first input is quantized (the others are weights, biases or shapes). */
const QUANTIZED_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'MaxPool', 'Flatten']);
/** Ops all of whose activation inputs are quantized (onnxruntime's registry quantizes them the same way). */
export const QUANTIZED_ELEMENTWISE = new Set(['Add', 'Mul', 'GlobalAveragePool', 'HardSwish', 'HardSigmoid']);
export const SHARES_INPUT_PARAMS = new Set(['MaxPool', 'Flatten']);

/** Throws unless `graph` is an object with `nodes`, `inputs` and `outputs` arrays (what both steps read first). */
export function checkGraph(graph: unknown): asserts graph is OnnxGraph {
  checkObject('graph', graph);
  for (const key of ['nodes', 'inputs', 'outputs'] as const)
    if (!Array.isArray((graph as Record<string, unknown>)[key])) typeFail(`graph.${key}`, 'must be an array');
  const initializers = (graph as Record<string, unknown>).initializers;
  if (initializers !== undefined && !Array.isArray(initializers)) typeFail('graph.initializers', 'must be an array when given');
}

/** Activation names to quantize (and so to calibrate): inputs of the quantized ops and the graph outputs. */
export function quantizedActivations(graph: OnnxGraph): string[] {
  const constants = new Set((graph.initializers ?? []).map((t) => t.name));
  const names = new Set<string>();
  for (const n of graph.nodes) {
    const read = QUANTIZED_OPS.has(n.opType) ? n.inputs.slice(0, 1) : QUANTIZED_ELEMENTWISE.has(n.opType) ? n.inputs : [];
    for (const name of read) if (name && !constants.has(name)) names.add(name);
  }
  for (const o of graph.outputs) names.add(o.name);
  return [...names];
}

/** The Conv and Gemm weights quantizeQdq() quantizes to int8, by initializer name. */
export function quantizedWeights(graph: OnnxGraph): string[] {
  return [...new Set(graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.inputs[1]))];
}

export interface QdqOptions {
  /**
   * 7-bit weights in [-64, 64] (onnxruntime's reduce_range), which keeps its
   * u8s8 kernels exact on x86 CPUs without VNNI (no pair of products
   * reaches int16's limit there). Default false: [-127, 127].
   */
  reduceRange?: boolean;
  /** One weight scale per output channel (true, the default) or one per tensor. */
  perChannel?: boolean;
  /**
   * Activation ranges made symmetric, [-m, m] with m the larger end, zero
   * point 128 (onnxruntime's ActivationSymmetric for uint8). Default false:
   * [min, max] with the zero point where 0 falls.
   */
  symmetricActivations?: boolean;
}

/** Throws unless `options` (named `name`) are valid quantizeQdq() options; returns them with defaults. */
export function checkQdqOptions(options: unknown, name = 'options'): Required<QdqOptions> {
  checkObject(name, options);
  const o = options as QdqOptions;
  const flag = (key: keyof QdqOptions, byDefault: boolean) => (o[key] === undefined ? byDefault : checkBoolean(`${name}.${key}`, o[key]));
  return { reduceRange: flag('reduceRange', false), perChannel: flag('perChannel', true), symmetricActivations: flag('symmetricActivations', false) };
}

/** Scale and zero point of an activation with calibrated range [min, max]. */
export function activationParams(min: number, max: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  return cpu.chooseQuantParams(min, max, { type: 'uint8', symmetric });
}

/** The QDQ model of `graph` given activation ranges (what calibrate() returns). */
export function quantizeQdq(graph: OnnxGraph, ranges: Map<string, [number, number]>, options: QdqOptions = {}): OnnxGraph {
  checkGraph(graph);
  checkRanges(ranges);
  const { reduceRange, perChannel, symmetricActivations } = checkQdqOptions(options);
  const weights: WeightQuantization = { qmax: reduceRange ? 64 : 127, perChannel };
  const init = new Map((graph.initializers ?? []).map((t) => [t.name, t]));
  checkWeights(graph, init);
  const extra: OnnxTensor[] = [];
  const nodes: OnnxNode[] = [];
  const scaleOf = new Map<string, number>();
  const producerOp = new Map(graph.nodes.map((n) => [n.outputs[0], n]));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  // Parameters of each activation; pass-through ops inherit their input's.
  const paramsOf = (name: string): { scale: number; zeroPoint: number } => {
    const p = producerOp.get(name);
    if (p && SHARES_INPUT_PARAMS.has(p.opType)) return paramsOf(p.inputs[0]);
    const [min, max] = ranges.get(name) ?? [0, 1];
    return activationParams(min, max, symmetricActivations);
  };
  const renamed = new Map<string, string>();
  const qdq = (name: string) => {
    const { scale, zeroPoint } = paramsOf(name);
    scaleOf.set(name, scale);
    extra.push({ name: `${name}.scale`, type: 'float', dims: [], data: Float32Array.of(scale) }, { name: `${name}.zp`, type: 'uint8', dims: [], data: Uint8Array.of(zeroPoint) });
    const dq = outputs.has(name) ? name : `${name}.dq`;
    const source = outputs.has(name) ? `${name}.float` : name;
    nodes.push({ opType: 'QuantizeLinear', name: `${name}.q`, inputs: [source, `${name}.scale`, `${name}.zp`], outputs: [`${name}.quant`] });
    nodes.push({ opType: 'DequantizeLinear', name: `${name}.dqnode`, inputs: [`${name}.quant`, `${name}.scale`, `${name}.zp`], outputs: [dq] });
    renamed.set(name, dq);
  };
  const quantized = new Set(quantizedActivations(graph));
  for (const name of graph.inputs.map((i) => i.name)) if (quantized.has(name)) qdq(name);
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => renamed.get(i) ?? i);
    if (node.opType === 'Conv' || node.opType === 'Gemm') {
      inputs[1] = quantizeWeight(init.get(node.inputs[1])!, weights, extra, nodes);
      if (node.inputs[2]) inputs[2] = quantizeBias(init.get(node.inputs[2])!, scaleOf.get(node.inputs[0])!, init.get(node.inputs[1])!, weights, extra, nodes);
    }
    const out = node.outputs.map((o) => (outputs.has(o) ? `${o}.float` : o));
    nodes.push({ ...node, inputs, outputs: out });
    for (const o of node.outputs) if (quantized.has(o)) qdq(o);
  }
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return { ...graph, nodes, initializers: [...(graph.initializers ?? []).filter((t) => used.has(t.name)), ...extra], opset: Math.max(graph.opset ?? 13, 13) };
}

/** Throws unless `ranges` is a Map of activation name to a finite [min, max] with min <= max. */
function checkRanges(ranges: unknown): asserts ranges is Map<string, [number, number]> {
  if (!(ranges instanceof Map)) typeFail('ranges', 'must be a Map of activation name to [min, max] (what calibrate() returns)');
  for (const [name, range] of ranges) {
    const at = `ranges.get(${JSON.stringify(name)})`;
    if (!Array.isArray(range) || range.length !== 2 || range.some((v) => typeof v !== 'number')) typeFail(at, 'must be [min, max], two numbers');
    if (!range.every(Number.isFinite) || !(range[0] <= range[1])) fail(at, `must be finite with min <= max, got [${range.join(', ')}]`);
  }
}

/**
 * Throws unless every Conv and Gemm can be quantized per output channel: its
 * input an activation (it carries the scale the bias takes), its weight and
 * bias float initializers, and a Gemm's weight stored [N, K] (transB = 1) so
 * that axis 0 is the output channel.
 */
function checkWeights(graph: OnnxGraph, init: ReadonlyMap<string, OnnxTensor>): void {
  for (const node of graph.nodes) {
    if (node.opType !== 'Conv' && node.opType !== 'Gemm') continue;
    const what = `graph: ${node.opType} ${JSON.stringify(node.name ?? node.outputs[0])}`;
    if (init.has(node.inputs[0])) fail(what, 'must read an activation, not an initializer, as its input');
    if (node.opType === 'Gemm' && node.attributes?.transB !== 1) fail(what, 'must have transB = 1 (weights [N, K], quantized per output channel on axis 0)');
    for (const [i, role] of [[1, 'weight'], [2, 'bias']] as const) {
      const name = node.inputs[i];
      if (!name && role === 'bias') continue;
      if (!(init.get(name)?.data instanceof Float32Array)) fail(what, `${role} ${JSON.stringify(name)} must be a float initializer`);
    }
  }
}

/** How weights are quantized: symmetric int8 in [-qmax, qmax], per output channel (axis 0) or per tensor. */
export interface WeightQuantization {
  qmax: number;
  perChannel: boolean;
}

/** One scale per output channel, or one for the tensor: max|w| / qmax (1 where all are zero). */
export function weightScales(w: Pick<OnnxTensor, 'dims' | 'data'>, { qmax, perChannel }: WeightQuantization): Float32Array {
  const groups = perChannel ? w.dims[0] : 1, k = w.data.length / groups;
  const data = w.data as Float32Array;
  return Float32Array.from({ length: groups }, (_, o) => {
    let m = 0;
    for (let i = o * k; i < (o + 1) * k; i++) m = Math.max(m, Math.abs(data[i]));
    return m === 0 ? 1 : m / qmax;
  });
}

/**
 * Adds `q` (named `name`.q) with its DequantizeLinear at `scales` and zero
 * points 0 of its `type`: per channel on axis 0, or scalars per tensor.
 * Returns the float value's name.
 */
function dequantized(name: string, q: OnnxTensor['data'], dims: readonly number[], type: 'int8' | 'int32', scales: Float32Array, perChannel: boolean, extra: OnnxTensor[], nodes: OnnxNode[]): string {
  const paramDims = perChannel ? [scales.length] : [];
  const zeros = type === 'int8' ? new Int8Array(scales.length) : new Int32Array(scales.length);
  extra.push({ name: `${name}.q`, type, dims, data: q }, { name: `${name}.scale`, type: 'float', dims: paramDims, data: scales }, { name: `${name}.zp`, type, dims: paramDims, data: zeros });
  nodes.push({ opType: 'DequantizeLinear', name: `${name}.dqnode`, inputs: [`${name}.q`, `${name}.scale`, `${name}.zp`], outputs: [`${name}.dq`], ...(perChannel ? { attributes: { axis: 0 } } : {}) });
  return `${name}.dq`;
}

/** Each block of data.length / scales.length values at its scale: round(w / scale) half to even, saturated to [-qmax, qmax]. */
function quantizedWeightValues(data: Float32Array, scales: Float32Array, qmax: number): Int8Array {
  const k = data.length / scales.length;
  const q = new Int8Array(data.length);
  for (let o = 0; o < scales.length; o++)
    for (let i = o * k; i < (o + 1) * k; i++) q[i] = Math.max(-qmax, Math.min(qmax, roundHalfEven(Math.fround(data[i] / scales[o]))));
  return q;
}

/** A bias's scales: x_scale * w_scale per weight scale, in float32 as the tool multiplies them. */
export function biasScales(weightScale: Float32Array, xScale: number): Float32Array {
  return weightScale.map((s) => Math.fround(s * xScale));
}

/** int32 at `scales` (one per value, or one for all), saturated to [-(2^31 - 1), 2^31 - 1] as the tool clips it. */
export function quantizedBiasValues(data: Float32Array, scales: Float32Array): Int32Array {
  const limit = 2 ** 31 - 1;
  return Int32Array.from(data, (v, i) => Math.max(-limit, Math.min(limit, roundHalfEven(Math.fround(v / scales[scales.length === 1 ? 0 : i])))));
}

function quantizeWeight(w: OnnxTensor, weights: WeightQuantization, extra: OnnxTensor[], nodes: OnnxNode[]): string {
  const scales = weightScales(w, weights);
  const q = quantizedWeightValues(w.data as Float32Array, scales, weights.qmax);
  return dequantized(w.name, q, w.dims, 'int8', scales, weights.perChannel, extra, nodes);
}

function quantizeBias(b: OnnxTensor, xScale: number, w: OnnxTensor, weights: WeightQuantization, extra: OnnxTensor[], nodes: OnnxNode[]): string {
  const scales = biasScales(weightScales(w, weights), xScale);
  return dequantized(b.name, quantizedBiasValues(b.data as Float32Array, scales), b.dims, 'int32', scales, weights.perChannel, extra, nodes);
}
