/**
 * The CIFAR-10 CNN (3x32x32 images, the toolkit's seed CNN: conv 32-64-64,
 * dense 64) in the four forms the bench suite times: fp32, int8 (QDQ,
 * per-channel weights), 90% block-pruned fp32 and the same quantized.
 * Its weights are seeded, not trained (no CIFAR-10 ships with the package),
 * so it measures speed and agreement, not accuracy.
 */
import { quantize } from '../compress/quantize/quantize.js';
import { pruneGraph } from '../compress/prune/graph.js';
import { seedCnn } from '../compress/seed-cnn.js';
import { exportOnnx } from '../compress/train/onnx.js';
import { encodeOnnxModel, type OnnxGraph } from '../runtime/onnx/write.js';
import { seededImages } from './images.js';

export interface CnnForm {
  form: string;
  precision: 'fp32' | 'int8';
  bytes: Uint8Array;
}

export const CIFAR_IMAGE: readonly [number, number, number] = [3, 32, 32];

/** Calibration: two batches of 16 seeded images. */
const calibrationFeeds = () => [1, 2].map((seed) => ({ input: { type: 'float32', dims: [16, ...CIFAR_IMAGE], data: seededImages(16, CIFAR_IMAGE, seed) } }));

/**
 * The four forms, pruned before quantized so the zeros stay zeros. Blocks
 * are [4 output x 4 input channels], what sparq's int8 block kernels
 * skip (and [4 x 1] blocks of the float ones); the first conv (3 input
 * channels: no whole block) and the classifier stay dense.
 */
export async function cifarCnnForms(): Promise<CnnForm[]> {
  const [c, h, w] = CIFAR_IMAGE;
  const dense = exportOnnx(seedCnn({ input: [h, w, c] }));
  const pruned = pruneGraph(dense, { method: 'block', sparsity: 0.9, block: 'int8' }).graph;
  const int8 = async (g: OnnxGraph) => (await quantize(g, calibrationFeeds())).graph;
  return [
    { form: 'fp32', precision: 'fp32', bytes: encodeOnnxModel(dense) },
    { form: 'int8', precision: 'int8', bytes: encodeOnnxModel(await int8(dense)) },
    { form: 'fp32 90% blocks', precision: 'fp32', bytes: encodeOnnxModel(pruned) },
    { form: 'int8 90% blocks', precision: 'int8', bytes: encodeOnnxModel(await int8(pruned)) },
  ];
}
