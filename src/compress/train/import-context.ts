/**
 * What an ONNX importer gets for one node: its attributes (with ONNX's
 * defaults, a ModelError on a wrong kind), the constants its other inputs
 * name (initializers and Constant nodes), and the initializers as
 * trainable params or buffers. Importers throw ModelError for what they do
 * not cover; importOnnx names the node.
 */
import type { Attributes } from '../../runtime/ops/op.js';
import type { OnnxNode, Value } from '../../runtime/onnx/model.js';
import type { Layer, LayerBuffer, Param } from './layer.js';

export interface ImportContext {
  readonly node: OnnxNode;
  readonly attributes: Attributes;
  /** The initializer or Constant output `name`, or undefined for an activation or an omitted input (''). */
  constant(name: string): Value | undefined;
  /**
   * The float32 initializer `name` as a trainable param (one Param per name:
   * two nodes reading one initializer share it), holding a copy of its data
   * or `value` where the layer keeps it in another layout (a Gemm weight
   * given with transB = 0 is stored transposed).
   */
  param(name: string, decay: boolean, value?: { dims: readonly number[]; data: Float32Array }): Param;
  /** The float32 initializer `name` copied as a non-trainable buffer. */
  buffer(name: string): LayerBuffer;
}

/** A layer for the node, reading its first input (the activation) and writing its first output. */
export type Importer = (ctx: ImportContext) => Layer;
