/**
 * The WebGPU backend the WebGPU tests share. With SPARQ_REQUIRE_WEBGPU=1 (CI)
 * a missing adapter fails the tests; otherwise they are skipped, and mocha
 * reports them as pending.
 */
import { webgpu, type WebGpuBackend } from '../../src/backends/webgpu/backend.js';

let backend: Promise<WebGpuBackend> | undefined;

export async function gpuOrSkip(context: Mocha.Context): Promise<WebGpuBackend> {
  backend ??= webgpu();
  try {
    return await backend;
  } catch (e) {
    if (process.env.SPARQ_REQUIRE_WEBGPU === '1') throw e;
    context.skip();
    throw e;
  }
}

/** Destroys the shared backend (root after-all hook), so the process can exit. */
export async function releaseGpu(): Promise<void> {
  const b = backend;
  backend = undefined;
  if (b) (await b.catch(() => null))?.destroy();
}
