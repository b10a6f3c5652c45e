/**
 * The one map from operator (ai.onnx op type, or "domain.OpType") to its
 * handler. Session creation checks every node against it and lists all the
 * operators it lacks at once.
 */
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { MATMUL_OPS } from './matmul.js';
import { NORMALIZATION_OPS } from './normalization.js';
import type { OpHandler } from './op.js';
import { POOL_OPS } from './pool.js';
import { QLINEAR_ELEMENTWISE_OPS } from './qlinear-elementwise.js';
import { QUANTIZE_OPS } from './quantize.js';
import { SHAPE_OPS } from './shape.js';

export const OPS: Readonly<Record<string, OpHandler>> = {
  ...CONV_OPS,
  ...ELEMENTWISE_OPS,
  ...MATMUL_OPS,
  ...NORMALIZATION_OPS,
  ...POOL_OPS,
  ...QLINEAR_ELEMENTWISE_OPS,
  ...QUANTIZE_OPS,
  ...SHAPE_OPS,
};
