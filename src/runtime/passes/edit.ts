/** Small graph queries and edits the passes share. */
import type { Graph } from '../graph.js';
import type { OnnxNode, Value } from '../onnx/model.js';

/** The nodes that read `name`. */
export function consumers(graph: Graph, name: string): OnnxNode[] {
  return graph.nodes.filter((n) => n.inputs.includes(name));
}

export function isGraphOutput(graph: Graph, name: string): boolean {
  return graph.outputs.some((o) => o.name === name);
}

/** The one node that reads `name`, when nothing else (no other node, no graph output) does. */
export function soleConsumer(graph: Graph, name: string): OnnxNode | undefined {
  if (isGraphOutput(graph, name)) return undefined;
  const readers = consumers(graph, name);
  return readers.length === 1 ? readers[0] : undefined;
}

export function producer(graph: Graph, name: string): OnnxNode | undefined {
  return graph.nodes.find((n) => n.outputs.includes(name));
}

export function removeNodes(graph: Graph, dead: readonly OnnxNode[]): void {
  graph.nodes = graph.nodes.filter((n) => !dead.includes(n));
}

/** A constant input of `node` (initializer or folded value), or undefined. */
export function constantInput(graph: Graph, node: OnnxNode, index: number): Value | undefined {
  const name = node.inputs[index];
  return name ? graph.constants.get(name) : undefined;
}

/** Adds a constant under a fresh name derived from `base`, and returns the name. */
export function addConstant(graph: Graph, base: string, value: Value): string {
  let name = base;
  for (let i = 1; graph.constants.has(name) || producer(graph, name); i++) name = `${base}_${i}`;
  graph.constants.set(name, value);
  return name;
}
