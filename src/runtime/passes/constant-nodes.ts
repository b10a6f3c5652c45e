/**
 * Constant(value = tensor)  =>  a graph constant. Paddle2ONNX and older
 * PyTorch exports write every weight as a Constant node; turning them into
 * constants first lets the other passes see them (BN folding, Clip bounds),
 * as initializers would be. Other Constant forms (value_float, value_ints,
 * ...) and bad ones are left to the Constant operator, which checks them.
 */
import type { Graph } from '../graph.js';
import { isGraphOutput, removeNodes } from './edit.js';

export function foldConstantNodes(graph: Graph): boolean {
  const folded = graph.nodes.filter((n) => {
    const v = n.attributes.get('value');
    // A constant that is also a graph output stays a node: the outputs are what nodes produce.
    if (n.opType !== 'Constant' || n.domain !== '' || n.attributes.size !== 1 || v?.type !== 'tensor' || n.outputs.length !== 1) return false;
    if (isGraphOutput(graph, n.outputs[0]) || graph.constants.has(n.outputs[0])) return false;
    graph.constants.set(n.outputs[0], v.value);
    return true;
  });
  removeNodes(graph, folded);
  return folded.length > 0;
}
