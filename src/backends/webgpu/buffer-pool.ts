/**
 * Reuses GPU buffers by size class: Dawn does not always return a destroyed
 * buffer's memory before the device goes, so allocating per call grows the
 * process. Sizes round up to a power of two (at least 256 bytes, at most
 * the largest buffer a kernel can bind), so a buffer serves any request of
 * its class; a class keeps at most a few free buffers, the rest are
 * destroyed.
 *
 * Creating a buffer cannot fail synchronously in WebGPU: out of memory
 * makes an invalid buffer and an error that only an error scope can catch,
 * asynchronously. So each new buffer is made inside an 'out-of-memory'
 * scope and stays "unconfirmed" until the scope reports; a call that uses
 * it waits for that (allocated()) and fails with the allocation's error
 * instead of encoding work on an invalid buffer, which would poison every
 * other call's work in the same submit.
 */
const MIN_BYTES = 256;
const FREE_PER_CLASS = 8;

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  /** New buffers whose out-of-memory scope has not reported yet: the scope's error message, or null when the buffer is good. */
  private readonly unconfirmed = new Map<GPUBuffer, Promise<string | null>>();

  /** maxBytes: the largest buffer handed out (the device's binding limit); larger requests are the caller's to refuse. */
  constructor(private readonly device: GPUDevice, readonly maxBytes: number) {}

  sizeClass(bytes: number): number {
    return Math.max(MIN_BYTES, Math.min(2 ** Math.ceil(Math.log2(Math.max(bytes, 1))), this.maxBytes));
  }

  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = this.sizeClass(bytes);
    let buffer = this.free.get(`${usage}:${size}`)?.pop();
    if (buffer === undefined) {
      this.device.pushErrorScope('out-of-memory');
      buffer = this.device.createBuffer({ size, usage });
      // A lost device answers no scopes: its own error names the loss.
      this.unconfirmed.set(buffer, this.device.popErrorScope().then((e) => e?.message ?? null, () => null));
    }
    this.live.add(buffer);
    return buffer;
  }

  /**
   * Resolves once every buffer of `buffers` is known to be allocated (at
   * once when none is new); rejects when one is not, and destroys that one
   * (it holds no memory and can never be used).
   */
  async allocated(buffers: readonly GPUBuffer[]): Promise<void> {
    for (const b of buffers) {
      const check = this.unconfirmed.get(b);
      if (check === undefined) continue;
      const failure = await check;
      this.unconfirmed.delete(b);
      if (failure !== null) {
        this.live.delete(b);
        b.destroy();
        throw new Error(`sparq webgpu: out of GPU memory: a ${b.size}-byte buffer could not be allocated (${failure.split('\n')[0]}); dispose() GPU tensors no longer needed or run smaller batches`);
      }
    }
  }

  /** Whether allocated(buffers) would have to wait. */
  anyUnconfirmed(buffers: readonly GPUBuffer[]): boolean {
    return this.unconfirmed.size > 0 && buffers.some((b) => this.unconfirmed.has(b));
  }

  /** Gives a buffer back; the caller must not use it again (the GPU may still read it in work already submitted). */
  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const key = `${buffer.usage}:${buffer.size}`;
    const list = this.free.get(key) ?? [];
    if (list.length < FREE_PER_CLASS && !this.unconfirmed.has(buffer)) {
      list.push(buffer);
      this.free.set(key, list);
    } else {
      this.unconfirmed.delete(buffer);
      buffer.destroy();
    }
  }

  /** Buffers handed out and not given back. */
  get liveCount(): number {
    return this.live.size;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    for (const b of this.live) b.destroy();
    this.free.clear();
    this.live.clear();
    this.unconfirmed.clear();
  }
}
