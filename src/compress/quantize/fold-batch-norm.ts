/**
 * The BatchNorm fold as an explicit step before quantization: Conv ->
 * BatchNormalization becomes one Conv with W' = W * a[oc] and
 * B' = B * a + b, a = scale / sqrt(var + eps), b = B_bn - mean * a, in
 * float32 (the affine of runtime/ops/normalization.ts, which the session's
 * own fold pass uses too). Without it the quantizer would quantize the
 * conv's unnormalized output and leave the BatchNormalization in float.
 * A pair is folded when it matches onnxruntime's conv_bn_fusion: the BN in
 * inference mode with one output, its four parameters and the conv's weight
 * (and bias, if any) float initializers of one value per output channel,
 * and nothing but the BN reading the conv's output; any other pair stays
 * as it is.
 */
import { batchNormAffine } from '../../runtime/ops/normalization.js';
import type { Value } from '../../runtime/onnx/model.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../runtime/onnx/write.js';
import { checkGraph } from '../quantize-qdq.js';

/** `graph` with every foldable Conv -> BatchNormalization pair folded into the Conv; new weight and bias initializers, the unused ones dropped. */
export function foldBatchNorm(graph: OnnxGraph): OnnxGraph {
  checkGraph(graph);
  const init = new Map((graph.initializers ?? []).map((t) => [t.name, t]));
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.outputs[0], n]));
  const folded = new Map<OnnxNode, OnnxNode>(); // conv -> its folded replacement
  const removed = new Set<OnnxNode>();
  const added: OnnxTensor[] = [];
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '') continue;
    const conv = producer.get(bn.inputs[0]);
    if (!conv || conv.opType !== 'Conv' || (conv.domain ?? '') !== '' || readers.get(conv.outputs[0]) !== 1) continue;
    const fold = foldPair(conv, bn, init);
    if (!fold) continue;
    added.push(...fold.tensors);
    folded.set(conv, fold.conv);
    removed.add(bn);
  }
  if (removed.size === 0) return graph;
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => folded.get(n) ?? n);
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return { ...graph, nodes, initializers: [...(graph.initializers ?? []), ...added].filter((t) => used.has(t.name)) };
}

const floatValue = (t: OnnxTensor): Value => ({ type: 'float32', dims: [...t.dims], data: t.data });

/** The folded conv and its new initializers, or undefined when the pair does not match. */
function foldPair(conv: OnnxNode, bn: OnnxNode, init: ReadonlyMap<string, OnnxTensor>): { conv: OnnxNode; tensors: OnnxTensor[] } | undefined {
  if ((bn.attributes?.training_mode ?? 0) !== 0 || bn.outputs.slice(1).some((o) => o !== '')) return undefined;
  const w = init.get(conv.inputs[1]);
  const bias = conv.inputs[2] ? init.get(conv.inputs[2]) : undefined;
  const params = bn.inputs.slice(1, 5).map((name) => init.get(name));
  if (!w || !(w.data instanceof Float32Array) || params.length !== 4) return undefined;
  const oc = w.dims[0];
  const perChannel = (t: OnnxTensor | undefined): t is OnnxTensor => t !== undefined && t.data instanceof Float32Array && t.data.length === oc;
  if ((conv.inputs[2] && !perChannel(bias)) || !params.every(perChannel)) return undefined;
  const [scale, shift, mean, variance] = (params as OnnxTensor[]).map(floatValue);
  const epsilon = bn.attributes?.epsilon;
  const { a, b } = batchNormAffine(scale, shift, mean, variance, typeof epsilon === 'number' ? epsilon : 1e-5);
  const k = w.data.length / oc;
  const weight = Float32Array.from(w.data as Float32Array, (v, i) => v * a[Math.floor(i / k)]);
  const biasData = Float32Array.from({ length: oc }, (_, o) => ((bias?.data[o] as number | undefined) ?? 0) * a[o] + b[o]);
  const name = conv.name ?? conv.outputs[0];
  const tensors: OnnxTensor[] = [
    { name: `${name}.bn_weight`, type: 'float', dims: w.dims, data: weight },
    { name: `${name}.bn_bias`, type: 'float', dims: [oc], data: biasData },
  ];
  return { conv: { ...conv, inputs: [conv.inputs[0], tensors[0].name, tensors[1].name], outputs: [bn.outputs[0]] }, tensors };
}
