/** Runs a graph on onnxruntime-node and on sparq's InferenceSession with one float32 input, for the pruning tests. */
import * as ort from 'onnxruntime-node';

import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';

export interface Outputs {
  ort: Float32Array;
  sparq: Float32Array;
  /** The sparq session, for its profile(). */
  session: InferenceSession;
}

/** The graph's first output from both runtimes on input `x` of `dims`. */
export async function runBoth(graph: OnnxGraph, x: Float32Array, dims: readonly number[]): Promise<Outputs> {
  const bytes = encodeOnnxModel(graph);
  const [input, output] = [graph.inputs[0].name, graph.outputs[0].name];
  const feeds = { [input]: new ort.Tensor('float32', x, [...dims]) };
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const session = await InferenceSession.create(bytes);
  const [expected, actual] = [await reference.run(feeds), await session.run(feeds)];
  return { ort: expected[output].data as Float32Array, sparq: actual[output].data as Float32Array, session };
}

/** The kernel each named node runs on in `session`. */
export function kernelsOf(session: InferenceSession, nodes: readonly string[]): string[] {
  const profile = session.profile();
  return nodes.map((name) => profile.find((p) => p.node === name)?.kernel ?? `(no node ${name})`);
}
