/**
 * The GPU context every WebGPU op runs on: device, pipeline cache, buffer
 * pool, and the one command encoder every kernel call appends its dispatch
 * to. Work is submitted when a result is downloaded, on sync(), or every
 * MAX_BATCH dispatches, so chains of kernels cost one submit.
 *
 * Ordering: pipelines compile asynchronously, so each call's encoding is
 * chained behind the previous one's (`tail`); a call's output buffer exists
 * as soon as the call returns, so the next call can take it as input before
 * anything ran. Buffers given back (disposed tensors, uniforms) return to the
 * pool only after the next submit: queue writes that reuse them then land
 * after the work that still reads them.
 */
import type { ElementType, Tensor, TypedArrayOf } from '../../tensor.js';
import { TYPED_ARRAY_OF, sizeOf, type QuantParams } from '../../tensor.js';
import { BufferPool } from './buffer-pool.js';
import { GpuDevice, type AdapterReport } from './device.js';
import { GpuTensor, gpuBytes } from './gpu-tensor.js';
import { checkTensorBytes } from '../../limits.js';
import { PipelineCache, type Overrides } from './pipelines.js';

const MAX_BATCH = 64;
/** Compute passes timeOnGpu() records; later ones run untimed. */
const MAX_TIMED_PASSES = 1024;
const STORAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM = 0x40 | 0x8; // UNIFORM | COPY_DST
const READBACK = 0x1 | 0x8; // MAP_READ | COPY_DST
/**
 * Largest single buffer-to-buffer copy. On lavapipe a copy of 2 GiB or more
 * never completes: onSubmittedWorkDone and mapAsync never settle, so a
 * download of such a tensor hung (or, with nothing else pending, Node
 * exited silently mid-await).
 */
const MAX_COPY_BYTES = 2 ** 30;

/** A kernel's uniform block: u32 / i32 / f32 fields in order, padded to 16 bytes. */
export type UniformField = ['u32' | 'i32' | 'f32', number];

export function packUniforms(fields: readonly UniformField[]): ArrayBuffer {
  const bytes = Math.ceil(Math.max(fields.length, 1) / 4) * 16;
  const view = new DataView(new ArrayBuffer(bytes));
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return view.buffer;
}

export interface Dispatch {
  family: string;
  stem: string;
  overrides?: Overrides;
  /** Storage buffers in binding order; the uniform block binds after them. */
  buffers: GPUBuffer[];
  uniforms: readonly UniformField[];
  workgroups: [number, number?, number?];
}

/** Made through webgpu(): the WebGpuBackend is a GpuContext with the ops on it. */
export class GpuContext {
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private encoder: GPUCommandEncoder | null = null;
  private batched = 0;
  private afterSubmit: GPUBuffer[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** While timing (timeOnGpu): each pass writes its start and end here. */
  private timing: { queries: GPUQuerySet; used: number } | null = null;
  private destroyed = false;

  protected constructor(private readonly gpu: GpuDevice) {
    const { maxBufferSize, maxStorageBufferBindingSize } = gpu.report.limits;
    // Every tensor buffer is bound whole by some kernel: none may exceed the binding limit (in whole words).
    this.pool = new BufferPool(gpu.device, Math.floor(Math.min(maxBufferSize, maxStorageBufferBindingSize) / 4) * 4);
    this.pipelines = new PipelineCache(gpu.device);
  }

  /** The adapter this backend runs on: names, the optional features it got, limits. */
  get adapter(): AdapterReport {
    return this.gpu.report;
  }

  /** GPU buffers currently held by tensors and pending work (for leak checks). */
  get liveBuffers(): number {
    return this.pool.liveCount;
  }

  /**
   * Why the GPU device was lost ('<reason>: <message>' from Dawn), or null
   * while it works. Once lost, every call rejects with an error saying so
   * (work pending at the loss too); webgpu() makes a new backend.
   */
  get lost(): string | null {
    return this.gpu.lost;
  }

  private usable(): GPUDevice {
    if (this.destroyed) throw new Error('sparq webgpu: this backend was destroyed');
    this.gpu.check();
    return this.gpu.device;
  }

  /** The error for a GPU wait that failed: this backend destroyed under it (destroy(), a session's release()), the device lost, or `e`. */
  private async failure(e: unknown, what?: string): Promise<Error> {
    if (this.destroyed) return new Error('sparq webgpu: this backend was destroyed');
    return this.gpu.failure(e, what);
  }

  /**
   * An uninitialized GPU tensor from the pool.
   * @throws RangeError when it needs more bytes than one buffer the adapter binds (adapter.limits.maxStorageBufferBindingSize)
   *   or the process's limits().maxTensorBytes allow; a buffer the device has no memory for fails the first call that uses it.
   */
  empty<T extends ElementType>(type: T, dims: readonly number[], quant?: QuantParams): GpuTensor<T> {
    this.usable();
    const bytes = gpuBytes(type, sizeOf(dims));
    checkTensorBytes(`a GPU tensor [${dims}] of ${type}`, bytes);
    if (bytes > this.pool.maxBytes)
      throw new RangeError(`a GPU tensor [${dims}] of ${type} needs ${bytes} bytes; this adapter binds at most ${this.pool.maxBytes} bytes per buffer (adapter.limits.maxStorageBufferBindingSize): split the work into smaller tensors`);
    const buffer = this.pool.acquire(bytes, STORAGE);
    return new GpuTensor(type, dims, buffer, (b) => this.afterSubmit.push(b), quant);
  }

  /** Copies a tensor to the GPU. */
  upload<T extends ElementType>(t: Tensor<T>): GpuTensor<T> {
    const device = this.usable();
    const out = this.empty(t.type, t.dims, { scale: t.scale, zeroPoint: t.zeroPoint, axis: t.axis });
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    let padded = bytes;
    if (bytes.byteLength % 4 !== 0) {
      // Queue writes take whole words: copy into a zero-padded buffer.
      padded = new Uint8Array(gpuBytes('uint8', bytes.byteLength));
      padded.set(bytes);
    }
    device.queue.writeBuffer(out.buffer, 0, padded as Uint8Array<ArrayBuffer>);
    return out;
  }

  /** A small read-only buffer with `values` (per-channel parameters, bias), given back after the next submit. */
  constants(values: Float32Array | Int32Array): GPUBuffer {
    const device = this.usable();
    const buffer = this.pool.acquire(Math.max(values.byteLength, 4), STORAGE);
    device.queue.writeBuffer(buffer, 0, values as Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>);
    this.afterSubmit.push(buffer);
    return buffer;
  }

  /** Appends one kernel dispatch to the current batch, after every earlier call's. */
  enqueue(d: Dispatch): Promise<void> {
    const device = this.usable();
    const uniformBytes = packUniforms(d.uniforms);
    const uniforms = this.pool.acquire(uniformBytes.byteLength, UNIFORM);
    device.queue.writeBuffer(uniforms, 0, uniformBytes);
    this.afterSubmit.push(uniforms);
    const pipeline = this.pipelines.get(d.family, d.stem, d.overrides);
    const buffers = [...d.buffers, uniforms];
    const step = this.tail.then(async () => {
      let p: GPUComputePipeline;
      try {
        p = await pipeline;
      } catch (e) {
        throw await this.failure(e);
      }
      this.gpu.checkLost();
      if (this.pool.anyUnconfirmed(buffers)) await this.pool.allocated(buffers);
      const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      const bindGroup = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries });
      this.encoder ??= device.createCommandEncoder();
      const t = this.timing;
      const slot = t !== null && t.used + 2 <= MAX_TIMED_PASSES * 2 ? (t.used += 2) - 2 : -1;
      const pass = this.encoder.beginComputePass(
        slot < 0 ? {} : { timestampWrites: { querySet: t!.queries, beginningOfPassWriteIndex: slot, endOfPassWriteIndex: slot + 1 } },
      );
      pass.setPipeline(p);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1] ?? 1, d.workgroups[2] ?? 1);
      pass.end();
      if (++this.batched >= MAX_BATCH) this.submit();
    });
    // The next call waits for this one's encoding, not for its success: a call that failed encoded nothing.
    this.tail = step.catch(() => undefined);
    return step;
  }

  private submit(): void {
    if (this.encoder !== null) this.gpu.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batched = 0;
    for (const b of this.afterSubmit.splice(0)) this.pool.release(b);
  }

  /** Submits everything queued and waits for the GPU to finish it; rejects with any error the device reported. */
  async sync(): Promise<void> {
    const device = this.usable();
    await this.tail;
    this.submit();
    try {
      await device.queue.onSubmittedWorkDone();
    } catch (e) {
      throw await this.failure(e, 'waiting for the GPU');
    }
    this.usable();
  }

  /**
   * Runs `work` (calls on this backend) and measures it: wall time until
   * its GPU work finished, and, where the adapter has 'timestamp-query', the
   * sum of its compute passes' GPU times (null otherwise), in seconds.
   */
  async timeOnGpu(work: () => Promise<unknown>): Promise<{ wall: number; gpu: number | null }> {
    const device = this.usable();
    await this.sync();
    const timed = this.adapter.features.includes('timestamp-query');
    // A nested call (qgemm's first-use measurement inside a timed call)
    // records its own passes, then hands the outer call's recorder back.
    const outer = this.timing;
    if (timed) this.timing = { queries: device.createQuerySet({ type: 'timestamp', count: MAX_TIMED_PASSES * 2 }), used: 0 };
    const start = performance.now();
    let timing: typeof this.timing = null;
    try {
      await work();
      await this.sync();
    } finally {
      [timing, this.timing] = [this.timing, outer];
    }
    const wall = (performance.now() - start) / 1e3;
    if (!timed || timing === null || timing.used === 0) {
      timing?.queries.destroy();
      return { wall, gpu: null };
    }
    const bytes = timing.used * 8;
    const resolved = this.pool.acquire(bytes, 0x200 | 0x4); // QUERY_RESOLVE | COPY_SRC
    const readback = this.pool.acquire(bytes, READBACK);
    const encoder = device.createCommandEncoder();
    encoder.resolveQuerySet(timing.queries, 0, timing.used, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ, 0, bytes);
    const stamps = new BigUint64Array(readback.getMappedRange(0, bytes).slice(0));
    readback.unmap();
    [resolved, readback].forEach((b) => this.pool.release(b));
    timing.queries.destroy();
    let ns = 0n;
    for (let i = 0; i < stamps.length; i += 2) if (stamps[i + 1] > stamps[i]) ns += stamps[i + 1] - stamps[i];
    return { wall, gpu: Number(ns) / 1e9 };
  }

  /** Brings a GPU tensor back as a Tensor (submitting the work it waits on). */
  async download<T extends ElementType>(t: GpuTensor<T>): Promise<Tensor<T>> {
    const device = this.usable();
    if (t.disposed) throw new TypeError('t must not be disposed');
    await this.tail;
    const bytes = gpuBytes(t.type, t.size);
    const staging = this.pool.acquire(bytes, READBACK);
    try {
      await this.pool.allocated([t.buffer, staging]);
      this.encoder ??= device.createCommandEncoder();
      for (let at = 0; at < bytes; at += MAX_COPY_BYTES) this.encoder.copyBufferToBuffer(t.buffer, at, staging, at, Math.min(MAX_COPY_BYTES, bytes - at));
      this.submit();
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      } catch (e) {
        throw await this.failure(e, 'reading a tensor back');
      }
      const data = new TYPED_ARRAY_OF[t.type](t.size) as TypedArrayOf<T>;
      new Uint8Array(data.buffer).set(new Uint8Array(staging.getMappedRange(0, bytes), 0, data.byteLength));
      staging.unmap();
      this.usable();
      // Built as is: tensor() would recheck parameters every GPU tensor got from checked inputs or kernel stages.
      return { type: t.type, dims: [...t.dims], data, scale: t.scale, zeroPoint: t.zeroPoint, axis: t.axis };
    } finally {
      this.pool.release(staging);
    }
  }

  /** Frees every buffer and the device; the backend cannot be used afterwards and the process can exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
    this.gpu.destroy();
  }
}
