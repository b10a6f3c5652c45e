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

type ArrayClass = new (n: number) => Data;

export class BufferPool {
  /** Free buffers by array class and length (no key strings built per take). */
  private readonly free = new Map<ArrayClass, Map<number, Data[]>>();
  /** Buffers handed out this run, with how many live values view each. */
  private readonly issued = new Map<ArrayBufferLike, number>();

  readonly take: Allocate = (type, length) => {
    const array = ARRAYS[type];
    const data = this.free.get(array)?.get(length)?.pop() ?? new array(length);
    this.issued.set(data.buffer, 0);
    return data as DataOf<typeof type>;
  };

  /** A value now holds `data` (a kernel's output, or a view of one). */
  hold(data: Data): void {
    const views = this.issued.get(data.buffer);
    if (views !== undefined) this.issued.set(data.buffer, views + 1);
  }

  /** A value holding `data` is dead; its storage returns to the pool when it was the last view of a pooled buffer. */
  drop(data: Data): void {
    const views = this.issued.get(data.buffer);
    if (views === undefined) return;
    if (views > 1) {
      this.issued.set(data.buffer, views - 1);
      return;
    }
    this.issued.delete(data.buffer);
    // The whole buffer goes back, under the type and length it was taken as.
    const array = data.constructor as ArrayClass;
    // Usually the value is the array the pool handed out; a view gets the whole buffer back as a new array.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new (array as unknown as new (b: ArrayBufferLike) => Data)(data.buffer);
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
