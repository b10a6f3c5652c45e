/** ONNX import of MaxPool, AveragePool and GlobalAveragePool nodes into the trainer's pool layers (ModelError for what they do not run). */
import { ModelError } from '../../../runtime/onnx/model.js';
import type { Attributes } from '../../../runtime/ops/op.js';
import type { Importer } from '../import-context.js';
import { importedWindow } from './conv-onnx.js';
import { AveragePool, MaxPool, type PoolOptions } from './pool.js';
import { GlobalAveragePool } from './pool-global.js';

/** The pool's window, refusing ceil_mode and dilations. */
function poolWindow(attributes: Attributes): PoolOptions {
  const kernel = attributes.ints('kernel_shape');
  if (!kernel) throw new ModelError('attribute kernel_shape is required');
  if (attributes.int('ceil_mode', 0) !== 0) throw new ModelError('ceil_mode 1 is not supported by the trainer');
  const { dilations, ...window } = importedWindow(attributes, kernel);
  if (dilations?.some((d) => d !== 1)) throw new ModelError('dilated pools are not supported by the trainer');
  return window;
}

const nameOf = (node: { name: string; outputs: readonly string[] }) => node.name || node.outputs[0];

export const importMaxPool: Importer = ({ node, attributes }) => {
  if (node.outputs.length > 1 && node.outputs[1] !== '') throw new ModelError('the Indices output is not supported by the trainer');
  if (attributes.int('storage_order', 0) !== 0) throw new ModelError('storage_order 1 is not supported by the trainer');
  return new MaxPool(nameOf(node), poolWindow(attributes));
};

export const importAveragePool: Importer = ({ node, attributes }) =>
  new AveragePool(nameOf(node), { ...poolWindow(attributes), countIncludePad: attributes.int('count_include_pad', 0) !== 0 });

export const importGlobalAveragePool: Importer = ({ node }) => new GlobalAveragePool(nameOf(node));
