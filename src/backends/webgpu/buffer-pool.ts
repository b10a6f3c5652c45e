/**
 * Reuses GPU buffers by size class: Dawn does not always return a destroyed
 * buffer's memory before the device goes, so allocating per call grows the
 * process. Sizes round up to a power of two (at least 256 bytes), so a
 * buffer serves any request of its class; a class keeps at most a few free
 * buffers, the rest are destroyed.
 */
const MIN_BYTES = 256;
const FREE_PER_CLASS = 8;

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  static sizeClass(bytes: number): number {
    return Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
  }

  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    const reused = this.free.get(`${usage}:${size}`)?.pop();
    const buffer = reused ?? this.device.createBuffer({ size, usage });
    this.live.add(buffer);
    return buffer;
  }

  /** Gives a buffer back; the caller must not use it again (the GPU may still read it in work already submitted). */
  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const key = `${buffer.usage}:${buffer.size}`;
    const list = this.free.get(key) ?? [];
    if (list.length < FREE_PER_CLASS) {
      list.push(buffer);
      this.free.set(key, list);
    } else {
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
  }
}
