/**
 * The shapes and command line shared by bench:conv:nhwc (float32) and
 * bench:qconv:nhwc (int8): ResNet-18's group-1 windows and the MobileNet
 * stems, the convs the NHWC operator runs without an im2col matrix.
 */
import { parseArgs } from 'node:util';

/** name, [H, W, C], OC, kernel, stride, pad (all sides). */
export type Shape = [string, [number, number, number], number, number, number, number];

export const SHAPES: Shape[] = [
  ['resnet18 stem 7x7/2', [224, 224, 3], 64, 7, 2, 3],
  ['resnet18 l1 3x3', [56, 56, 64], 64, 3, 1, 1],
  ['resnet18 l2 3x3/2', [56, 56, 64], 128, 3, 2, 1],
  ['resnet18 l2 3x3', [28, 28, 128], 128, 3, 1, 1],
  ['resnet18 l2 1x1/2', [56, 56, 64], 128, 1, 2, 0],
  ['resnet18 l3 3x3/2', [28, 28, 128], 256, 3, 2, 1],
  ['resnet18 l3 3x3', [14, 14, 256], 256, 3, 1, 1],
  ['resnet18 l3 1x1/2', [28, 28, 128], 256, 1, 2, 0],
  ['resnet18 l4 3x3/2', [14, 14, 256], 512, 3, 2, 1],
  ['resnet18 l4 3x3', [7, 7, 512], 512, 3, 1, 1],
  ['resnet18 l4 1x1/2', [14, 14, 256], 512, 1, 2, 0],
  ['mobilenetv2-224 stem 3x3/2', [224, 224, 3], 32, 3, 2, 1],
  ['mobilenetv2-96 stem 3x3/2', [96, 96, 3], 32, 3, 2, 1],
  ['mobilenetv3-small stem 3x3/2', [224, 224, 3], 16, 3, 2, 1],
];

/** --quick (400 ms per measurement, else 1500), --threads (1), --batch (1 and 16), --only (a substring of the shape's name). */
export function benchArgs(): { threads: number; budgetMs: number; batches: number[]; only?: string } {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, threads: { type: 'string' }, batch: { type: 'string' }, only: { type: 'string' } },
  });
  return {
    threads: Number(values.threads ?? 1),
    budgetMs: values.quick ? 400 : 1500,
    batches: values.batch ? [Number(values.batch)] : [1, 16],
    only: values.only,
  };
}
