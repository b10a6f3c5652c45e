/**
 * The WebGPU backend the WebGPU tests share. With SPARQ_REQUIRE_WEBGPU=1 (CI)
 * a missing adapter fails the tests; otherwise they are skipped, and mocha
 * reports them as pending.
 */
import { webgpu, type WebGpuBackend } from '../../src/backends/webgpu/backend.js';
import { BufferPool } from '../../src/backends/webgpu/buffer-pool.js';

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

/** What a pending operation did within `ms`: its error, 'resolved', or 'hang'. */
export async function outcome(p: Promise<unknown>, ms = 20000): Promise<Error | 'resolved' | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ms)));
  try {
    return await Promise.race([p.then(() => 'resolved' as const, (e: Error) => e), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The backend's Dawn device: destroying it loses the device under the backend, as a driver reset or a removed GPU would. */
export function deviceOf(gpu: WebGpuBackend): GPUDevice {
  return (gpu as unknown as { gpu: { device: GPUDevice } }).gpu.device;
}

/**
 * Gives `gpu` a buffer pool that hands out buffers up to `maxBytes`, past
 * the adapter's binding limit (lavapipe's is 128 MiB): how the tests reach
 * sizes that adapters with larger limits allow.
 */
export function poolUpTo(gpu: WebGpuBackend, maxBytes: number): void {
  (gpu as unknown as { pool: BufferPool }).pool = new BufferPool(deviceOf(gpu), maxBytes);
}
