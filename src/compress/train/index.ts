/**
 * The trainer's public surface: layers, networks, loss, optimizers,
 * schedules, the loop and ONNX in/out. Training data is NHWC ([N, H, W, C]
 * images, [N, F] features: what im2col and the dense GEMMs read without
 * transposes); exported models take ONNX's NCHW [N, C, H, W].
 */
export type { Batch, Layer, LayerBuffer, Mode, Param } from './layer.js';
export { param } from './layer.js';
export { Activation, clip, hardSigmoid, hardSwish, relu, relu6, sigmoid } from './layers/activation.js';
export { BatchNorm, batchNorm, type BatchNormOptions } from './layers/batchnorm.js';
export { Conv2d, conv2d, type Conv2dOptions, type ConvInitOptions } from './layers/conv2d.js';
export { DepthwiseConv2d, depthwiseConv2d } from './layers/conv-depthwise.js';
export { Dense, dense, type DenseOptions } from './layers/dense.js';
export { Dropout, dropout } from './layers/dropout.js';
export { Flatten, flatten } from './layers/flatten.js';
export { AveragePool, averagePool, MaxPool, maxPool, type AveragePoolOptions, type PoolOptions } from './layers/pool.js';
export { GlobalAveragePool, globalAveragePool } from './layers/pool-global.js';
export type { WindowOptions } from './layers/conv-window.js';
export { graph, Network, NetworkBuilder, residual, sequential, type NetworkOptions, type NetworkValue } from './network.js';
export { softmaxCrossEntropy, type LossResult, type SoftTargets } from './loss.js';
export { adam, sgd, type AdamOptions, type Optimizer, type SgdOptions } from './optimizer.js';
export { constantLr, cosineLr, stepLr, warmupLr, type Schedule } from './schedule.js';
export { Random, type Init } from './random.js';
export { evaluate, train, type EpochResult, type Evaluation, type TrainOptions } from './train.js';
export { progressLine, type Progress, type ProgressOption } from './progress.js';
export { exportOnnx, importOnnx, type ExportOptions } from './onnx.js';
export { IMPORTERS } from './onnx-importers.js';
export type { ImportContext, Importer } from './import-context.js';
export { qat, QatNetwork, type QatOptions } from './qat/qat.js';
