/**
 * Fashion-MNIST (Zalando's 70000 28x28 grey images of clothes, 10 classes)
 * from its four IDX files, gzipped as distributed or unpacked. Debian's
 * package dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { checkObject } from '../../validate.js';
import { checkPath, DatasetNotFoundError } from './data-file.js';
import { checkLoadOptions, normalizeSplit, type LoadOptions, type Split } from './dataset.js';
import { readIdxDataset } from './idx.js';

/** The environment variable naming a directory that holds the files. */
export const FASHION_MNIST_ENV = 'SPARQ_FASHION_MNIST';
/** Where Debian's dataset-fashion-mnist installs the files. */
export const FASHION_MNIST_DEBIAN_DIRS: readonly string[] = ['/usr/share/datasets/fashion-mnist'];

const FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The four files' paths. */
export type FashionMnistFiles = { readonly [K in keyof typeof FILE_NAMES]: string };

const INSTALL_HINT =
  'Install it with `sudo apt-get install dataset-fashion-mnist` (Debian, Ubuntu), or download the four *-ubyte.gz files from ' +
  `https://github.com/zalandoresearch/fashion-mnist and give their directory as options.path or in ${FASHION_MNIST_ENV}.`;

/**
 * Where Fashion-MNIST's files are. A directory given as options.path, else
 * in the SPARQ_FASHION_MNIST environment variable, is the one place looked
 * (naming a place that lacks the files is an error, not a reason to look
 * elsewhere); with neither, Debian's install directory. Each file is taken
 * gzipped (name.gz) or else unpacked (name).
 * @throws {DatasetNotFoundError} saying where it looked, what was missing there and how to install the files.
 * @throws TypeError naming options.path when it is not a non-empty string.
 */
export function findFashionMnist(options: { readonly path?: string } = {}): FashionMnistFiles {
  checkObject('options', options);
  const path = options.path === undefined ? undefined : checkPath('options.path', options.path);
  return lookUp(path, process.env[FASHION_MNIST_ENV], FASHION_MNIST_DEBIAN_DIRS);
}

/** findFashionMnist()'s search, given the path option, the environment variable's value and the install directories. */
export function lookUp(path: string | undefined, fromEnv: string | undefined, installDirs: readonly string[]): FashionMnistFiles {
  if (path !== undefined) return filesIn(path, 'options.path');
  if (fromEnv) return filesIn(fromEnv, `$${FASHION_MNIST_ENV}`);
  const looked: string[] = [];
  for (const dir of installDirs) {
    const files = findFiles(dir);
    if (!Array.isArray(files)) return files;
    looked.push(`${dir} ${whyNot(dir, files)}`);
  }
  throw new DatasetNotFoundError(
    `Fashion-MNIST not found: no options.path given, $${FASHION_MNIST_ENV} not set, and Debian's install directory does not hold it: ${looked.join('; ')}. ${INSTALL_HINT}`,
  );
}

/**
 * Fashion-MNIST's 60000 training and 10000 test images (28x28x1, NHWC),
 * from where findFashionMnist() finds them.
 * @throws {DatasetNotFoundError} as findFashionMnist().
 * @throws {DataFileError} naming a file that is truncated, damaged or not the IDX it should be.
 * @throws TypeError/RangeError naming a bad option.
 */
export function loadFashionMnist(options: LoadOptions & { readonly path?: string } = {}): Split {
  const normalization = checkLoadOptions(options, 1);
  const files = findFashionMnist({ path: options.path });
  return normalizeSplit(readIdxDataset(files.trainImages, files.trainLabels), readIdxDataset(files.testImages, files.testLabels), normalization);
}

/** The files in `dir` (named `source` in the error), or a DatasetNotFoundError saying why not. */
function filesIn(dir: string, source: string): FashionMnistFiles {
  const files = findFiles(dir);
  if (!Array.isArray(files)) return files;
  throw new DatasetNotFoundError(`Fashion-MNIST not found: ${source} = ${dir} ${whyNot(dir, files)}. ${INSTALL_HINT}`);
}

/** Why `dir` does not hold the files: it does not exist, is not a directory, or lacks the `missing` ones. */
function whyNot(dir: string, missing: readonly string[]): string {
  if (!existsSync(dir)) return 'does not exist';
  return statSync(dir).isDirectory() ? `lacks ${missing.join(', ')}` : 'is not a directory';
}

/** The four files in `dir` (name.gz before name), or the names of those missing. */
function findFiles(dir: string): FashionMnistFiles | string[] {
  const found: Partial<Record<keyof FashionMnistFiles, string>> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(FILE_NAMES) as [keyof FashionMnistFiles, string][]) {
    const path = [join(dir, `${name}.gz`), join(dir, name)].find((p) => existsSync(p));
    if (path === undefined) missing.push(`${name}[.gz]`);
    else found[key] = path;
  }
  return missing.length > 0 ? missing : (found as FashionMnistFiles);
}
