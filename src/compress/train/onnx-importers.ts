/**
 * The ONNX ops importOnnx turns into layers, op type -> importer. Add, the
 * merge of two activations, and Constant are the network's own; every other
 * op a trainable model uses is a layer with an entry here.
 */
import type { Importer } from './import-context.js';
import { importActivation } from './layers/activation.js';
import { importBatchNorm } from './layers/batchnorm.js';
import { importConv } from './layers/conv-onnx.js';
import { importDense } from './layers/dense.js';
import { importDropout } from './layers/dropout.js';
import { importFlatten } from './layers/flatten.js';
import { importAveragePool, importGlobalAveragePool, importMaxPool } from './layers/pool-onnx.js';

export const IMPORTERS: ReadonlyMap<string, Importer> = new Map<string, Importer>([
  ['Gemm', importDense],
  ['Relu', importActivation],
  ['Clip', importActivation],
  ['HardSigmoid', importActivation],
  ['HardSwish', importActivation],
  ['Sigmoid', importActivation],
  ['Flatten', importFlatten],
  ['Dropout', importDropout],
  ['BatchNormalization', importBatchNorm],
  ['Conv', importConv],
  ['MaxPool', importMaxPool],
  ['AveragePool', importAveragePool],
  ['GlobalAveragePool', importGlobalAveragePool],
]);
