/**
 * A tensor that lives in a GPU buffer: kernels chain on it without copies;
 * `backend.download(t)` brings it back. Its buffer comes from the backend's
 * pool and returns there on dispose() (or when the tensor is garbage
 * collected, as a fallback). Byte tensors are padded to whole 32-bit words,
 * the unit WGSL storage buffers address.
 */
import type { ElementType, QuantParams } from '../../tensor.js';
import { sizeOf } from '../../tensor.js';
import { markMade } from '../../validate.js';

export const ELEMENT_BYTES: Record<ElementType, number> = { float32: 4, int32: 4, uint8: 1, int8: 1 };

/** Bytes a tensor of this type and element count occupies on the GPU (whole words). */
export function gpuBytes(type: ElementType, elements: number): number {
  return Math.ceil((elements * ELEMENT_BYTES[type]) / 4) * 4;
}

export class GpuTensor<T extends ElementType = ElementType> implements QuantParams {
  readonly scale?: number | Float32Array;
  readonly zeroPoint?: number | Int32Array;
  readonly axis?: number;
  private released = false;
  /** The tensor a view was made from: disposing it disposes the view. */
  private base: GpuTensor | null = null;

  /** @internal Created by the WebGPU backend. */
  constructor(
    readonly type: T,
    readonly dims: readonly number[],
    /** @internal */
    readonly buffer: GPUBuffer,
    private readonly giveBack: (buffer: GPUBuffer) => void,
    quant: QuantParams = {},
  ) {
    this.scale = quant.scale;
    this.zeroPoint = quant.zeroPoint;
    this.axis = quant.axis;
    markMade(this, GpuTensor);
  }

  get size(): number {
    return sizeOf(this.dims);
  }

  get disposed(): boolean {
    return this.released || (this.base?.disposed ?? false);
  }

  /**
   * The same buffer under other dims (of the same size) or quantization
   * parameters (default: this tensor's). The two share one buffer:
   * disposing either disposes both (the buffer goes back once).
   */
  view(dims: readonly number[], quant: QuantParams = this): GpuTensor<T> {
    if (sizeOf(dims) !== this.size) throw new RangeError(`dims [${dims}] hold ${sizeOf(dims)} elements, the tensor ${this.size}`);
    const v = new GpuTensor(this.type, dims, this.buffer, () => this.dispose(), { scale: quant.scale, zeroPoint: quant.zeroPoint, axis: quant.axis });
    v.base = this;
    return v;
  }

  /** Returns the buffer to the pool; the tensor must not be used afterwards. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.giveBack(this.buffer);
  }
}
