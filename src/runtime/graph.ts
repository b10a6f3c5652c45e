/**
 * The graph a session runs: the model's nodes in an order where every input
 * is produced before it is read, its constants (initializers; Constant nodes
 * become constants when folded), its run-time inputs (graph inputs that are
 * not initializers, as ONNX before IR 4 listed both) and outputs. Passes
 * rewrite it in place; the session then prepares each node once.
 */
import type { OnnxModel, OnnxNode, OnnxValueInfo, Value } from './onnx/model.js';
import { ModelError } from './onnx/model.js';
import { OPS } from './ops/registry.js';

export interface Graph {
  nodes: OnnxNode[];
  constants: Map<string, Value>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Domain ('' = ai.onnx) -> opset version. */
  opsets: Map<string, number>;
}

/** The registry key of a node's operator. */
export function opKey(node: OnnxNode): string {
  return node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}.${node.opType}`;
}

/**
 * The runnable graph of `model`.
 * @throws ModelError listing at once every unsupported operator, every
 * value read (by a node or as a graph output) that no node, initializer or
 * graph input produces and every value produced twice; or naming a cycle.
 */
export function buildGraph(model: OnnxModel): Graph {
  const g = model.graph;
  const constants = new Map(g.initializers);
  const inputs = g.inputs.filter((i) => !constants.has(i.name));
  const graph: Graph = { nodes: g.nodes, constants, inputs, outputs: g.outputs, opsets: model.opsets };
  const unsupported = g.nodes.filter((n) => !(opKey(n) in OPS)).map((n) => `${opKey(n)} (node "${n.name}")`);
  const missing = missingValues(graph);
  const twice = producedTwice(graph);
  const problems = [
    ...(unsupported.length > 0 ? [`unsupported operators: ${unsupported.join(', ')}`] : []),
    ...(missing.length > 0 ? [`values no node, initializer or graph input produces: ${missing.join(', ')}`] : []),
    ...(twice.length > 0 ? [`values produced more than once: ${twice.join(', ')}`] : []),
  ];
  if (problems.length > 0) throw new ModelError(problems.join('; '));
  graph.nodes = topologicalOrder(graph);
  return graph;
}

/** What the graph reads that nothing produces: node inputs, and graph outputs (an unnamed one included). */
function missingValues(graph: Graph): string[] {
  const produced = available(graph);
  for (const n of graph.nodes) for (const o of n.outputs) produced.add(o);
  const missing: string[] = [];
  for (const n of graph.nodes)
    for (const name of n.inputs) if (!produced.has(name)) missing.push(`"${name}" (read by node "${n.name}" (${n.opType}))`);
  // '' marks an omitted optional input, never a graph output.
  graph.outputs.forEach((o, i) => {
    if (o.name === '') missing.push(`an unnamed value (graph output #${i})`);
    else if (!produced.has(o.name)) missing.push(`"${o.name}" (graph output)`);
  });
  return missing;
}

/**
 * Node outputs that another node, an initializer or a graph input also
 * produces. ONNX assigns each value once; with two producers the result
 * would depend on which one the executor happened to run last.
 */
function producedTwice(graph: Graph): string[] {
  const producer = new Map<string, string>([...graph.constants.keys(), ...graph.inputs.map((i) => i.name)].map((name) => [name, 'an initializer or graph input']));
  const twice: string[] = [];
  for (const n of graph.nodes)
    for (const o of n.outputs) {
      if (o === '') continue;
      const first = producer.get(o);
      if (first !== undefined) twice.push(`"${o}" (by ${first} and node "${n.name}" (${n.opType}))`);
      else producer.set(o, `node "${n.name}" (${n.opType})`);
    }
  return twice;
}

/** The values there before any node runs ('' being an omitted optional input). */
function available(graph: Graph): Set<string> {
  return new Set(['', ...graph.constants.keys(), ...graph.inputs.map((i) => i.name)]);
}

/** The nodes ordered so that each comes after the producers of its inputs (stable: a sorted model keeps its order). */
export function topologicalOrder(graph: Graph): OnnxNode[] {
  const ready = available(graph);
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  const ordered: OnnxNode[] = [];
  const state = new Map<OnnxNode, 'visiting' | 'done'>();
  // Iterative depth-first search: exported graphs can be thousands of nodes deep.
  for (const root of graph.nodes) {
    const stack: { node: OnnxNode; next: number }[] = [{ node: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (state.get(top.node) === 'done') { stack.pop(); continue; }
      state.set(top.node, 'visiting');
      const name = top.node.inputs[top.next++];
      if (name === undefined) {
        state.set(top.node, 'done');
        ordered.push(top.node);
        stack.pop();
        continue;
      }
      if (ready.has(name)) continue;
      const p = producer.get(name);
      if (p === undefined) throw new ModelError(`node "${top.node.name}" (${top.node.opType}) reads "${name}", which no node, initializer or graph input produces`);
      if (state.get(p) === 'visiting') throw new ModelError(`the graph has a cycle through node "${p.name}"`);
      if (state.get(p) !== 'done') stack.push({ node: p, next: 0 });
    }
  }
  return ordered;
}

/** How many nodes read each value (graph outputs count once), for freeing values after their last use. */
export function readers(graph: Graph): Map<string, number> {
  const count = new Map<string, number>();
  const add = (name: string) => count.set(name, (count.get(name) ?? 0) + 1);
  for (const n of graph.nodes) for (const i of n.inputs) if (i !== '') add(i);
  for (const o of graph.outputs) add(o.name);
  return count;
}

/** Readers left per value for a run fetching `fetches` (each fetch reads its value once more), from readers(). */
export function remainingReaders(counts: ReadonlyMap<string, number>, fetches: readonly string[]): Map<string, number> {
  const remaining = new Map(counts);
  for (const name of new Set(fetches)) remaining.set(name, (remaining.get(name) ?? 0) + 1);
  return remaining;
}
