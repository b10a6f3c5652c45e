/**
 * The runtimes a served model runs on, behind one interface: sparq's
 * InferenceSession, or onnxruntime-node's (the baseline the load test serves
 * through the same server code). Both read the model's inputs and outputs
 * from the ONNX file as sparq's loader reads them.
 */
import type { Limits } from '../limits.js';
import { loadOrt, ortSessionOptions, toOrt } from '../runtime/compare/ort.js';
import { loadOnnx } from '../runtime/onnx/read.js';
import { InferenceSession } from '../runtime/session.js';
import { fromTensor } from '../runtime/value.js';
import type { ModelSpec, Tensors } from './model-spec.js';

export type RuntimeName = 'sparq' | 'onnxruntime';

export interface RunnerOptions {
  runtime: RuntimeName;
  backend: 'cpu' | 'webgpu';
  /** Kernel (intra-op) threads. */
  threads: number;
  /** The sparq sessions' size limits (InferenceSession options.limits). */
  limits: Partial<Limits>;
}

export interface Runner {
  inputs: ModelSpec['inputs'];
  outputs: ModelSpec['outputs'];
  run(inputs: Tensors): Promise<Tensors>;
  release(): Promise<void>;
}

export async function openRunner(file: string, options: RunnerOptions): Promise<Runner> {
  if (options.runtime === 'sparq') {
    const session = await InferenceSession.create(file, { backend: options.backend, threads: options.threads, limits: options.limits });
    return { inputs: session.inputs, outputs: session.outputs, run: (feeds) => session.run(feeds), release: () => session.release() };
  }
  const { graph } = await loadOnnx(file);
  // Models before IR 4 list their initializers among the inputs; they are not fed.
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  const outputs = graph.outputs;
  const ort = await loadOrt("sparq serve's --runtime onnxruntime");
  const session = await ort.InferenceSession.create(file, { ...ortSessionOptions(options.threads), executionProviders: [options.backend] });
  return {
    inputs,
    outputs,
    async run(feeds) {
      const result = await session.run(toOrt(ort, feeds));
      return Object.fromEntries(Object.entries(result).map(([name, t]) => [name, fromTensor(t)]));
    },
    release: () => session.release(),
  };
}
