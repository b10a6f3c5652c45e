/**
 * Session option layout 'auto': whether a CPU session runs a model's convs
 * channels-last, and which. Tuned from `npm run bench:models -- --layout
 * both` (which times both layouts against onnxruntime).
 *
 * Dense models (no conv the operators would run sparse) keep the rule
 * measured faster on every dense benchmark row:
 * - some conv moves: channels-last pays on every dense kind measured (1x1:
 *   one GEMM on the image as it lies; depthwise: vectorized across
 *   channels; other windows on the shifted GEMM, ResNet-18 fp32 20.5 ms
 *   NHWC against 28.8 NCHW, int8 5.4 against 8.5; the CIFAR-10 CNN's
 *   pooled 3x3 convs 61 us against 87 us fp32), and
 * - the region costs at most one transpose inside the model: each conv
 *   left NCHW between moved ones costs two full-image transposes per run,
 *   which outweigh what a moved 1x1 conv saves. Transposes of graph inputs
 *   and outputs are not counted, nor one out of a global pool (a view); the
 *   one allowed is for a conv left NCHW at one end of the region, such as a
 *   stem conv with a fused max pool.
 *
 * Pruned models are weighed by an estimate of cost (ops/conv-layout-cost.ts:
 * ns per output pixel of each conv in each layout; TRANSPOSE_NS per value
 * moved; each value's pixels from the graph input's size and the strides):
 * there the NCHW direct sparse kernels and the NHWC depthwise ones each
 * win their layers, so neither layout wins by structure alone.
 * - A conv moves unless NHWC costs it more than it saves: its NHWC estimate
 *   above its NCHW one plus the two transposes of leaving it NCHW between
 *   moved convs (a pruned stem on a 3-channel image, a 3x3 conv on the
 *   direct sparse kernel, stay). The NCHW estimate includes its path's
 *   per-image cost over the conv's output pixels per image (from the
 *   graph input's static size): the int8 direct kernels' fixed costs make a
 *   1x1 conv on a 3x3 map several times dearer per pixel than on a large one.
 * - The region those convs seed runs NHWC when its convs' estimated savings
 *   exceed its transposes (graph edges included, not a global pool's).
 */
import type { Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import type { ConvLayoutCost } from '../ops/conv-layout-cost.js';
import { Attributes } from '../ops/op.js';
import { nhwcRegion, regionEdges, type NhwcConvPredicate } from './nhwc-layout.js';

/** Transposes the region of a dense model may cost inside the model. */
const INNER_TRANSPOSES = 1;
/** ns per value of a transpose between layouts (the estimate's unit: ops/conv-layout-cost.ts). */
const TRANSPOSE_NS = 0.5;
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'QLinearGlobalAveragePool']);
const CONVS = new Set(['Conv', 'QLinearConv']);

/** A conv's estimate (undefined: none, e.g. not a conv). */
export type ConvCostEstimate = (node: OnnxNode) => ConvLayoutCost | undefined;

/**
 * The convs to move for layout 'auto' (a predicate for nhwcLayout, at most
 * `canMove`'s convs), or undefined to run the model NCHW.
 */
export function chooseNhwc(graph: Graph, canMove: NhwcConvPredicate, estimate: ConvCostEstimate): NhwcConvPredicate | undefined {
  const costs = new Map<OnnxNode, ConvLayoutCost>();
  for (const n of graph.nodes) {
    const cost = estimate(n);
    if (cost) costs.set(n, cost);
  }
  if (![...costs.values()].some((c) => c.sparse)) return structuralChoice(graph, canMove) ? canMove : undefined;
  const { pixels, channels, sized } = valueSizes(graph, costs);
  // NCHW ns per output pixel, the path's per-image cost spread over the image's pixels where the input's size is known.
  const nchwAt = (n: OnnxNode, c: ConvLayoutCost) => c.nchw + (sized ? c.nchwPerImage / (pixels.get(n.outputs[0]) ?? 1) : 0);
  const move: NhwcConvPredicate = (n, constants) => {
    if (!canMove(n, constants)) return false;
    const c = costs.get(n);
    return !c || c.nhwc <= nchwAt(n, c) + TRANSPOSE_NS * (c.channels + c.outChannels);
  };
  const moved = nhwcRegion(graph, move);
  if (!movesOneByOneOrDepthwise(graph, moved)) return undefined;
  let saving = 0;
  for (const n of moved.keys()) {
    const c = costs.get(n);
    if (c) saving += (pixels.get(n.outputs[0]) ?? 1) * (nchwAt(n, c) - c.nhwc);
  }
  const { entering, leaving } = regionEdges(graph, moved);
  const pooled = pooledOutputs(moved);
  for (const v of [...entering, ...[...leaving].filter((v) => !pooled.has(v))]) saving -= (pixels.get(v) ?? 1) * (channels.get(v) ?? 1) * TRANSPOSE_NS;
  return saving > 0 ? move : undefined;
}

/** The dense models' rule (see the top of the file). */
function structuralChoice(graph: Graph, nhwcConv: NhwcConvPredicate): boolean {
  const moved = nhwcRegion(graph, nhwcConv);
  if (![...moved.keys()].some((n) => CONVS.has(n.opType))) return false;
  const { entering, leaving } = regionEdges(graph, moved);
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const pooled = pooledOutputs(moved);
  const inner = [...entering].filter((v) => !inputs.has(v)).length + [...leaving].filter((v) => !outputs.has(v) && !pooled.has(v)).length;
  return inner <= INNER_TRANSPOSES;
}

/** Whether some moved conv is 1x1 or depthwise: where channels-last pays. */
function movesOneByOneOrDepthwise(graph: Graph, moved: ReadonlyMap<OnnxNode, readonly number[]>): boolean {
  return [...moved.keys()].some((n) => {
    if (!CONVS.has(n.opType)) return false;
    const w = graph.constants.get(n.inputs[n.opType === 'QLinearConv' ? 3 : 1]);
    const group = n.attributes.get('group');
    const depthwise = group?.type === 'int' && group.value > 1 && w?.dims[1] === 1;
    return depthwise || (w !== undefined && w.dims.slice(2).every((k) => k === 1));
  });
}

/** The moved global pools' outputs: leaving the region as views, no transpose. */
function pooledOutputs(moved: ReadonlyMap<OnnxNode, readonly number[]>): Set<string> {
  return new Set([...moved.keys()].filter((n) => GLOBAL_POOLS.has(n.opType)).map((n) => n.outputs[0]));
}

/**
 * Pixels per image and channels of every value, as far as the estimate
 * needs them: from the graph inputs' dims (pixels 1 where unknown: then
 * relative sizes, and `sized` false), divided by each node's strides, 1
 * after a global pool; channels from the convs' estimates, else the first
 * input's.
 */
function valueSizes(graph: Graph, costs: ReadonlyMap<OnnxNode, ConvLayoutCost>): { pixels: Map<string, number>; channels: Map<string, number>; sized: boolean } {
  const pixels = new Map<string, number>(), channels = new Map<string, number>();
  let sized = false;
  for (const i of graph.inputs) {
    const d = i.dims;
    const known = (k: number) => (typeof d?.[k] === 'number' ? (d[k] as number) : 1);
    pixels.set(i.name, d?.length === 4 ? known(2) * known(3) : 1);
    channels.set(i.name, d && d.length >= 2 ? known(1) : 1);
    if (d?.length === 4 && typeof d[2] === 'number' && typeof d[3] === 'number') sized = true;
  }
  for (const n of graph.nodes) {
    const first = n.inputs.find((i) => pixels.has(i));
    let p = first === undefined ? 1 : pixels.get(first)!;
    const strides = n.opType === 'Transpose' ? undefined : new Attributes(n).ints('strides');
    if (GLOBAL_POOLS.has(n.opType)) p = 1;
    else if (strides) p /= strides.reduce((a, s) => a * s, 1);
    const c = costs.get(n)?.outChannels ?? (first === undefined ? 1 : channels.get(first) ?? 1);
    for (const o of n.outputs) {
      pixels.set(o, p);
      channels.set(o, c);
    }
  }
  return { pixels, channels, sized };
}
