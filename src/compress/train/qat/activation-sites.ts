/**
 * Where QAT fake-quantizes each activation quantizeQdq quantizes. The QDQ
 * model puts one QuantizeLinear -> DequantizeLinear after a value's
 * producer and every reader (a Conv, an Add, a Relu alike) takes the
 * dequantized value, so QAT quantizes each value once, where it is made:
 * the network input before the network runs, a layer's output after the
 * layer (a nested network's too, whose output is residual()'s Add), the
 * network output after it. One quantizer, one range, serves all readers.
 * A network's own Add nodes cannot be wrapped from here, so an Add's output
 * that stays inside its network is quantized at the input of the one layer
 * reading it; one read by an Add or by several layers is not modeled.
 */
import type { OnnxGraph } from '../../../runtime/onnx/write.js';
import { fail } from '../../../validate.js';
import { quantizedActivations, SHARES_INPUT_PARAMS } from '../../quantize-qdq.js';
import type { Layer } from '../layer.js';
import { Network } from '../network.js';

/** The ONNX value names a layer read and wrote in its network's last export. */
export interface LayerValues {
  readonly input: string;
  readonly output: string;
}

/** Where one activation is fake-quantized. */
export type Site = { readonly at: 'network input' | 'network output' } | { readonly at: 'input' | 'output'; readonly layer: Layer };

/** Every layer under `network`, nested networks and their layers included. */
export function layersUnder(network: Network): Layer[] {
  return network.layers().flatMap((l) => (l instanceof Network ? [l, ...layersUnder(l)] : [l]));
}

/**
 * Hooks the toOnnx of `network` and of every layer under it so that each
 * export records the value names the layer read and wrote (a Network names
 * its inner values after its output's name, so they change with
 * exportOnnx's options). Returns the record.
 */
export function recordValueNames(network: Network): ReadonlyMap<Layer, LayerValues> {
  const names = new Map<Layer, LayerValues>();
  for (const layer of [network, ...layersUnder(network)]) {
    const toOnnx = layer.toOnnx.bind(layer);
    layer.toOnnx = (input, output) => {
      names.set(layer, { input, output });
      return toOnnx(input, output);
    };
  }
  return names;
}

/** The value quantizeQdq takes an activation's parameters from: through MaxPool and Flatten to their input. */
export function rangeSource(graph: OnnxGraph, name: string): string {
  const producer = graph.nodes.find((n) => n.outputs[0] === name);
  return producer && SHARES_INPUT_PARAMS.has(producer.opType) ? rangeSource(graph, producer.inputs[0]) : name;
}

/** The value a site quantizes in an export: `graph` and the names `recordValueNames` recorded for it. */
export function siteValue(site: Site, graph: OnnxGraph, names: ReadonlyMap<Layer, LayerValues>): string {
  if ('layer' in site) return names.get(site.layer)![site.at];
  return site.at === 'network input' ? graph.inputs[0].name : graph.outputs[0].name;
}

/**
 * The site of each activation quantizeQdq quantizes in `graph` (`network`
 * just exported, `names` recorded by that export), by the value it takes
 * the range of. Values a MaxPool or Flatten passes on need none: their
 * input's quantized values stay on its grid.
 * @throws RangeError on `network` for an activation no site can quantize once.
 */
export function activationSites(network: Network, graph: OnnxGraph, names: ReadonlyMap<Layer, LayerValues>): Map<string, Site> {
  const layers = layersUnder(network);
  const leaves = layers.filter((l) => !(l instanceof Network));
  const sites = new Map<string, Site>();
  for (const value of new Set(quantizedActivations(graph).map((name) => rangeSource(graph, name)))) {
    if (value === graph.inputs[0].name) sites.set(value, { at: 'network input' });
    else if (value === graph.outputs[0].name) sites.set(value, { at: 'network output' });
    else sites.set(value, innerSite(value, graph, layers, leaves, names));
  }
  return sites;
}

function innerSite(value: string, graph: OnnxGraph, layers: Layer[], leaves: Layer[], names: ReadonlyMap<Layer, LayerValues>): Site {
  const producer = graph.nodes.find((n) => n.outputs.includes(value));
  // An Add's output is a nested network's output (residual()), or read inside its network.
  const makers = producer?.opType === 'Add' ? layers.filter((l) => l instanceof Network) : leaves;
  const maker = makers.find((l) => names.get(l)?.output === value);
  if (maker) return { at: 'output', layer: maker };
  const readers = leaves.filter((l) => names.get(l)?.input === value);
  const addReads = graph.nodes.some((n) => n.opType === 'Add' && n.inputs.includes(value));
  if (producer?.opType === 'Add' && readers.length === 1 && !addReads) return { at: 'input', layer: readers[0] };
  const readBy = graph.nodes.filter((n) => n.inputs.includes(value)).map((n) => n.opType).join(', ');
  fail('network', `has activation '${value}' (read by ${readBy}), which quantizeQdq quantizes but QAT does not model yet: an Add's output read by another Add or by several layers in one network (make the block a residual() network, whose output Add QAT quantizes)`);
}
