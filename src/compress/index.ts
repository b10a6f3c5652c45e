/**
 * sparq's compression toolkit (the package's `compress` namespace): data
 * loaders, a trainer on sparq's kernels, pruning, calibration and int8
 * quantization of ONNX graphs, distillation, ONNX export, and the report of
 * each step (accuracy, size, sparsity, speed against onnxruntime). Graph
 * steps take and give `OnnxGraph`s (runtime/onnx/write.ts):
 * `encodeOnnxModel` turns one into the bytes InferenceSession and
 * onnxruntime load.
 */
export * from './data/index.js';
export * from './train/index.js';
export * from './prune/index.js';
export { calibrate, CALIBRATION_METHODS, type CalibrateOptions, type CalibrationFeed, type CalibrationMethod } from './calibrate.js';
export { quantizeQdq, quantizedActivations, quantizedWeights, type QdqOptions } from './quantize-qdq.js';
export { quantize, type QuantizeOptions, type QuantizeResult } from './quantize/quantize.js';
export { foldBatchNorm } from './quantize/fold-batch-norm.js';
export { clipWeights, type ClipWeightsOptions } from './quantize/clip-weights.js';
export type { Range } from './quantize/ranges.js';
export { distill, type DistillOptions } from './distill.js';
export * from './report/index.js';
export { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../runtime/onnx/write.js';
export { seedCnn, type SeedCnnOptions } from './seed-cnn.js';
export * from './pipeline.js';
