/**
 * Quantization-aware fine-tuning: qat(network) makes a trained float
 * network compute what its QDQ int8 model (quantizeQdq) will compute, so
 * that train() can fine-tune it against the rounding post-training
 * quantization alone would suffer. Every layer of kind Gemm or Conv with a
 * `weight` param (and optional `bias`) runs on fake-quantized values: its
 * input fake-quantized to uint8 (the activation quantizeQdq quantizes
 * there), its weight to symmetric int8 with quantizeQdq's scales (max|w|
 * per output channel on axis 0, or per tensor, / 127, or / 64 with
 * reduceRange) and its bias to int32 at input scale * weight scale; the
 * network's output is fake-quantized too. The quantized values are written
 * into the params for the duration of the layer's forward and backward and
 * the float values put back after, so the layer's own code runs unchanged,
 * its gradients (the STE's pass-through for weights and biases: their grid
 * follows them, so none saturates) land on the float values the optimizer
 * updates, and pruned weights stay 0 (0 quantizes to 0; the optimizer keeps
 * masked weights at 0). The layers are wrapped in place: the network itself
 * fake-quantizes from then on, and exportQdq() writes the float network
 * quantized with the learned ranges, the same format as quantize() writes.
 */
import type { OnnxGraph } from '../../../runtime/onnx/write.js';
import type { Tensor } from '../../../tensor.js';
import { checkObject, fail, typeFail } from '../../../validate.js';
import { checkGraph, checkQdqOptions, quantizedActivations, quantizeQdq, SHARES_INPUT_PARAMS, type QdqOptions, type WeightQuantization } from '../../quantize-qdq.js';
import type { Batch, Layer, LayerBuffer, Mode, Param } from '../layer.js';
import { Network } from '../network.js';
import { exportOnnx, type ExportOptions } from '../onnx.js';
import { ActivationQuantizer, type QatPhase } from './activation-quantizer.js';
import { ParamQuantizer, type WeightLayer } from './param-quantizer.js';

export interface QatOptions extends QdqOptions {
  /** The activation ranges' moving-average rate per training batch, in (0, 1] (default 0.01, PyTorch's). */
  momentum?: number;
  /** Batches whose min-max ranges start the activation ranges (post-training calibration); without them the first training batch does. */
  calibration?: Iterable<Batch>;
  /** One sample's dims when the network was built without options.input (exportOnnx's options.input). */
  input?: readonly number[];
}

function isParam(value: unknown): value is Param {
  const p = value as Param | undefined;
  return typeof p === 'object' && p !== null && typeof p.name === 'string' && p.value instanceof Float32Array;
}

function weightLayers(layers: Layer[]): WeightLayer[] {
  return layers.flatMap((l) => (l instanceof Network ? weightLayers(l.layers()) : (l.kind === 'Gemm' || l.kind === 'Conv') && isParam((l as WeightLayer).weight) ? [l as WeightLayer] : []));
}

const wrapped = new WeakSet<Layer>();

/** The value quantizeQdq takes an activation's parameters from: through MaxPool and Flatten to their input. */
function rangeSource(graph: OnnxGraph, name: string): string {
  const producer = graph.nodes.find((n) => n.outputs[0] === name);
  return producer && SHARES_INPUT_PARAMS.has(producer.opType) ? rangeSource(graph, producer.inputs[0]) : name;
}

/**
 * The quantizer of each activation quantizeQdq quantizes in `graph`, by
 * the name it takes the range of: Gemm and Conv inputs by their weight's
 * name in `inputs`, the graph output by `output`.
 */
function quantizerOf(graph: OnnxGraph, inputs: ReadonlyMap<string, ActivationQuantizer>, output: ActivationQuantizer): Map<string, ActivationQuantizer> {
  const of = new Map<string, ActivationQuantizer>();
  for (const node of graph.nodes) {
    const quantizer = (node.opType === 'Gemm' || node.opType === 'Conv') && inputs.get(node.inputs[1]);
    if (quantizer) of.set(rangeSource(graph, node.inputs[0]), quantizer);
  }
  of.set(graph.outputs[0].name, output);
  return of;
}

/** A float network fake-quantized as its QDQ int8 model computes; a Layer that train() fine-tunes. */
export class QatNetwork implements Layer {
  readonly kind: string;
  readonly inputDims: readonly number[];

  /** @internal Use qat(). */
  constructor(
    readonly network: Network,
    private readonly inputs: ReadonlyMap<string, ActivationQuantizer>,
    private readonly output: ActivationQuantizer,
    private readonly qdq: Required<QdqOptions>,
    sample: readonly number[],
  ) {
    this.kind = network.kind;
    this.inputDims = sample;
  }

  outputDims(input: readonly number[]): number[] {
    return this.network.outputDims(input);
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    return this.output.forward(this.network.forward(x, mode), mode);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    return this.network.backward(this.output.backward(dy));
  }

  params(): Param[] {
    return this.network.params();
  }

  buffers(): LayerBuffer[] {
    return this.network.buffers();
  }

  /** The float network's nodes (exportOnnx of a QatNetwork is the float model; exportQdq() the quantized one). */
  toOnnx(input: string, output: string) {
    return this.network.toOnnx(input, output);
  }

  /**
   * The learned activation ranges of `graph` (the float network exported), by value name as quantizeQdq takes them.
   * @throws TypeError naming `graph` when it is not a graph; a RangeError while a range is not learned.
   */
  ranges(graph: OnnxGraph): Map<string, [number, number]> {
    checkGraph(graph);
    const ranges = new Map<string, [number, number]>();
    for (const [name, quantizer] of quantizerOf(graph, this.inputs, this.output)) {
      quantizer.grid(); // throws while the range is not learned
      ranges.set(name, [...quantizer.range!]);
    }
    return ranges;
  }

  /**
   * The QDQ int8 model: the float network exported (exportOnnx, with
   * options) and quantized by quantizeQdq with the learned ranges and qat()'s
   * weight and activation options.
   * @throws TypeError/RangeError naming the bad argument or a range not learned yet.
   */
  exportQdq(options: Omit<ExportOptions, 'input'> = {}): OnnxGraph {
    checkObject('options', options);
    const graph = exportOnnx(this.network, { ...options, input: this.inputDims });
    return quantizeQdq(graph, this.ranges(graph), this.qdq);
  }
}

/**
 * Wraps `network`'s Gemm and Conv layers in place for quantization-aware
 * fine-tuning (see the file comment) and returns the network with its
 * output fake-quantized, to train() and exportQdq().
 * @throws TypeError/RangeError naming the bad argument; a RangeError on
 *   `network` when quantizeQdq would quantize an activation QAT does not
 *   model (an input of Add, Mul, GlobalAveragePool, HardSwish or HardSigmoid).
 */
export function qat(network: Network, options: QatOptions = {}): QatNetwork {
  if (!(network instanceof Network)) typeFail('network', 'must be a Network (sequential(), graph())');
  checkObject('options', options);
  const qdq = checkQdqOptions(options);
  const { momentum = 0.01 } = options;
  if (typeof momentum !== 'number') typeFail('options.momentum', `must be a number, got ${typeof momentum}`);
  if (!(momentum > 0 && momentum <= 1)) fail('options.momentum', `must be in (0, 1], got ${momentum}`);
  const { calibration } = options;
  if (calibration !== undefined && (typeof calibration !== 'object' || calibration === null || typeof (calibration as Iterable<Batch>)[Symbol.iterator] !== 'function'))
    typeFail('options.calibration', 'must be an iterable of batches');
  const graph = exportOnnx(network, options.input === undefined ? {} : { input: options.input });
  const sample = options.input ?? network.inputDims!;
  const layers = weightLayers(network.layers());
  if (layers.length === 0) fail('network', 'has no Gemm or Conv layer with a weight param to quantize');
  if (layers.some((l) => wrapped.has(l))) fail('network', 'is already wrapped by qat()');

  const phase: QatPhase = { calibrating: false };
  const inputs = new Map<string, ActivationQuantizer>();
  for (const layer of layers) {
    const input = new ActivationQuantizer(`the input of ${layer.kind} ${layer.weight.name}`, momentum, qdq.symmetricActivations, phase);
    inputs.set(layer.weight.name, input);
  }
  const output = new ActivationQuantizer('the network output', momentum, qdq.symmetricActivations, phase);
  const modeled = quantizerOf(graph, inputs, output);
  for (const name of quantizedActivations(graph))
    if (!modeled.has(rangeSource(graph, name))) fail('network', `has activation '${name}', which quantizeQdq quantizes (an input of ${graph.nodes.find((n) => n.inputs.includes(name))?.opType}) but QAT does not model yet`);

  const quantization: WeightQuantization = { qmax: qdq.reduceRange ? 64 : 127, perChannel: qdq.perChannel };
  for (const layer of layers) {
    const input = inputs.get(layer.weight.name)!;
    const params = new ParamQuantizer(layer, input, quantization, phase);
    const forward = layer.forward.bind(layer), backward = layer.backward.bind(layer);
    layer.forward = (x, mode) => {
      const xq = input.forward(x, mode);
      return params.forward(() => forward(xq, mode));
    };
    layer.backward = (dy) => input.backward(params.backward(() => backward(dy)));
    wrapped.add(layer);
  }
  const result = new QatNetwork(network, inputs, output, qdq, sample);
  if (calibration !== undefined) {
    phase.calibrating = true;
    try {
      let index = 0;
      for (const batch of calibration) {
        checkObject(`options.calibration[${index++}]`, batch);
        result.forward(batch.x, 'eval');
      }
    } finally {
      phase.calibrating = false;
    }
  }
  return result;
}
