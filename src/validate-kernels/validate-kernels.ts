/**
 * validateKernels(): every kernel family's check on every variant this
 * machine runs, against the reference backend, over a seeded sweep of
 * shapes; one row per family and variant. Variants above this process's ISA
 * (the CPU's or a SPARQ_ISA cap) get a row saying they were not run.
 */
import { cpu } from '../backends/cpu/backend.js';
import type { NativeVariant } from '../native.js';
import type { KernelCheck, ValidateLevel, Values } from './check.js';
import type { WebGpuBackend } from '../backends/webgpu/backend.js';
import { gpuChecks, KERNEL_CHECKS } from './checks/index.js';

export interface ValidateOptions {
  /** Seed of every family's cases (default 1). */
  seed?: number;
  level?: ValidateLevel;
  /** Families to run (default all). */
  only?: readonly string[];
  /** Run the CPU backend's checks (default true). */
  cpu?: boolean;
  /** A WebGPU backend: its ops' checks run too. */
  gpu?: WebGpuBackend;
  /** Checks added to the built-in ones; one with a built-in family's name (and backend) replaces it (a test's deliberately wrong variant). */
  extraChecks?: readonly KernelCheck[];
  /** Called before each row runs (the CLI's progress line). */
  onRow?: (family: string, variant: string) => void;
}

export interface FirstFailure {
  seed: number;
  /** The case's index among the seed's cases, and its shape. */
  caseIndex: number;
  shape: string;
  element: number;
  got: number;
  want: number;
}

export interface ValidationRow {
  family: string;
  backend: 'cpu' | 'webgpu';
  /** The ISA the variant needs ('reference' for the TypeScript backend). */
  level: string;
  variant: string;
  /** 'pass', 'fail', or 'not run' with the reason. */
  status: 'pass' | 'fail' | 'not run';
  reason?: string;
  cases: number;
  passed: number;
  failed: number;
  worstAbsError: number;
  worstRelError: number;
  tolerance: string;
  firstFailure?: FirstFailure;
}

export interface ValidationReport {
  seed: number;
  level: ValidateLevel;
  /** The highest ISA this process runs (after any SPARQ_ISA cap), 'scalar' on the TypeScript backend. */
  isa: string;
  implementation: 'native' | 'reference';
  rows: ValidationRow[];
  ok: boolean;
}

/** Every check's family name, built-in ones first. */
export const KERNEL_FAMILIES: readonly string[] = KERNEL_CHECKS.map((c) => c.family);

/** A check's cases with each one's reference result computed once, when a row first needs it, for all its variants. */
interface Sweep { cases: unknown[]; wants: Values[] }

async function runRow(check: KernelCheck, sweep: Sweep, variant: NativeVariant | null, seed: number, implementation: string): Promise<ValidationRow> {
  const row: ValidationRow = {
    family: check.family, backend: check.backend ?? 'cpu', level: variant?.isa ?? implementation, variant: variant?.name ?? `${implementation} backend`,
    status: 'pass', cases: 0, passed: 0, failed: 0, worstAbsError: 0, worstRelError: 0, tolerance: check.tolerance,
  };
  for (const [caseIndex, c] of sweep.cases.entries()) {
    if (variant && check.accepts && !check.accepts(variant, c)) continue;
    row.cases++;
    const want = sweep.wants[caseIndex] ??= check.reference(c);
    let got: Values;
    try {
      got = await check.run(c, variant?.name);
    } catch (e) {
      // A variant that throws on a valid case fails it; the message is the shape's note.
      row.failed++;
      row.firstFailure ??= { seed, caseIndex, shape: `${check.describe(c)} (threw: ${(e as Error).message})`, element: -1, got: NaN, want: NaN };
      continue;
    }
    const d = check.compare(got, want, c);
    row.worstAbsError = Math.max(row.worstAbsError, d.worstAbs);
    row.worstRelError = Math.max(row.worstRelError, d.worstRel);
    if (d.failedAt === null) row.passed++;
    else {
      row.failed++;
      row.firstFailure ??= { seed, caseIndex, shape: check.describe(c), element: d.failedAt, got: got[d.failedAt], want: want[d.failedAt] };
    }
  }
  row.status = row.failed > 0 ? 'fail' : 'pass';
  return row;
}

/**
 * Runs the checks and returns one row per family and variant; `ok` is false
 * when any row failed. Variants run by name, so every one this CPU supports
 * is checked, not only the one dispatch picks.
 */
export async function validateKernels(options: ValidateOptions = {}): Promise<ValidationReport> {
  const seed = options.seed ?? 1, level = options.level ?? 'quick';
  const extra = options.extraChecks ?? [];
  const builtIn = [...(options.cpu === false ? [] : KERNEL_CHECKS), ...(options.gpu ? gpuChecks(options.gpu) : [])]
    .filter((c) => !extra.some((e) => e.family === c.family && (e.backend ?? 'cpu') === (c.backend ?? 'cpu')));
  const checks = [...builtIn, ...extra];
  const info = cpu.info();
  const only = options.only;
  const rows: ValidationRow[] = [];
  for (const check of checks) {
    if (only && !only.includes(check.family)) continue;
    const sweep: Sweep = { cases: check.cases(seed, level), wants: [] };
    const variants = check.variantsOf === null || info.implementation === 'reference' ? [null] : info.variants[check.variantsOf] ?? [null];
    const implementation = check.backend === 'webgpu' ? 'webgpu' : info.implementation;
    for (const variant of variants) {
      if (variant && !variant.supported) {
        rows.push({
          family: check.family, backend: 'cpu', level: variant.isa, variant: variant.name, status: 'not run',
          reason: `needs ${variant.isa}; this process runs up to ${info.isa}`, cases: 0, passed: 0, failed: 0,
          worstAbsError: 0, worstRelError: 0, tolerance: check.tolerance,
        });
        continue;
      }
      options.onRow?.(check.family, variant?.name ?? `${implementation} backend`);
      rows.push(await runRow(check, sweep, variant, seed, implementation));
    }
  }
  return { seed, level, isa: info.isa, implementation: info.implementation, rows, ok: rows.every((r) => r.status !== 'fail') };
}
