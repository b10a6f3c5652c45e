/**
 * What one row of `sparq bench`'s kernel suite is before it is timed: the
 * labels a KernelResult carries, and a setup that builds both sides' calls
 * on the same data (sparq's, and onnxruntime's one-node model when
 * onnxruntime-node is loaded and runs the op on that backend).
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { NativeFamily } from '../../native.js';
import type { Ort, OrtSession } from '../../runtime/compare/ort.js';
import type { KernelResult } from '../results.js';

export interface CaseEnv {
  threads: number;
  /** null: onnxruntime-node is not loaded, sparq's side alone. */
  ort: Ort | null;
  /** The adapter's backend, for the WebGPU cases. */
  gpu?: WebGpuBackend;
  /** Run sparq's side on this variant of the case's family (sparq bench --variant); default: dispatch's pick. */
  variant?: string;
}

export interface CaseRun {
  sparq: () => unknown;
  /** null without onnxruntime (or where it has no such op on the backend). */
  ort: (() => Promise<unknown>) | null;
  /** The variant sparq's side runs (KernelResult.variant). */
  variant: string | null;
  /** Its family, where only the operands tell (a conv's weights): else the case's. */
  family?: NativeFamily;
  release(): Promise<void> | void;
}

export interface KernelCase extends Pick<KernelResult, 'group' | 'kernel' | 'backend' | 'shape' | 'sparsity' | 'ops' | 'unit' | 'family'> {
  /** onnxruntime's model (OrtKernelSide.baseline); null where onnxruntime has none on this backend. */
  baseline: string | null;
  family: NativeFamily | null;
  setup(env: CaseEnv): Promise<CaseRun>;
}

/** The variant of `family` sparq's dispatch runs: the first this CPU (and the ISA cap) supports that `accepts` the operands. */
export function dispatchedVariant(family: NativeFamily, accepts: (v: { needsNarrow?: boolean }) => boolean = () => true): string | null {
  return cpu.info().variants[family]?.find((v) => v.supported && accepts(v as { needsNarrow?: boolean }))?.name ?? null;
}

/** Seeded test data, so two runs (or two machines) time the same values. */
export function filled<T extends Float32Array | Int8Array | Uint8Array>(array: T, random: () => number, draw: (r: number) => number): T {
  for (let i = 0; i < array.length; i++) array[i] = draw(random());
  return array;
}

/** r in [0, 1) as a uniform value in [-0.5, 0.5), an int8 in [lo, hi], or any uint8. */
export const centered = (r: number) => r - 0.5;
export const int8In = (lo: number, hi: number) => (r: number) => lo + Math.floor(r * (hi - lo + 1));
export const anyUint8 = (r: number) => Math.floor(r * 256);

/** a [rows, cols] row-major as [cols, rows]. */
export function transposed<T extends Float32Array | Int8Array | Uint8Array>(a: T, rows: number, cols: number): T {
  const t = new (a.constructor as new (n: number) => T)(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** A CaseRun's release(): gives back what sparq holds natively or on the GPU, and closes onnxruntime's session. */
export function releasing(session: OrtSession | null, ...held: { dispose(): void }[]): () => Promise<void> {
  return async () => {
    for (const h of held) h.dispose();
    await session?.release();
  };
}
