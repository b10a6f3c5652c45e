/**
 * The trainer's building blocks: a layer runs forward on a batch, keeps what
 * its backward pass needs, and on backward returns the gradient of its
 * input while adding its parameters' gradients into their `grad` arrays
 * (added, not written: a parameter shared by two layers, or a batch split
 * into parts, sums). Activations are float32 tensors; image layers take and
 * give NHWC [N, H, W, C] (im2col's row order, so a conv is one GEMM over the
 * batch's pixels), dense layers [N, F]. Layers run on sparq's own CPU
 * kernels (backends/cpu) and never on data of another layer's lifetime: an
 * output is the layer's to reuse on its next forward, so a caller that keeps
 * one across steps copies it.
 */
import type { OnnxNode } from '../../runtime/onnx/write.js';
import type { Tensor } from '../../tensor.js';

/** A trainable array: its value, the gradient backward passes add into, and an optional pruning mask. */
export interface Param {
  /** Unique within a network ('conv1.weight'); the ONNX initializer's name on import and export. */
  readonly name: string;
  /** ONNX's dims for the value (a conv weight [OC, C/group, KH, KW], a dense weight [out, in], a bias [out]). */
  readonly dims: readonly number[];
  /** In ONNX's layout (dims above), so masks, pruning and export read it as it is. */
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /** 0 where a weight is pruned: optimizers keep those weights at 0 (and their state) through fine-tuning. */
  mask?: Uint8Array;
  /** Whether weight decay applies (weights yes; biases and BatchNorm's scale and shift no). */
  readonly decay: boolean;
}

/** A non-trainable array a layer's ONNX nodes read (BatchNorm's running mean and variance, Dropout's ratio), in ONNX's layout. */
export interface LayerBuffer {
  /** Unique within a network, as a Param's name; the ONNX initializer's name. */
  readonly name: string;
  readonly dims: readonly number[];
  readonly value: Float32Array;
}

/** 'train': dropout drops, BatchNorm uses and updates batch statistics; 'eval': inference behaviour. */
export type Mode = 'train' | 'eval';

export interface Layer {
  /** The layer's kind as ONNX names its node ('Conv', 'Gemm', 'Relu', ...), for export and messages. */
  readonly kind: string;
  /** Output dims for input dims (batch first), validated: a RangeError naming the layer when they do not fit. */
  outputDims(input: readonly number[]): number[];
  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'>;
  /** dL/dx for dL/dy of the last forward (in 'train' mode); adds into the params' grad. */
  backward(dy: Tensor<'float32'>): Tensor<'float32'>;
  /**
   * With needInputGrad false (the network's first layer: nothing reads dL/dx)
   * a layer may skip dx (a stem conv's dcol GEMM and col2im) and return
   * undefined; the params' grads are added all the same.
   */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined;
  params(): Param[];
  /** Arrays besides params() that toOnnx's nodes read, exported as initializers with them (none when absent). */
  buffers?(): LayerBuffer[];
  /**
   * The layer as standard ONNX (NCHW) nodes reading `input` and writing
   * `output`; its params become initializers under their names. Layers
   * whose NHWC order differs from ONNX's (Flatten) export what ONNX computes
   * on the NCHW image, so exported weights need no permutation.
   */
  toOnnx(input: string, output: string): OnnxNode[];
}

/** A training or evaluation batch: NHWC images (or [N, F] features) and their class labels. */
export interface Batch {
  readonly x: Tensor<'float32'>;
  readonly labels: Uint8Array;
}

/** A Param with a zero gradient. */
export function param(name: string, dims: readonly number[], value: Float32Array, decay: boolean): Param {
  return { name, dims: [...dims], value, grad: new Float32Array(value.length), decay };
}
