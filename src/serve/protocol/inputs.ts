/** A request's input tensors checked against the model's inputs, as session.run() checks its feeds, answered as 400s. */
import { checkFeed } from '../../runtime/feeds.js';
import type { OnnxValueInfo } from '../../runtime/onnx/model.js';
import { RequestError, type ModelSpec, type Tensors } from '../model-spec.js';

/** `inputs` if it names each of the model's inputs once, with its type, rank, fixed dims and size; symbolic dims take any size. */
export function checkInputs(spec: ModelSpec, inputs: Tensors): Tensors {
  for (const name of Object.keys(inputs)) modelInput(spec, name);
  const checked: Tensors = {};
  for (const info of spec.inputs) {
    try {
      checked[info.name] = checkFeed(info, Object.hasOwn(inputs, info.name) ? inputs[info.name] : undefined);
    } catch (e) {
      // checkFeed names the argument of session.run(); the client knows them as inputs.
      if (e instanceof TypeError || e instanceof RangeError) throw new RequestError(e.message.replace(/^feeds/, 'inputs'));
      throw e;
    }
  }
  return checked;
}

/** The model's input called `name`, or a 400 listing the names it takes. */
export function modelInput(spec: ModelSpec, name: string): OnnxValueInfo {
  const info = spec.inputs.find((i) => i.name === name);
  if (info === undefined) throw new RequestError(`unknown input "${name}": model "${spec.name}" takes ${names(spec.inputs)}`);
  return info;
}

/** '"a", "b"': the names a client may use, for messages that refuse another. */
export function names(infos: readonly { name: string }[]): string {
  return infos.map((info) => `"${info.name}"`).join(', ');
}
