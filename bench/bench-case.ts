/**
 * What a kernel benchmark is (bench/kernels.ts, bench/sparse.ts; run by
 * bench/run.ts), and its expansion into one case per kernel variant.
 */
import { cpu } from '../src/index.js';
import type { NativeFamily } from '../src/native.js';

export interface BenchCase {
  sparq: () => unknown;
  ort: () => Promise<unknown>;
  release: () => Promise<void>;
}

export interface KernelBench {
  kernel: string;
  shape: string;
  /** Work per call: 2*M*N*K for GEMMs, elements for element-wise kernels. */
  ops: number;
  unit: string;
  baseline: string;
  /** The kernel family (kernels/<family>) sparq's side runs, where it runs one: its variants can be timed by name. */
  family?: NativeFamily;
  /** `variant`: run sparq's side on that variant of `family` (default: the best for this CPU). */
  setup: (threads: number, variant?: string) => Promise<BenchCase>;
}

/**
 * `benches` with sparq's side on variants chosen by name: 'all' times every
 * variant of each bench's family that this CPU runs (one case each, the
 * variant in the kernel's label; benches without a family stay as they are),
 * any other name only the benches whose family has that variant.
 */
export function withVariants(benches: KernelBench[], variant: string): KernelBench[] {
  const variants = cpu.info().variants;
  return benches.flatMap((bench) => {
    if (!bench.family) return variant === 'all' ? [bench] : [];
    const names = (variants[bench.family] ?? []).filter((v) => v.supported).map((v) => v.name);
    return names
      .filter((name) => variant === 'all' || name === variant)
      .map((name) => ({ ...bench, kernel: `${bench.kernel} [${name}]`, setup: (threads: number) => bench.setup(threads, name) }));
  });
}
