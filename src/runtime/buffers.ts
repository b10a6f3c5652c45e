/**
 * Output storage a CPU session reuses from run to run. A fresh typed array
 * costs more than filling it: its pages are faulted in and zeroed (a 7 MiB
 * conv output at batch 64 took longer to allocate than to compute). So the
 * kernels that write whole outputs take their storage here, and the session
 * gives a value's storage back once nothing can read it any more: its last
 * reader ran, no other live value views the same buffer, and it is neither a
 * constant, a feed nor a fetched result (those never came from the pool, or
 * leave it when the run returns them).
 *
 * A take gets the buffer dropped last among those that fit, not one kept for
 * its exact length: that buffer was read or written a node or two ago, so it
 * is likely still in L2 and the kernel's stores need not fetch its lines from
 * memory first, and a few buffers serve every size. A pool that kept one list
 * per length handed out buffers last touched a whole run ago: in
 * MobileNetV2-224 a 1x1 GEMM or depthwise conv took 1.1-2.8x the time of the
 * same call repeated at once, most of that for its cold output.
 */
import { checkTensorBytes } from '../limits.js';
import type { Value, ValueType } from './onnx/model.js';

type Data = Value['data'];
type DataOf<T extends ValueType> = T extends 'float32' ? Float32Array : T extends 'uint8' | 'bool' ? Uint8Array : T extends 'int8' ? Int8Array : T extends 'int32' ? Int32Array : BigInt64Array;

const ARRAYS: Record<ValueType, new (n: number) => Data> = {
  float32: Float32Array, uint8: Uint8Array, bool: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array,
};

/** Storage for a kernel's output of `length` elements, possibly dirty: the kernel must write all of it. */
export type Allocate = <T extends ValueType>(type: T, length: number) => DataOf<T>;

/** A fresh array: what kernels get when run outside a session's pool. */
export const allocateFresh: Allocate = (type, length) => {
  checkValueBytes(ARRAYS[type] as ArrayClass, length);
  return new ARRAYS[type](length) as DataOf<typeof type>;
};

/** @throws LimitError before a value of `length` elements over maxTensorBytes is allocated. */
function checkValueBytes(array: ArrayClass, length: number): void {
  checkTensorBytes(`a value of ${length} ${array.name} elements`, length * array.BYTES_PER_ELEMENT);
}

type ArrayClass = (new (n: number) => Data) & { BYTES_PER_ELEMENT: number };

/**
 * A free buffer serves takes of at least 1/MAX_SLACK of its length. Any
 * length at all was slower at batch 16 (a large buffer under a small value
 * leaves the next large value a cold one); 8 ran MobileNetV2/V3 as fast or
 * faster than 2, whose first takes at a smaller map size found no warm buffer.
 */
const MAX_SLACK = 8;

/** Bytes from an ArrayBuffer's start to its first address that is a multiple of ALIGNMENT (the addon's alignmentGap). */
export type AlignmentGap = (buffer: ArrayBuffer) => number;

/**
 * Where pooled arrays start: a cache line. V8's buffers start 16-byte
 * aligned, and a kernel's 64-byte vector loads then straddle two lines
 * (f32-dwconv2d-nhwc ran 15-25% slower on such activations).
 */
export const ALIGNMENT = 64;

export class BufferPool {
  /** Free buffers by array class, the one dropped last at the end. */
  private readonly free = new Map<ArrayClass, Data[]>();
  /** Buffers handed out this run: the pooled array (the whole, possibly offset, view; a take may get a shorter view of it) and how many live values view it. */
  private readonly issued = new Map<ArrayBufferLike, { data: Data; views: number }>();

  /** gap: where fresh arrays start ALIGNMENT-aligned (a view into a slightly larger buffer); without it, where V8 puts them. */
  constructor(private readonly gap?: AlignmentGap) {}

  readonly take: Allocate = (type, length) => {
    const array = ARRAYS[type] as ArrayClass;
    const data = this.reuse(array, length) ?? this.fresh(array, length);
    this.issued.set(data.buffer, { data, views: 0 });
    return (data.length === length ? data : data.subarray(0, length)) as DataOf<typeof type>;
  };

  /** The free buffer of `array` dropped last that holds `length` elements without much slack, out of the free list. */
  private reuse(array: ArrayClass, length: number): Data | undefined {
    const list = this.free.get(array);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const data = list[i];
      if (data.length >= length && data.length <= MAX_SLACK * length) return list.splice(i, 1)[0];
    }
    return undefined;
  }

  private fresh(array: ArrayClass, length: number): Data {
    checkValueBytes(array, length);
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
    // The whole pooled array goes back (not the view that died last), under the type it was made as.
    const whole = issued.data;
    const array = whole.constructor as ArrayClass;
    const list = this.free.get(array);
    if (list) list.push(whole);
    else this.free.set(array, [whole]);
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
