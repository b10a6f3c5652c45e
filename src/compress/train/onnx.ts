/**
 * A network to ONNX and back. Training data is NHWC ([N, H, W, C] images,
 * [N, F] features); the exported model takes what ONNX models take, NCHW
 * [N, C, H, W] (each layer's nodes compute on the NCHW image what the layer
 * computes on the NHWC one, Flatten included), with a symbolic batch. An
 * imported model's initializers become the layers' params (trainable) and
 * buffers, its values keep their names, and its input [N, C, H, W] becomes
 * the network's [H, W, C] samples.
 */
import { readOnnx, SUPPORTED_OPSETS } from '../../runtime/onnx/read.js';
import { ModelError, type OnnxModel, type Value } from '../../runtime/onnx/model.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../runtime/onnx/write.js';
import { Attributes } from '../../runtime/ops/op.js';
import { checkDims, checkInt, checkObject, fail, typeFail } from '../../validate.js';
import type { ImportContext } from './import-context.js';
import { param, type Layer, type LayerBuffer, type Param } from './layer.js';
import { NetworkBuilder, type Network, type NetworkValue } from './network.js';
import { IMPORTERS } from './onnx-importers.js';

export interface ExportOptions {
  /** One sample's NHWC dims ([H, W, C] or [F]); default the network's own (options.input at build). */
  input?: readonly number[];
  /** Graph input and output names (default 'input' and 'logits'). */
  inputName?: string;
  outputName?: string;
  /** The ai.onnx opset, 14 (HardSwish's first) to 21 (default 17). */
  opset?: number;
}

/** NHWC sample dims -> ONNX's NCHW dims with a symbolic batch. */
function nchw(sample: readonly number[], what: string): (number | string)[] {
  if (sample.length === 1) return ['batch', sample[0]];
  if (sample.length === 3) return ['batch', sample[2], sample[0], sample[1]];
  fail(what, `must be one sample's [H, W, C] or [F], got [${sample.join(', ')}]`);
}

/**
 * The network as an ONNX graph for encodeOnnxModel: its layers' nodes, its
 * params and buffers as initializers (copies), input NCHW.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function exportOnnx(network: Layer & { inputDims?: readonly number[] }, options: ExportOptions = {}): OnnxGraph {
  checkObject('network', network);
  if (typeof network.toOnnx !== 'function') typeFail('network', 'must be a Network (or any Layer)');
  checkObject('options', options);
  const { inputName = 'input', outputName = 'logits', opset = 17 } = options;
  for (const [name, value] of [['options.inputName', inputName], ['options.outputName', outputName]] as const)
    if (typeof value !== 'string' || value.length === 0) typeFail(name, 'must be a non-empty string');
  if (inputName === outputName) fail('options.outputName', 'must differ from options.inputName');
  checkInt('options.opset', opset, 14, SUPPORTED_OPSETS.max);
  const given = options.input ?? network.inputDims;
  if (given === undefined) fail('options.input', "is required when the network was built without options.input (one sample's [H, W, C] or [F])");
  const sample = checkDims('options.input', given);
  const inputDims = nchw(sample, 'options.input');
  const out = network.outputDims([1, ...sample]);
  const outputDims = out.length === 4 ? nchw(out.slice(1), 'the output') : ['batch', ...out.slice(1)];
  const arrays = [...network.params(), ...(network.buffers?.() ?? [])];
  const initializers: OnnxTensor[] = [];
  const names = new Set<string>();
  for (const a of new Set<Param | LayerBuffer>(arrays)) {
    if (names.has(a.name)) fail('network', `has two arrays named '${a.name}'`);
    names.add(a.name);
    initializers.push({ name: a.name, type: 'float', dims: [...a.dims], data: Float32Array.from(a.value) });
  }
  return {
    name: 'sparq-trained',
    nodes: uniqueNodeNames(network.toOnnx(inputName, outputName)),
    initializers,
    inputs: [{ name: inputName, type: 'float', dims: inputDims }],
    outputs: [{ name: outputName, type: 'float', dims: outputDims }],
    opset,
  };
}

/**
 * The nodes with unique names, as ONNX requires: layers name their nodes
 * by default after their kind ('maxpool'), so a second one of a kind gets
 * '_2', a third '_3' and so on (names already unique are kept).
 */
function uniqueNodeNames(nodes: OnnxNode[]): OnnxNode[] {
  const taken = new Set(nodes.map((n) => n.name).filter((n) => n !== undefined));
  const seen = new Set<string>();
  return nodes.map((node) => {
    if (node.name === undefined) return node;
    if (!seen.has(node.name)) {
      seen.add(node.name);
      return node;
    }
    let k = 2;
    while (taken.has(`${node.name}_${k}`)) k++;
    const name = `${node.name}_${k}`;
    taken.add(name);
    return { ...node, name };
  });
}

/** The model's one activation input as one sample's NHWC dims. */
function sampleDims(model: OnnxModel): { name: string; sample: number[] } {
  const { graph } = model;
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (inputs.length !== 1) fail('model', `must have one input besides initializers, got ${inputs.length}`);
  const { name, dims } = inputs[0];
  const fixed = dims?.slice(1);
  if (!dims || (dims.length !== 2 && dims.length !== 4) || fixed!.some((d) => typeof d !== 'number'))
    fail('model', `input "${name}" must be [N, F] or [N, C, H, W] with fixed F or C, H, W, got ${dims ? `[${dims.join(', ')}]` : 'no shape'}`);
  const [c, h, w] = fixed as number[];
  return { name, sample: dims.length === 2 ? [c] : [h, w, c] };
}

/**
 * A trainable network from an ONNX model (bytes or readOnnx's result): a
 * chain or DAG of the ops IMPORTERS covers and Add.
 * @throws TypeError/RangeError naming the bad argument; a RangeError listing every op it does not cover.
 */
export function importOnnx(model: OnnxModel | Uint8Array): Network {
  const m = model instanceof Uint8Array ? readOnnx(model) : model;
  checkObject('model', m);
  if (typeof m.graph !== 'object' || m.graph === null || !(m.graph.initializers instanceof Map)) typeFail('model', 'must be ONNX bytes or a model readOnnx() returned');
  const { graph } = m;
  const missing = [...new Set(graph.nodes.map((n) => n.opType).filter((op) => !IMPORTERS.has(op) && op !== 'Add' && op !== 'Constant'))];
  if (missing.length > 0) fail('model', `uses ops the trainer has no layers for: ${missing.join(', ')}`);
  if (graph.outputs.length !== 1) fail('model', `must have one output, got ${graph.outputs.length}`);
  const { name: inputName, sample } = sampleDims(m);

  const constants = new Map<string, Value>(graph.initializers);
  const params = new Map<string, Param>();
  const floatInitializer = (name: string): Value => {
    const v = graph.initializers.get(name);
    if (v?.type !== 'float32') throw new ModelError(`"${name}" must be a float32 initializer`);
    return v;
  };
  const b = new NetworkBuilder();
  const values = new Map<string, NetworkValue>([[inputName, b.input]]);
  for (const [index, node] of graph.nodes.entries()) {
    const what = `node ${node.name ? `"${node.name}"` : `#${index}`} (${node.opType})`;
    try {
      if (node.opType === 'Constant') {
        const value = new Attributes(node).tensor('value');
        if (!value) throw new ModelError('only Constant nodes with a tensor value are supported');
        constants.set(node.outputs[0], value);
        continue;
      }
      const activation = (name: string) => {
        const v = values.get(name);
        if (!v) throw new ModelError(`input "${name}" must be an activation (the model input or a node's output), not a constant`);
        return v;
      };
      if (node.opType === 'Add') {
        values.set(node.outputs[0], b.add(activation(node.inputs[0]), activation(node.inputs[1]), node.outputs[0]));
        continue;
      }
      const ctx: ImportContext = {
        node,
        attributes: new Attributes(node),
        constant: (name) => (name ? constants.get(name) : undefined),
        param(name, decay, value) {
          const known = params.get(name);
          if (known) return known;
          const source = value ?? floatInitializer(name);
          const p = param(name, source.dims, Float32Array.from(source.data as Float32Array), decay);
          params.set(name, p);
          return p;
        },
        buffer(name) {
          const v = floatInitializer(name);
          return { name, dims: [...v.dims], value: Float32Array.from(v.data as Float32Array) };
        },
      };
      const input = activation(node.inputs[0]);
      values.set(node.outputs[0], b.apply(IMPORTERS.get(node.opType)!(ctx), input, node.outputs[0]));
    } catch (e) {
      if (e instanceof TypeError) throw e;
      fail('model', `${what}: ${(e as Error).message}`);
    }
  }
  const output = values.get(graph.outputs[0].name);
  if (!output) fail('model', `output "${graph.outputs[0].name}" is not computed by a node`);
  return b.build(output, { input: sample });
}

