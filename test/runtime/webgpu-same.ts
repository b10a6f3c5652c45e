/** One-node models run on the CPU and on a WebGPU session, compared. */
import assert from 'node:assert/strict';

import type { WebGpuBackend } from '../../src/backends/webgpu/backend.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { relativeError } from '../helpers.js';
import { nodeGraph, type NodeTest } from './ort-compare.js';

/**
 * Runs the one-node model of `test` on the CPU and on WebGPU: the same
 * outputs (float32 within `rtol` of the largest value, the rest exactly);
 * returns the kernel label the GPU session's node ran.
 */
export async function sameAsCpu(gpu: WebGpuBackend, test: NodeTest, rtol = 1e-5): Promise<string> {
  const { graph, feeds } = nodeGraph(test);
  const bytes = encodeOnnxModel(graph);
  const expected = (await InferenceSession.create(bytes)).runSync(feeds);
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
  try {
    const got = await session.run(feeds);
    for (const [name, e] of Object.entries(expected)) {
      assert.deepEqual(got[name].dims, e.dims, `${test.op} ${name} dims`);
      assert.equal(got[name].type, e.type);
      if (e.type === 'float32') assert.ok(relativeError(got[name].data as Float32Array, e.data as Float32Array) <= rtol, `${test.op} ${name}: ${relativeError(got[name].data as Float32Array, e.data as Float32Array)}`);
      else assert.deepEqual(got[name].data, e.data, `${test.op} ${name}`);
    }
    return session.profile()[0].kernel;
  } finally {
    await session.release();
  }
}
