/** The compression toolkit's datasets: IDX and CIFAR-10 readers, Fashion-MNIST's locator, normalization, batches and augmentation. */
export { cropFlip, type CropFlip } from './augment.js';
export { Batches, type BatchOptions } from './batches.js';
export { loadCifar10, readCifar10Batch } from './cifar10.js';
export { DataFileError, DatasetNotFoundError } from './data-file.js';
export { channelStats, dataset, normalize, sample, subset, type ChannelStats, type Dataset, type LoadOptions, type Split } from './dataset.js';
export { FASHION_MNIST_DEBIAN_DIRS, FASHION_MNIST_ENV, findFashionMnist, loadFashionMnist, type FashionMnistFiles } from './fashion-mnist.js';
export { readIdx, readIdxDataset } from './idx.js';
