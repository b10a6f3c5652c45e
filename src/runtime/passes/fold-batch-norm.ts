/**
 * Conv -> BatchNormalization  =>  Conv with W' = W * a[oc], B' = B * a + b,
 * where a = scale / sqrt(var + eps) and b = B_bn - mean * a, when the conv's
 * weight, bias and the BN parameters are constants and nothing else reads
 * the conv's output (onnxruntime's conv_bn_fusion).
 */
import type { Graph } from '../graph.js';
import { Attributes } from '../ops/op.js';
import { batchNormAffine } from '../ops/normalization.js';
import { value } from '../value.js';
import { addConstant, constantInput, removeNodes, soleConsumer } from './edit.js';

export function foldBatchNorm(graph: Graph): boolean {
  let changed = false;
  for (const conv of [...graph.nodes]) {
    if (conv.opType !== 'Conv' || conv.domain !== '') continue;
    const bn = soleConsumer(graph, conv.outputs[0]);
    if (!bn || bn.opType !== 'BatchNormalization' || bn.inputs[0] !== conv.outputs[0]) continue;
    const attrs = new Attributes(bn);
    if (attrs.int('training_mode', 0) !== 0 || bn.outputs.slice(1).some((o) => o !== '')) continue;
    const w = constantInput(graph, conv, 1);
    const hasBias = (conv.inputs[2] ?? '') !== '';
    const b = hasBias ? constantInput(graph, conv, 2) : undefined;
    const params = [1, 2, 3, 4].map((i) => constantInput(graph, bn, i));
    if (!w || w.type !== 'float32' || (hasBias && !b) || params.some((p) => p === undefined)) continue;
    const oc = w.dims[0];
    if (params.some((p) => p!.data.length !== oc)) continue;
    const { a, b: shift } = batchNormAffine(params[0]!, params[1]!, params[2]!, params[3]!, attrs.float('epsilon', 1e-5));
    const k = w.data.length / oc;
    const wd = w.data as Float32Array;
    const folded = new Float32Array(wd.length);
    for (let o = 0; o < oc; o++) for (let i = 0; i < k; i++) folded[o * k + i] = wd[o * k + i] * a[o];
    const bias = new Float32Array(oc);
    for (let o = 0; o < oc; o++) bias[o] = ((b?.data[o] as number | undefined) ?? 0) * a[o] + shift[o];
    conv.inputs = [conv.inputs[0], addConstant(graph, `${conv.inputs[1]}_bn`, value('float32', w.dims, folded)), addConstant(graph, `${conv.name}_bn_bias`, value('float32', [oc], bias))];
    conv.outputs = [bn.outputs[0]];
    removeNodes(graph, [bn]);
    changed = true;
  }
  return changed;
}
