/**
 * How a validated CPU kernel call runs: on the native addon (synchronously,
 * or on a libuv worker thread for the async form), else on the TypeScript
 * reference backend. Kernel files build a CpuCall; this decides where it runs.
 */
import { native, type NativeAddon } from '../native.js';

export interface CpuCall<R> {
  /** Starts the native kernel; returns its promise when async. */
  native(addon: NativeAddon, async: boolean): Promise<void> | undefined;
  /** Computes the same result in TypeScript. */
  reference(): void;
  /** The value the call resolves to (its output is filled by either path). */
  result: R;
}

export function runSync<R>(call: CpuCall<R>): R {
  const addon = native();
  if (addon) call.native(addon, false);
  else call.reference();
  return call.result;
}

export async function runAsync<R>(call: CpuCall<R>): Promise<R> {
  const addon = native();
  if (addon) await call.native(addon, true);
  else call.reference();
  return call.result;
}
