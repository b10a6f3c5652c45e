/** Feeds compare() makes: seeded random ones for a model's inputs, and given ones at another batch. */
import { mulberry32 } from '../../random.js';
import { sizeOf } from '../../tensor.js';
import { checkInt } from '../../validate.js';
import type { OnnxValueInfo, Value } from '../onnx/model.js';
import { ModelError } from '../onnx/model.js';
import type { Feeds } from '../session.js';
import { VALUE_ARRAYS } from '../value.js';

/** `feeds` with their first dim changed to `batch` by repeating rows, or why the model does not allow it. */
export function withBatch(feeds: Feeds, inputs: readonly OnnxValueInfo[], batch: number): Feeds | string {
  const out: Feeds = {};
  for (const info of inputs) {
    const f = feeds[info.name];
    const first = info.dims?.[0];
    if (info.dims === null || info.dims.length === 0 || typeof first === 'number') return `input "${info.name}" has a fixed or no batch dim`;
    if (f.dims[0] === batch) {
      out[info.name] = f;
      continue;
    }
    const rows = f.dims[0];
    if (rows === 0) return `input "${info.name}" has no rows to repeat`;
    const src = f.data as Value['data'];
    const row = src.length / rows;
    const data = new (src.constructor as new (n: number) => Value['data'])(batch * row);
    for (let r = 0; r < batch; r++) data.set(src.subarray((r % rows) * row, (r % rows + 1) * row) as never, r * row);
    out[info.name] = { type: f.type, dims: [batch, ...f.dims.slice(1)], data };
  }
  return out;
}

/**
 * Seeded random feeds for `inputs` (a session's `inputs`): symbolic and
 * unknown dims become `batch`; float32 values are uniform in [0, 1), integer
 * ones small (0..9, so they stay valid as indices or shapes), bool 0 or 1.
 * Inputs without an element type are float32.
 * @throws {ModelError} when an input has no shape in the model.
 * @throws {RangeError} for a bad batch.
 */
export function randomFeeds(inputs: readonly OnnxValueInfo[], { batch = 1, seed = 1 }: { batch?: number; seed?: number } = {}): Record<string, Value> {
  checkInt('batch', batch, 1, 65536);
  const random = mulberry32(seed);
  const feeds: Record<string, Value> = {};
  for (const info of inputs) {
    if (info.dims === null) throw new ModelError(`input "${info.name}" has no shape in the model: give compare() feeds instead`);
    const dims = info.dims.map((d) => (typeof d === 'number' ? d : batch));
    const type = info.type ?? 'float32';
    const n = sizeOf(dims);
    const data = new VALUE_ARRAYS[type](n);
    const high = type === 'bool' ? 2 : 10;
    for (let i = 0; i < n; i++) {
      if (data instanceof Float32Array) data[i] = random();
      else if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor(random() * high));
      else data[i] = Math.floor(random() * high);
    }
    feeds[info.name] = { type, dims, data };
  }
  return feeds;
}
