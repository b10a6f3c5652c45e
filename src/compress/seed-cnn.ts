/**
 * The toolkit's built-in CNN: conv 32-64-64 (3x3, unpadded), 2x2 max pools
 * after the first two, dense 64, 10 classes, with ReLUs. On Fashion-MNIST
 * (28x28x1) it is the seed CNN; on CIFAR-10 (32x32x3) it is the
 * classic CIFAR-10 CNN the runtime's tests and benches run
 * (test/fixtures/cifar-cnn.ts). Its layers are named conv1..conv3, fc1, fc2
 * (the exported nodes and initializers), and each seeds its weights from
 * its name, so the same call builds the same network.
 */
import { checkDims, checkInt, checkObject, fail } from '../validate.js';
import { checkNumber } from './train/layers/common.js';
import { conv2d } from './train/layers/conv2d.js';
import { dense } from './train/layers/dense.js';
import { flatten } from './train/layers/flatten.js';
import { relu } from './train/layers/activation.js';
import { maxPool } from './train/layers/pool.js';
import { sequential, type Network } from './train/network.js';

export interface SeedCnnOptions {
  /** One image's [H, W, C] (NHWC): [28, 28, 1] for Fashion-MNIST, [32, 32, 3] for CIFAR-10. */
  input: readonly [number, number, number];
  /** Channels and units scaled by this, rounded (default 1: conv 32-64-64, dense 64; 0.5 is the example's student). */
  width?: number;
  /** Outputs of the last layer (default 10). */
  classes?: number;
}

/** The side after conv 3x3, pool, conv 3x3, pool, conv 3x3 (unpadded, pools 2x2 at stride 2, floor). */
const sideAfterStack = (side: number) => Math.floor((Math.floor((side - 2) / 2) - 2) / 2) - 2;

/**
 * The built-in CNN for images of options.input.
 * @throws TypeError/RangeError naming the bad option (images too small for the stack included).
 */
export function seedCnn(options: SeedCnnOptions): Network {
  checkObject('options', options);
  const [h, w, c] = checkDims('options.input', options.input, 3);
  const width = checkNumber('options.width', options.width ?? 1, 0, 16);
  if (width === 0) fail('options.width', 'must be in (0, 16], got 0');
  const classes = checkInt('options.classes', options.classes ?? 10, 2, 2 ** 16);
  const [c1, c2, c3, d] = [32, 64, 64, 64].map((n) => Math.max(1, Math.round(n * width)));
  const [sh, sw] = [sideAfterStack(h), sideAfterStack(w)];
  if (sh < 1 || sw < 1) fail('options.input', `must be at least 18 x 18 (three 3x3 convs and two 2x2 pools leave nothing of less), got [${h}, ${w}, ${c}]`);
  const pool = () => maxPool({ kernelShape: [2, 2], strides: [2, 2] });
  return sequential(
    [
      conv2d(c, c1, { kernelShape: [3, 3], name: 'conv1' }), relu(), pool(),
      conv2d(c1, c2, { kernelShape: [3, 3], name: 'conv2' }), relu(), pool(),
      conv2d(c2, c3, { kernelShape: [3, 3], name: 'conv3' }), relu(), flatten(),
      dense(sh * sw * c3, d, { name: 'fc1' }), relu(), dense(d, classes, { name: 'fc2' }),
    ],
    { input: [h, w, c] },
  );
}
