/**
 * top1Accuracy(): a model's top-1 accuracy on a dataset in sparq's session
 * alone (reportModel() also runs onnxruntime): what the pruning sensitivity
 * scan and the bench suite's accuracy part measure.
 */
import { InferenceSession } from '../../runtime/session.js';
import { checkInt, checkObject, typeFail } from '../../validate.js';
import { checkDataset, type Dataset } from '../data/dataset.js';
import { imageFeeds, imageModelIo, topClasses } from './feeds.js';

export interface AccuracyOptions {
  /** sparq's CPU threads (cpu.setThreads; default: the count in force). */
  threads?: number;
  /** Images per run (default 500). */
  batch?: number;
}

/**
 * The fraction of `data`'s images whose top-1 class `model` (a path or ONNX
 * bytes; one NCHW image input, logits [N, classes] as its first output)
 * gets right, run in sparq's CPU session.
 * @throws TypeError/RangeError naming the bad argument; the session's errors for a model it cannot load or run.
 */
export async function top1Accuracy(model: string | Uint8Array, data: Dataset, options: AccuracyOptions = {}): Promise<number> {
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) typeFail('model', 'must be a path or the bytes of an ONNX model');
  checkDataset('data', data);
  checkObject('options', options);
  const threads = options.threads === undefined ? undefined : checkInt('options.threads', options.threads, 1, 256);
  const batch = checkInt('options.batch', options.batch ?? 500, 1, 65536);
  const session = await InferenceSession.create(model, threads === undefined ? {} : { threads });
  try {
    const [n, h, w, c] = data.dims;
    const io = imageModelIo(session, [h, w, c], 'model');
    const classes = new Uint8Array(n);
    for (const { first, rows, feeds } of imageFeeds(data, batch, io.input)) topClasses(session.runSync(feeds)[io.output], rows, classes, first, 'model');
    let right = 0;
    for (let i = 0; i < n; i++) if (classes[i] === data.labels[i]) right++;
    return n === 0 ? 0 : right / n;
  } finally {
    await session.release();
  }
}
