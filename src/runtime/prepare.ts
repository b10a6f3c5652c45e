/**
 * Graph preparation: every node of a graph prepared once by its CPU handler
 * (weights packed, the dense or sparse kernel chosen), the constant ones
 * folded. Both executors start from it, so both backends accept and reject
 * the same graphs and constant-fold alike.
 */
import { opKey, type Graph } from './graph.js';
import type { NodeRecord } from './executor.js';
import type { OnnxNode, Value } from './onnx/model.js';
import { ModelError } from './onnx/model.js';
import { Attributes, type NodeRun, type RunPolicy, type PrepareContext } from './ops/op.js';
import { OPS } from './ops/registry.js';

export interface PreparedNode extends NodeRecord {
  kernel: NodeRun;
}

/**
 * `e` with the node it happened in named first (a ModelError stays one): a
 * copy of the same class and fields, not `e` itself, which may be shared:
 * every call queued behind a failed GPU dispatch rejects with one error, and
 * naming the node in place gave concurrent runs "node A: node A: node B: ...".
 */
export function nodeError(node: OnnxNode, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  const where = `node "${node.name}" (${node.opType})`;
  if (e instanceof ModelError) return new ModelError(`${where}: ${message}`);
  if (!(e instanceof Error)) return new Error(`${where}: ${message}`);
  const named = Object.create(Object.getPrototypeOf(e) as object, Object.getOwnPropertyDescriptors(e)) as Error;
  named.message = `${where}: ${message}`;
  return named;
}

/**
 * Prepares every node; a node whose inputs are all constants runs once here
 * and its outputs become constants (constant folding: weight
 * DequantizeLinear, shape arithmetic on fixed shapes, Constant nodes).
 */
export function prepareGraph(graph: Graph, policy: RunPolicy): PreparedNode[] {
  const prepared: PreparedNode[] = [];
  for (const node of graph.nodes) {
    const ctx = prepareContext(graph, node, policy);
    const constants = ctx.constants;
    let kernel: NodeRun;
    try {
      kernel = OPS[opKey(node)](ctx);
    } catch (e) {
      throw nodeError(node, e);
    }
    const foldable = node.inputs.every((name, i) => name === '' || constants[i] !== undefined);
    if (foldable) {
      let outputs: Value[];
      try {
        outputs = kernel.run(constants);
      } catch (e) {
        throw nodeError(node, e);
      }
      node.outputs.forEach((name, i) => name !== '' && outputs[i] !== undefined && graph.constants.set(name, outputs[i]));
    } else {
      prepared.push({ node, kernel, label: kernel.label, calls: 0, totalMs: 0 });
    }
  }
  return prepared;
}

/** What a handler sees of `node`: its opset, the constants among its inputs, its attributes, the policy. */
export function prepareContext(graph: Graph, node: OnnxNode, policy: RunPolicy): PrepareContext {
  const constants = node.inputs.map((name) => graph.constants.get(name));
  const opset = graph.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? graph.opsets.get('') ?? 0;
  return { node, opset, constants, attributes: new Attributes(node), policy };
}
