/**
 * onnxruntime-node for the dev benches: the module itself, imported eagerly
 * (bench/ is not shipped), and the shipped suite's one-node models
 * (src/benchmark/ort-graphs.ts) with sessions on its CPU execution provider.
 */
import * as ort from 'onnxruntime-node';
import type { OnnxGraph } from '../src/runtime/onnx/write.js';
import { ortSession as session } from '../src/benchmark/ort-graphs.js';

export { ort };
export {
  convGraph, dequantizeLinearGraph, matMulGraph, matMulIntegerGraph, qconvGraph, qdqMatMulGraph, qlinearMatMulGraph, quantizeLinearGraph, type QLinearParams,
} from '../src/benchmark/ort-graphs.js';

export function ortSession(graph: OnnxGraph, threads: number): Promise<ort.InferenceSession> {
  return session(ort, graph, threads);
}
