/**
 * nhwc-layout (CPU sessions only, after every other pass): moves runs of
 * convs, and the nodes between them, to channels-last activations, where a
 * 1x1 conv is one GEMM on the image as it lies and a depthwise conv
 * vectorizes across channels.
 *
 * Seeds are the convs `nhwcConv` accepts. A region grows from them through
 * the nodes that can run NHWC (RULES: activations, Q/DQ with per-tensor
 * parameters, elementwise arithmetic on 4-D values or broadcast constants),
 * joined where one's output is another's activation input; a connected run
 * of such nodes holding no seed stays NCHW. Every moved node gets
 * LAYOUT_ATTRIBUTE = NHWC, and every value whose layout changed gets a new
 * name, so each name of the model still holds what ONNX says it holds (an
 * intermediate fetch returns NCHW, or names no value). Transposes sit at the
 * region's edges only: [0,2,3,1] on an NCHW value a moved node reads, one per
 * value however many read it, and [0,3,1,2] producing the model's own name
 * of a moved value anything else reads (a graph output, an NCHW node). A
 * broadcast constant is rewritten instead: aligned to rank 4 and transposed
 * ([C,1,1] -> [1,1,1,C]). A [N,1,1,C] value leaves for free: the transpose
 * of a value with one non-1 axis is a view (ops/layout.ts).
 *
 * The graph keeps no shapes between nodes, so the pass tracks ranks only:
 * from graph inputs, constants and the nodes it knows; an operand of unknown
 * rank keeps its node NCHW.
 */
import { topologicalOrder, type Graph } from '../graph.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import { transposeValue } from '../ops/layout.js';
import { LAYOUT_ATTRIBUTE, NHWC, TO_NCHW, TO_NHWC } from '../ops/nhwc.js';
import { nhwcPool } from '../ops/pool.js';
import { RESIDUAL_INPUT } from '../ops/post-op.js';
import { nhwcQuantizedInputs } from '../ops/qlinear-elementwise.js';
import { addConstant } from './edit.js';
import { fuseEdgeQuantize } from './nhwc-edges.js';

/** Whether a Conv / QLinearConv node can run NHWC (ops/conv-nhwc.ts's nhwcConv). */
export type NhwcConvPredicate = (node: OnnxNode, constants: ReadonlyMap<string, Value>) => boolean;

export { TO_NCHW, TO_NHWC };

/**
 * Which inputs of `node` are activations that would be NHWC if it moved, or
 * undefined when it cannot move. The other inputs (weights, scales, bounds)
 * stay as they are.
 */
type Rule = (node: OnnxNode, constants: ReadonlyMap<string, Value>, nhwcConv: NhwcConvPredicate) => number[] | undefined;

const given = (node: OnnxNode, i: number) => (node.inputs[i] ?? '') !== '';

/** A scale and optional zero point that are constants of one element each. */
function perTensor(node: OnnxNode, constants: ReadonlyMap<string, Value>): boolean {
  const scale = constants.get(node.inputs[1] ?? '');
  const zero = given(node, 2) ? constants.get(node.inputs[2]) : undefined;
  return scale !== undefined && scale.data.length === 1 && scale.dims.length <= 1
    && (!given(node, 2) || (zero !== undefined && zero.data.length === 1 && zero.dims.length <= 1));
}

const first: Rule = () => [0];
const pool: Rule = (node) => (nhwcPool(node) ? [0] : undefined);

/** Op type -> rule, for ops in the default domain. The op owners add theirs as their NHWC branches land. */
const RULES: Record<string, Rule> = {
  Conv: (node, constants, nhwcConv) => (nhwcConv(node, constants) ? (given(node, RESIDUAL_INPUT) ? [0, RESIDUAL_INPUT] : [0]) : undefined),
  QLinearConv: (node, constants, nhwcConv) => (nhwcConv(node, constants) ? [0] : undefined),
  Relu: first,
  Clip: first,
  Sigmoid: first,
  HardSigmoid: first,
  HardSwish: first,
  Add: () => [0, 1],
  Sub: () => [0, 1],
  Mul: () => [0, 1],
  Div: () => [0, 1],
  MaxPool: pool,
  GlobalAveragePool: pool,
  QuantizeLinear: (node, constants) => (perTensor(node, constants) ? [0] : undefined),
  DequantizeLinear: (node, constants) => (perTensor(node, constants) ? [0] : undefined),
};

const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div']);
const SEEDS = new Set(['Conv', 'QLinearConv']);

/** The rank of each value the pass can tell (graph inputs, constants, outputs of the ops in RULES). */
function ranks(graph: Graph): Map<string, number> {
  const rank = new Map<string, number>();
  for (const i of graph.inputs) if (i.dims) rank.set(i.name, i.dims.length);
  for (const [name, v] of graph.constants) rank.set(name, v.dims.length);
  for (const node of graph.nodes) {
    const quantized = node.domain === '' ? undefined : nhwcQuantizedInputs(node);
    if (!((node.domain === '' && node.opType in RULES) || quantized) || node.outputs.length !== 1) continue;
    const of = (i: number) => rank.get(node.inputs[i] ?? '');
    const r = quantized ? (quantized.every((i) => of(i) !== undefined) ? Math.max(...quantized.map((i) => of(i)!)) : undefined)
      : SEEDS.has(node.opType) ? of(node.opType === 'Conv' ? 1 : 3)
      : BROADCASTING.has(node.opType) ? (of(0) !== undefined && of(1) !== undefined ? Math.max(of(0)!, of(1)!) : undefined)
        : of(0);
    if (r !== undefined) rank.set(node.outputs[0], r);
  }
  return rank;
}

/** The activation inputs of every node that could move, by node. */
function movable(graph: Graph, nhwcConv: NhwcConvPredicate): Map<OnnxNode, number[]> {
  const rank = ranks(graph);
  const result = new Map<OnnxNode, number[]>();
  for (const node of graph.nodes) {
    if (node.outputs.length !== 1) continue;
    // Other domains: the fused quantized elementwise nodes (ops/qlinear-elementwise.ts), which say their activation inputs.
    const inputs = node.domain !== '' ? nhwcQuantizedInputs(node) : node.opType in RULES ? RULES[node.opType](node, graph.constants, nhwcConv) : undefined;
    if (!inputs) continue;
    // Permuting both operands' axes alike commutes with broadcasting when both are 4-D; a constant is aligned to 4-D first.
    // A conv's activations have its weight's rank, whatever produced them.
    const fits = inputs.every((i) => {
      const name = node.inputs[i] ?? '';
      const r = SEEDS.has(node.opType) ? rank.get(node.outputs[0]) : rank.get(name);
      return name !== '' && (r === 4 || (graph.constants.has(name) && BROADCASTING.has(node.opType) && r !== undefined && r < 4));
    });
    if (fits) result.set(node, inputs);
  }
  return result;
}

/** The nodes to move, with their activation inputs: the movable ones connected (through activation inputs) to a seed. */
export function nhwcRegion(graph: Graph, nhwcConv: NhwcConvPredicate): Map<OnnxNode, number[]> {
  const candidates = movable(graph, nhwcConv);
  const parent = new Map<OnnxNode, OnnxNode>([...candidates.keys()].map((n) => [n, n]));
  const root = (n: OnnxNode): OnnxNode => {
    while (parent.get(n) !== n) n = parent.get(n)!;
    return n;
  };
  const made = new Map<string, OnnxNode>();
  for (const n of candidates.keys()) made.set(n.outputs[0], n);
  for (const [n, inputs] of candidates)
    for (const i of inputs) {
      const p = made.get(n.inputs[i]);
      if (p) parent.set(root(p), root(n));
    }
  const seeded = new Set([...candidates.keys()].filter((n) => SEEDS.has(n.opType)).map(root));
  return new Map([...candidates].filter(([n]) => seeded.has(root(n))));
}

/**
 * Where a region meets the rest: the values it reads that a transpose must
 * bring in (not constants, not made in the region), and the values it makes
 * that a transpose must take out (read by a graph output or an NCHW reader).
 */
export function regionEdges(graph: Graph, moved: ReadonlyMap<OnnxNode, readonly number[]>): { entering: Set<string>; leaving: Set<string> } {
  const made = new Set([...moved.keys()].map((n) => n.outputs[0]));
  const entering = new Set<string>();
  for (const [node, inputs] of moved) for (const i of inputs) if (!made.has(node.inputs[i]) && !graph.constants.has(node.inputs[i])) entering.add(node.inputs[i]);
  const leaving = new Set(graph.outputs.map((o) => o.name).filter((name) => made.has(name)));
  for (const n of graph.nodes) n.inputs.forEach((x, i) => made.has(x) && !moved.get(n)?.includes(i) && leaving.add(x));
  return { entering, leaving };
}

/** A name no value of the graph has, derived from `base`. */
function freshName(graph: Graph, taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name) || graph.constants.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** `v` aligned to rank 4 with leading 1s, then transposed to NHWC. */
function constantToNhwc(v: Value): Value {
  const dims = [...new Array<number>(4 - v.dims.length).fill(1), ...v.dims];
  return transposeValue({ ...v, dims }, TO_NHWC);
}

function transposeNode(name: string, input: string, output: string, perm: number[]): OnnxNode {
  return { name, opType: 'Transpose', domain: '', inputs: [input], outputs: [output], attributes: new Map([['perm', { type: 'ints', value: perm }]]) };
}

/**
 * Moves the regions seeded by the convs `nhwcConv` accepts to NHWC; returns
 * whether any node moved. Graph inputs and outputs keep their layout. Last,
 * an entering transpose that only QuantizeLinear nodes and float stem convs
 * read is folded into them (nhwc-edges.ts).
 */
export function nhwcLayout(graph: Graph, nhwcConv: NhwcConvPredicate): boolean {
  const moved = nhwcRegion(graph, nhwcConv);
  if (moved.size === 0) return false;
  const { leaving } = regionEdges(graph, moved);
  const taken = new Set<string>(graph.inputs.map((i) => i.name));
  for (const n of graph.nodes) for (const o of n.outputs) taken.add(o);
  const added: OnnxNode[] = [];
  // Moved outputs: renamed; the old name, where still read, is the transpose back to NCHW.
  const renamed = new Map<string, string>();
  for (const node of moved.keys()) renamed.set(node.outputs[0], freshName(graph, taken, `${node.outputs[0]}_nhwc`));
  for (const [old, name] of renamed) if (leaving.has(old)) added.push(transposeNode(`${old}_to_nchw`, name, old, TO_NCHW));
  // Inputs from outside: one transpose (or rewritten constant) per value, shared by its readers.
  const entering = new Map<string, string>();
  const enter = (old: string): string => {
    const known = renamed.get(old) ?? entering.get(old);
    if (known) return known;
    const constant = graph.constants.get(old);
    const name = constant ? addConstant(graph, `${old}_nhwc`, constantToNhwc(constant)) : freshName(graph, taken, `${old}_nhwc`);
    if (!constant) added.push(transposeNode(`${old}_to_nhwc`, old, name, TO_NHWC));
    entering.set(old, name);
    return name;
  };
  for (const [node, inputs] of moved) {
    node.attributes.set(LAYOUT_ATTRIBUTE, { type: 'string', value: NHWC });
    node.inputs = node.inputs.map((x, i) => (inputs.includes(i) ? enter(x) : x));
    node.outputs = [renamed.get(node.outputs[0])!];
  }
  graph.nodes = topologicalOrder({ ...graph, nodes: [...graph.nodes, ...added] });
  fuseEdgeQuantize(graph);
  return true;
}
