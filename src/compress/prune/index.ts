/** The compression toolkit's pruning: masks on weight arrays, masks kept on trainer params, pruning of ONNX graphs (zeros or removed channels), and per-layer pruning sensitivity. */
export { paramWeight, type WeightArray } from './weight.js';
export {
  applyMask, BLOCK_SHAPES, blockMask, globalBlockMasks, globalMagnitudeMasks, magnitudeMask, nmMask, thresholdMask,
  type BlockOptions, type BlockShape, type GlobalOptions, type NmOptions,
} from './masks.js';
export { maskParam } from './param-mask.js';
export { pruneGraph, type PruneGraphOptions, type PruneMethod, type PrunedLayer } from './graph.js';
export { pruneChannels, type PruneChannelsOptions, type PrunedChannels } from './channels.js';
export { constantSparsity, polynomialSparsity, type PruneDuringTraining, type SparsitySchedule } from './schedule.js';
export {
  chooseSparsities, formatSensitivity, MIN_SENSITIVITY_WEIGHTS, pruneSensitivity,
  type ChooseOptions, type LayerSensitivity, type SensitivityOptions, type SensitivityResult, type SparsityChoice,
} from './sensitivity.js';
