/**
 * Quantization-aware fine-tuning: qat(network) makes a trained float
 * network compute what its QDQ int8 model (quantizeQdq) will compute, so
 * that train() can fine-tune it against the rounding post-training
 * quantization alone would suffer. Every activation quantizeQdq quantizes
 * (the inputs of Gemm, Conv, MaxPool and Flatten, all inputs of Add, Mul,
 * GlobalAveragePool, HardSwish and HardSigmoid, the network output) is
 * fake-quantized to uint8 once, where it is made (./activation-sites.ts),
 * so that every reader sees the values the QDQ model's DequantizeLinear
 * gives. Every layer of kind Gemm or Conv with a `weight` param (and
 * optional `bias`) runs on its weight fake-quantized to symmetric int8 with
 * quantizeQdq's scales (max|w| per output channel on axis 0, or per tensor,
 * / 127, or / 64 with reduceRange) and its bias to int32 at input scale *
 * weight scale. The quantized values are written
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
import { checkGraph, checkQdqOptions, quantizeQdq, type QdqOptions, type WeightQuantization } from '../../quantize-qdq.js';
import type { Batch, Layer, LayerBuffer, Mode, Param } from '../layer.js';
import { Network } from '../network.js';
import { exportOnnx, type ExportOptions } from '../onnx.js';
import { ActivationQuantizer, type QatPhase } from './activation-quantizer.js';
import { activationSites, layersUnder, rangeSource, recordValueNames, siteValue, type LayerValues, type Site } from './activation-sites.js';
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

/** An activation's quantizer and where it sits. */
interface Placed {
  readonly site: Site;
  readonly quantizer: ActivationQuantizer;
}

/** What a layer's wrapper does: fake-quantize its input or output, run it on fake-quantized params. */
interface Wrapping {
  input?: ActivationQuantizer;
  output?: ActivationQuantizer;
  params?: ParamQuantizer;
}

/**
 * Replaces the layer's forward and backward with ones that fake-quantize
 * around it; backward passes needInputGrad on (a first layer skips dx).
 */
function wrap(layer: Layer, { input, output, params }: Wrapping): void {
  const forward = layer.forward.bind(layer), backward = layer.backward.bind(layer);
  layer.forward = (x, mode) => {
    const xq = input ? input.forward(x, mode) : x;
    const y = params ? params.forward(() => forward(xq, mode)) : forward(xq, mode);
    return output ? output.forward(y, mode) : y;
  };
  layer.backward = ((dy: Tensor<'float32'>, needInputGrad: boolean = true) => {
    const g = output ? output.backward(dy) : dy;
    const dx = params ? params.backward(() => backward(g, needInputGrad)) : backward(g, needInputGrad);
    return dx && input ? input.backward(dx) : dx;
  }) as Layer['backward'];
}

/** A float network fake-quantized as its QDQ int8 model computes; a Layer that train() fine-tunes. */
export class QatNetwork implements Layer {
  readonly kind: string;
  readonly inputDims: readonly number[];
  private readonly input: ActivationQuantizer | undefined;
  private readonly output: ActivationQuantizer;

  /** @internal Use qat(). */
  constructor(
    readonly network: Network,
    private readonly placed: readonly Placed[],
    private readonly names: ReadonlyMap<Layer, LayerValues>,
    private readonly qdq: Required<QdqOptions>,
    sample: readonly number[],
  ) {
    this.kind = network.kind;
    this.inputDims = sample;
    this.input = placed.find((p) => p.site.at === 'network input')?.quantizer;
    this.output = placed.find((p) => p.site.at === 'network output')!.quantizer;
  }

  outputDims(input: readonly number[]): number[] {
    return this.network.outputDims(input);
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const xq = this.input ? this.input.forward(x, mode) : x;
    return this.output.forward(this.network.forward(xq, mode), mode);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'>;
  /** needInputGrad false: the network's first layers skip their input gradient, and the result is undefined. */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined;
  backward(dy: Tensor<'float32'>, needInputGrad = true): Tensor<'float32'> | undefined {
    const dx = this.network.backward(this.output.backward(dy), needInputGrad);
    return dx && this.input ? this.input.backward(dx) : dx;
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
   * The learned activation ranges of `graph` (the float network exported, under any input and output names), by value name as quantizeQdq takes them.
   * @throws TypeError naming `graph` when it is not a graph; a RangeError while a range is not learned.
   */
  ranges(graph: OnnxGraph): Map<string, [number, number]> {
    checkGraph(graph);
    if (graph.inputs.length !== 1 || graph.outputs.length !== 1) fail('graph', 'must be the network exported, with one input and one output');
    this.network.toOnnx(graph.inputs[0].name, graph.outputs[0].name); // records the inner value names of that export
    const ranges = new Map<string, [number, number]>();
    for (const { site, quantizer } of this.placed) {
      quantizer.grid(); // throws while the range is not learned
      ranges.set(siteValue(site, graph, this.names), [...quantizer.range!]);
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
 * Wraps `network`'s layers in place for quantization-aware fine-tuning (see
 * the file comment) and returns the network with its input and output
 * fake-quantized, to train() and exportQdq().
 * @throws TypeError/RangeError naming the bad argument; a RangeError on
 *   `network` when quantizeQdq would quantize an activation QAT does not
 *   model (an Add's output read by another Add or several layers within one
 *   network, see ./activation-sites.ts).
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
  const sample = options.input ?? network.inputDims!;
  const layers = weightLayers(network.layers());
  if (layers.length === 0) fail('network', 'has no Gemm or Conv layer with a weight param to quantize');
  if ([network, ...layersUnder(network)].some((l) => wrapped.has(l))) fail('network', 'is already wrapped by qat()');

  const names = recordValueNames(network);
  const graph = exportOnnx(network, options.input === undefined ? {} : { input: options.input });
  const phase: QatPhase = { calibrating: false };
  const quantizers = new Map<string, ActivationQuantizer>();
  const placed: Placed[] = [];
  for (const [value, site] of activationSites(network, graph, names)) {
    const quantizer = new ActivationQuantizer(`activation '${value}'`, momentum, qdq.symmetricActivations, phase);
    quantizers.set(value, quantizer);
    placed.push({ site, quantizer });
  }
  const wrappings = new Map<Layer, Wrapping>();
  const wrappingOf = (layer: Layer): Wrapping => wrappings.get(layer) ?? wrappings.set(layer, {}).get(layer)!;
  for (const { site, quantizer } of placed) if ('layer' in site) wrappingOf(site.layer)[site.at] = quantizer;
  const quantization: WeightQuantization = { qmax: qdq.reduceRange ? 64 : 127, perChannel: qdq.perChannel };
  for (const layer of layers) {
    const input = quantizers.get(rangeSource(graph, names.get(layer)!.input))!;
    wrappingOf(layer).params = new ParamQuantizer(layer, input, quantization, phase);
  }
  for (const [layer, wrapping] of wrappings) wrap(layer, wrapping);
  for (const layer of [network, ...layersUnder(network)]) wrapped.add(layer);
  const result = new QatNetwork(network, placed, names, qdq, sample);
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
