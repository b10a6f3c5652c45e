/**
 * When sparse beats dense: the crossover tables and the choice `linear` makes
 * from them. A sparse kernel's time grows with the values it stores, so each
 * format has one number per weight type and activation width: the stored
 * density at which it takes as long as the dense GEMM on the same layer.
 * A weight stored at density d in a format with crossover c costs about d / c
 * of the dense time; the cheapest format wins, dense when none is below 1.
 *
 * The crossover depends on the kernels that run, so the tables are kept per
 * ISA level of the dense GEMM variant that ran (the sparse family's variant
 * at the same ISA cap goes with it) and per thread count, measured with
 * `npm run calibrate` (bench/calibrate-crossover.ts) capped at every level
 * of the calibrating machine. linear() looks its row up by the variants that
 * run now (cpu.setIsaLimit, SPARQ_ISA and the CPU decide), levels no table
 * measured borrowing one by backends/cpu/isa-level.ts's rule; a scalar kernel on
 * one side and SIMD code on the other is not a crossover but a rule: the
 * SIMD side wins. Pass a row measured elsewhere as `crossover` to linear().
 */
import { costForIsa, runningIsa, type CostFamily } from './isa-level.js';
import { checkObject, fail } from '../../validate.js';

/** A sparse layout `linear` can run: CSR, a block shape, or N:M. */
export type SparseLayout = 'csr' | 'bsr4x1' | 'bsr8x1' | 'bsr1x4' | 'nm2:4';

/** Crossover stored densities per layout (absent: never chosen). */
export type CrossoverRow = Partial<Record<SparseLayout, number>>;

/** One weight type's rows at one ISA level and thread count: M = 1 (gemv) and M = 64 (batched). */
export interface CrossoverTable {
  gemv: CrossoverRow;
  batched: CrossoverRow;
}

/**
 * Per weight type, by the ISA of the dense GEMM variant that ran, then by
 * thread count: the crossover moves with both (AMX int8 GEMM runs 2x faster
 * than the sparse kernels on one thread but scales worse to two).
 */
export interface CrossoverTables {
  float32: Readonly<Record<string, Readonly<Record<number, CrossoverTable>>>>;
  int8: Readonly<Record<string, Readonly<Record<number, CrossoverTable>>>>;
}

/** The dense and the sparse kernel family of each weight type. */
export const CROSSOVER_FAMILIES: Record<'float32' | 'int8', { dense: CostFamily; sparse: CostFamily }> = {
  float32: { dense: 'f32-gemm', sparse: 'f32-spmm' },
  int8: { dense: 'qu8s8-gemm', sparse: 'qu8s8-spmm' },
};

/** The entry measured at the largest thread count <= `threads` (else the smallest there is). */
export function crossoverFor<T>(byThreads: Readonly<Record<number, T>>, threads: number): T {
  const counts = Object.keys(byThreads).map(Number).sort((a, b) => a - b);
  const at = counts.filter((c) => c <= threads).pop() ?? counts[0];
  return byThreads[at];
}

/**
 * The row linear() takes by default for `type` weights on `columns`
 * activation columns and `threads` threads: the table of the ISA the dense
 * GEMM runs on (`isaOf`, default: the addon's dispatch now). Sparse kernels
 * running scalar code next to a SIMD GEMM get no layout (never chosen); a
 * scalar GEMM next to SIMD sparse kernels gives every layout crossover 1
 * (chosen whenever it stores fewer values than dense).
 */
export function defaultCrossover(tables: CrossoverTables, type: 'float32' | 'int8', columns: number, threads: number,
  isaOf: (family: CostFamily) => string = runningIsa): CrossoverRow {
  const dense = isaOf(CROSSOVER_FAMILIES[type].dense), sparse = isaOf(CROSSOVER_FAMILIES[type].sparse);
  const row = columns === 1 ? 'gemv' : 'batched';
  const measured = costForIsa(tables[type], dense);
  const found = measured ? crossoverFor(measured, threads)[row] : {};
  if (dense !== 'scalar' && sparse === 'scalar') return {};
  if (dense === 'scalar' && sparse !== 'scalar') return Object.fromEntries(Object.keys(found).map((layout) => [layout, 1]));
  return found;
}

/** Layout -> { format, blockShape / n:m } as SparseMatrix.fromDense takes it. */
export const LAYOUTS: Record<SparseLayout, { format: 'csr' | 'bsr' | 'nm'; blockShape?: [number, number]; n?: number; m?: number }> = {
  csr: { format: 'csr' },
  bsr4x1: { format: 'bsr', blockShape: [4, 1] },
  bsr8x1: { format: 'bsr', blockShape: [8, 1] },
  bsr1x4: { format: 'bsr', blockShape: [1, 4] },
  'nm2:4': { format: 'nm', n: 2, m: 4 },
};

/** The density of the values each layout would store for a dense [rows, cols] weight; layouts that do not fit it exactly are left out. */
export function storedDensities(data: ArrayLike<number>, rows: number, cols: number, layouts: readonly SparseLayout[]): CrossoverRow {
  const size = rows * cols;
  const out: CrossoverRow = {};
  if (size === 0) return out;
  for (const layout of layouts) {
    const { format, blockShape, n, m } = LAYOUTS[layout];
    if (format === 'csr') {
      let nnz = 0;
      for (let i = 0; i < size; i++) if (data[i] !== 0) nnz++;
      out[layout] = nnz / size;
    } else if (format === 'bsr') {
      const [br, bc] = blockShape!;
      if (rows % br !== 0 || cols % bc !== 0) continue;
      let blocks = 0;
      for (let r0 = 0; r0 < rows; r0 += br)
        for (let c0 = 0; c0 < cols; c0 += bc) {
          let any = false;
          for (let i = 0; i < br && !any; i++) for (let j = 0; j < bc && !any; j++) any = data[(r0 + i) * cols + c0 + j] !== 0;
          if (any) blocks++;
        }
      out[layout] = (blocks * br * bc) / size;
    } else {
      // N:M only when no group holds more than n nonzeros: converting must not drop weights.
      if (cols % m! !== 0) continue;
      let fits = true;
      for (let g = 0; g < size && fits; g += m!) {
        let kept = 0;
        for (let j = 0; j < m!; j++) if (data[g + j] !== 0) kept++;
        fits = kept <= n!;
      }
      if (fits) out[layout] = n! / m!;
    }
  }
  return out;
}

/** The layout with the lowest estimated time relative to dense, or 'dense' when none is estimated faster. */
export function chooseLayout(densities: CrossoverRow, crossover: CrossoverRow): SparseLayout | 'dense' {
  let best: SparseLayout | 'dense' = 'dense';
  let bestCost = 1;
  for (const [layout, density] of Object.entries(densities) as [SparseLayout, number][]) {
    const c = crossover[layout];
    if (c === undefined || !(c > 0)) continue;
    const cost = density / c;
    if (cost < bestCost) [best, bestCost] = [layout, cost];
  }
  return best;
}

/** A caller's crossover row, checked: layout names it knows, numbers in [0, 1]. */
export function checkCrossoverRow(name: string, row: unknown): CrossoverRow {
  checkObject(name, row);
  for (const [layout, value] of Object.entries(row as object)) {
    if (!(layout in LAYOUTS)) fail(name, `has unknown layout '${layout}' (known: ${Object.keys(LAYOUTS).join(', ')})`);
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(`${name}.${layout}`, `must be a number in [0, 1], got ${String(value)}`);
  }
  return row as CrossoverRow;
}
