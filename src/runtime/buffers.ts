/**
 * Output storage a CPU session reuses from run to run. A fresh typed array
 * costs more than filling it: its pages are faulted in and zeroed (a 7 MiB
 * conv output at batch 64 took longer to allocate than to compute). So the
 * kernels that write whole outputs take their storage here, and the session
 * gives a value's storage back once nothing can read it any more: its last
 * reader ran, no other live value views the same buffer, and it is neither a
 * constant, a feed nor a fetched result (those never came from the pool, or
 * leave it when the run returns them).
 */
import type { Value, ValueType } from './onnx/model.js';

type Data = Value['data'];
type DataOf<T extends ValueType> = T extends 'float32' ? Float32Array : T extends 'uint8' | 'bool' ? Uint8Array : T extends 'int8' ? Int8Array : T extends 'int32' ? Int32Array : BigInt64Array;

const ARRAYS: Record<ValueType, new (n: number) => Data> = {
  float32: Float32Array, uint8: Uint8Array, bool: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array,
};

/** Storage for a kernel's output of `length` elements, possibly dirty: the kernel must write all of it. */
export type Allocate = <T extends ValueType>(type: T, length: number) => DataOf<T>;

/** A fresh array: what kernels get when run outside a session's pool. */
export const allocateFresh: Allocate = (type, length) => new ARRAYS[type](length) as DataOf<typeof type>;

type ArrayClass = (new (n: number) => Data) & { BYTES_PER_ELEMENT: number };

/** Bytes from an ArrayBuffer's start to its first address that is a multiple of ALIGNMENT (the addon's alignmentGap). */
export type AlignmentGap = (buffer: ArrayBuffer) => number;

/**
 * Where pooled arrays start: a cache line. V8's buffers start 16-byte
 * aligned, and a kernel's 64-byte vector loads then straddle two lines
 * (f32-dwconv2d-nhwc ran 15-25% slower on such activations).
 */
export const ALIGNMENT = 64;

export class BufferPool {
  /** Free buffers by array class and length (no key strings built per take). */
  private readonly free = new Map<ArrayClass, Map<number, Data[]>>();
  /** Buffers handed out this run: the array handed out (the whole, possibly offset, view) and how many live values view it. */
  private readonly issued = new Map<ArrayBufferLike, { data: Data; views: number }>();

  /** gap: where fresh arrays start ALIGNMENT-aligned (a view into a slightly larger buffer); without it, where V8 puts them. */
  constructor(private readonly gap?: AlignmentGap) {}

  readonly take: Allocate = (type, length) => {
    const array = ARRAYS[type] as ArrayClass;
    const data = this.free.get(array)?.get(length)?.pop() ?? this.fresh(array, length);
    this.issued.set(data.buffer, { data, views: 0 });
    return data as DataOf<typeof type>;
  };

  private fresh(array: ArrayClass, length: number): Data {
    if (!this.gap) return new array(length);
    const buffer = new ArrayBuffer(length * array.BYTES_PER_ELEMENT + ALIGNMENT);
    const gap = this.gap(buffer);
    // V8 aligns buffers to at least 16 bytes, so the gap is a whole number of elements; a start it could not reach stays where it is.
    const offset = gap % array.BYTES_PER_ELEMENT === 0 ? gap : 0;
    return new (array as unknown as new (b: ArrayBuffer, offset: number, length: number) => Data)(buffer, offset, length);
  }

  /** A value now holds `data` (a kernel's output, or a view of one). */
  hold(data: Data): void {
    const issued = this.issued.get(data.buffer);
    if (issued !== undefined) issued.views++;
  }

  /** A value holding `data` is dead; its storage returns to the pool when it was the last view of a pooled buffer. */
  drop(data: Data): void {
    const issued = this.issued.get(data.buffer);
    if (issued === undefined) return;
    if (issued.views > 1) {
      issued.views--;
      return;
    }
    this.issued.delete(data.buffer);
    // The array handed out goes back (not the view that died last), under the type and length it was taken as.
    const whole = issued.data;
    const array = whole.constructor as ArrayClass;
    let lengths = this.free.get(array);
    if (!lengths) this.free.set(array, (lengths = new Map()));
    const list = lengths.get(whole.length);
    if (list) list.push(whole);
    else lengths.set(whole.length, [whole]);
  }

  /** Ends a run: what is still held (results, values nothing read) now belongs to the caller. */
  endRun(): void {
    this.issued.clear();
  }

  clear(): void {
    this.free.clear();
    this.issued.clear();
  }
}
