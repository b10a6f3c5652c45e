/**
 * Static QDQ quantization of a float ONNX graph the way onnxruntime's
 * quantize_static writes it (QDQ format, per-channel int8 weights, uint8
 * activations, int32 biases at x_scale * w_scale): every activation read by
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
 * calibrate() (./calibrate.ts). The start of the compression toolkit's
 * quantize step; not exported from the package yet.
 */
import { cpu } from '../backends/cpu/backend.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../runtime/onnx/write.js';
import { checkBoolean, checkObject, fail, typeFail } from '../validate.js';

/** Ops whose first input is quantized (the others are weights, biases or shapes). */
const QUANTIZED_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'MaxPool', 'Flatten']);
/** Ops all of whose activation inputs are quantized (onnxruntime's registry quantizes them the same way). */
const QUANTIZED_ELEMENTWISE = new Set(['Add', 'Mul', 'GlobalAveragePool', 'HardSwish', 'HardSigmoid']);
const SHARES_INPUT_PARAMS = new Set(['MaxPool', 'Flatten']);

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

/**
 * The QDQ model of `graph` given activation ranges. `reduceRange` quantizes
 * the weights to [-64, 64] (onnxruntime's reduce_range), which keeps its
 * u8s8 kernels exact on x86 CPUs without VNNI (no pair of products reaches
 * int16's limit there).
 */
export function quantizeQdq(graph: OnnxGraph, ranges: Map<string, [number, number]>, options: { reduceRange?: boolean } = {}): OnnxGraph {
  checkGraph(graph);
  checkRanges(ranges);
  checkObject('options', options);
  const reduceRange = options.reduceRange === undefined ? false : checkBoolean('options.reduceRange', options.reduceRange);
  const qmax = reduceRange ? 64 : 127;
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
    return cpu.chooseQuantParams(min, max, { type: 'uint8' });
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
      inputs[1] = quantizeWeight(init.get(node.inputs[1])!, qmax, extra, nodes);
      if (node.inputs[2]) inputs[2] = quantizeBias(init.get(node.inputs[2])!, scaleOf.get(node.inputs[0])!, init.get(node.inputs[1])!, qmax, extra, nodes);
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

/** Symmetric int8 per output channel (axis 0): scale = max|w| / qmax. */
function weightScales(w: OnnxTensor, qmax: number): Float32Array {
  const oc = w.dims[0], k = w.data.length / oc;
  const data = w.data as Float32Array;
  return Float32Array.from({ length: oc }, (_, o) => {
    let m = 0;
    for (let i = o * k; i < (o + 1) * k; i++) m = Math.max(m, Math.abs(data[i]));
    return m === 0 ? 1 : m / qmax;
  });
}

function quantizeWeight(w: OnnxTensor, qmax: number, extra: OnnxTensor[], nodes: OnnxNode[]): string {
  const scales = weightScales(w, qmax);
  const k = w.data.length / w.dims[0], data = w.data as Float32Array;
  const q = new Int8Array(data.length);
  for (let o = 0; o < scales.length; o++)
    for (let i = o * k; i < (o + 1) * k; i++) q[i] = Math.max(-qmax, Math.min(qmax, Math.round(data[i] / scales[o])));
  extra.push({ name: `${w.name}.q`, type: 'int8', dims: w.dims, data: q }, { name: `${w.name}.scale`, type: 'float', dims: [scales.length], data: scales },
    { name: `${w.name}.zp`, type: 'int8', dims: [scales.length], data: new Int8Array(scales.length) });
  nodes.push({ opType: 'DequantizeLinear', name: `${w.name}.dqnode`, inputs: [`${w.name}.q`, `${w.name}.scale`, `${w.name}.zp`], outputs: [`${w.name}.dq`], attributes: { axis: 0 } });
  return `${w.name}.dq`;
}

function quantizeBias(b: OnnxTensor, xScale: number, w: OnnxTensor, qmax: number, extra: OnnxTensor[], nodes: OnnxNode[]): string {
  const scales = weightScales(w, qmax).map((s) => Math.fround(s * xScale));
  const q = Int32Array.from(b.data as Float32Array, (v, i) => Math.round(v / scales[i]));
  extra.push({ name: `${b.name}.q`, type: 'int32', dims: b.dims, data: q }, { name: `${b.name}.scale`, type: 'float', dims: [scales.length], data: scales },
    { name: `${b.name}.zp`, type: 'int32', dims: [scales.length], data: new Int32Array(scales.length) });
  nodes.push({ opType: 'DequantizeLinear', name: `${b.name}.dqnode`, inputs: [`${b.name}.q`, `${b.name}.scale`, `${b.name}.zp`], outputs: [`${b.name}.dq`], attributes: { axis: 0 } });
  return `${b.name}.dq`;
}
