/**
 * The ceiling a server is measured against: the same model run in-process
 * on batches of 64 images through each runtime's InferenceSession.run, on
 * the same threads, as images per second at the median batch time. A server
 * that batches single-image requests perfectly and costs nothing reaches it.
 */
import { CIFAR_IMAGE } from '../../src/benchmark/cifar-cnn-forms.js';
import { seededImages } from '../../src/benchmark/images.js';
import { timeCalls } from '../../src/benchmark/timing.js';
import { ortSessionOptions } from '../../src/runtime/compare/ort.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { checkInt, checkOneOf, fail } from '../../src/validate.js';
import { ort } from '../ort-models.js';
import { RUNTIMES, type Runtime } from './server-process.js';

export interface InProcessThroughput {
  /** Images per batch. */
  batch: number;
  /** Median milliseconds per run of one batch. */
  batchMs: number;
  imagesPerSecond: number;
}

/** The model's only input's name (what requests must name). */
export async function inputName(bytes: Uint8Array): Promise<string> {
  const session = await InferenceSession.create(bytes);
  try {
    if (session.inputNames.length !== 1) fail('bytes', `must hold a one-input model (the benches send one image); this one has inputs ${session.inputNames.join(', ')}`);
    return session.inputNames[0];
  } finally {
    await session.release();
  }
}

/** Times `runtime`'s InferenceSession.run on `batch` seeded images of the CIFAR CNN in `bytes`, for `budgetMs` after one warm-up run. */
export async function inProcessThroughput(bytes: Uint8Array, runtime: Runtime, { threads, batch, budgetMs }: { threads: number; batch: number; budgetMs: number }): Promise<InProcessThroughput> {
  checkOneOf('runtime', runtime, RUNTIMES);
  checkInt('batch', batch, 1, 1 << 16);
  const dims = [batch, ...CIFAR_IMAGE];
  const pixels = seededImages(batch, CIFAR_IMAGE, 1);
  let stats;
  if (runtime === 'sparq') {
    const session = await InferenceSession.create(bytes, { threads });
    const feeds = { [session.inputNames[0]]: { type: 'float32', dims, data: pixels } };
    stats = await timeCalls(() => session.run(feeds), { budgetMs });
    await session.release();
  } else {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], ...ortSessionOptions(threads) });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, dims) };
    stats = await timeCalls(() => session.run(feeds), { budgetMs });
    await session.release();
  }
  return { batch, batchMs: stats.p50Ms, imagesPerSecond: (batch * 1000) / stats.p50Ms };
}
