/**
 * When sparse beats dense: the crossover table and the choice `linear` makes
 * from it. A sparse kernel's time grows with the values it stores, so each
 * format has one number per weight type and activation width: the stored
 * density at which it takes as long as the dense GEMM on the same layer.
 * A weight stored at density d in a format with crossover c costs about d / c
 * of the dense time; the cheapest format wins, dense when none is below 1.
 *
 * The defaults were measured on this project's reference machine with
 * `npm run calibrate` (bench/calibrate-crossover.ts), on 1 and 2 threads; it
 * prints the tables for the machine it runs on: pass a row of them as
 * `crossover` to linear() to use it.
 */
import { checkObject, fail } from '../validate.js';

/** A sparse layout `linear` can run: CSR, a block shape, or N:M. */
export type SparseLayout = 'csr' | 'bsr4x1' | 'bsr8x1' | 'bsr1x4' | 'nm2:4';

/** Crossover stored densities per layout (absent: never chosen). */
export type CrossoverRow = Partial<Record<SparseLayout, number>>;

export interface CrossoverTable {
  float32: { gemv: CrossoverRow; batched: CrossoverRow };
  int8: { gemv: CrossoverRow; batched: CrossoverRow };
}

/**
 * Tables by thread count: the crossover moves with it (AMX int8 GEMM runs
 * 2x faster than the sparse kernels on one thread of the reference machine
 * but scales worse to two).
 */
export type CrossoverTables = Readonly<Record<number, CrossoverTable>>;

/** The table measured at the largest thread count <= `threads` (else the smallest there is). */
export function crossoverFor(tables: CrossoverTables, threads: number): CrossoverTable {
  const counts = Object.keys(tables).map(Number).sort((a, b) => a - b);
  const at = counts.filter((c) => c <= threads).pop() ?? counts[0];
  return tables[at];
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
