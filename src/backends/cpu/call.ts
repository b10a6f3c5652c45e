/**
 * How a validated CPU kernel call runs: on the native addon (synchronously,
 * or on a libuv worker thread for the async form), else on the TypeScript
 * reference backend. Kernel files build a CpuCall; this decides where it runs.
 */
import { native, type NativeAddon } from '../../native.js';

export interface CpuCall<R> {
  /**
   * Starts the native kernel; returns its promise when async. Null when an
   * operand is empty and was never handed to the addon (empty weights): the
   * result is then zeros or the bias through the output stage, which the
   * reference computes in time proportional to the result.
   */
  native: ((addon: NativeAddon, async: boolean) => Promise<void> | undefined) | null;
  /** Computes the same result in TypeScript. */
  reference(): void;
  /** The value the call resolves to (its output is filled by either path). */
  result: R;
  /**
   * The result holds no elements: nothing runs, neither path. (A kernel
   * would still loop over the other dimensions, which can be huge.)
   */
  empty: boolean;
}

/** The addon if `call` runs natively, else null (reference, or nothing to run). */
function nativeFor(call: CpuCall<unknown>): NativeAddon | null {
  return call.native === null ? null : native();
}

export function runSync<R>(call: CpuCall<R>): R {
  if (call.empty) return call.result;
  const addon = nativeFor(call);
  if (addon) call.native!(addon, false);
  else call.reference();
  return call.result;
}

export async function runAsync<R>(call: CpuCall<R>): Promise<R> {
  if (call.empty) return call.result;
  const addon = nativeFor(call);
  if (addon) await call.native!(addon, true);
  else call.reference();
  return call.result;
}
