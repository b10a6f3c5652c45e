/** Checks a session.run() feed against the model's input, as onnxruntime does: present, its type, its rank and fixed dims. */
import { sizeOf } from '../tensor.js';
import { checkTensorBytes } from '../limits.js';
import { fail, typeFail } from '../validate.js';
import type { OnnxValueInfo, Value } from './onnx/model.js';
import { VALUE_ARRAYS } from './value.js';

export function checkFeed(info: OnnxValueInfo, feed: unknown): Value {
  const name = `feeds["${info.name}"]`;
  if (feed === undefined) typeFail('feeds', `is missing input "${info.name}"`);
  if (typeof feed !== 'object' || feed === null) typeFail(name, 'must be a tensor ({ type, dims, data })');
  const { type, dims, data } = feed as { type: unknown; dims: unknown; data: unknown };
  if (typeof type !== 'string' || !(type in VALUE_ARRAYS)) typeFail(`${name}.type`, `must be one of ${Object.keys(VALUE_ARRAYS).join(', ')}, got ${String(type)}`);
  const t = type as Value['type'];
  if (info.type !== null && t !== info.type) typeFail(name, `must be ${info.type}, got ${t}`);
  if (!(data instanceof VALUE_ARRAYS[t])) typeFail(`${name}.data`, `must be a ${VALUE_ARRAYS[t].name} for type ${t}`);
  if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) typeFail(`${name}.dims`, 'must be an array of non-negative integers');
  const d = dims as number[];
  if (info.dims !== null) {
    if (d.length !== info.dims.length) fail(`${name}.dims`, `must have rank ${info.dims.length}, got [${d}]`);
    info.dims.forEach((expected, i) => {
      if (typeof expected === 'number' && expected !== d[i]) fail(`${name}.dims`, `[${d}] does not match the model's [${info.dims!.map((x) => x ?? '?')}] at axis ${i}`);
    });
  }
  const values = data as Value['data'];
  checkTensorBytes(name, values.byteLength);
  if (values.length !== sizeOf(d)) fail(`${name}.data`, `holds ${values.length} values but dims [${d}] need ${sizeOf(d)}`);
  return { type: t, dims: [...d], data: values };
}
