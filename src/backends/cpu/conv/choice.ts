/**
 * The choice among the ways to run a convolution: the cheapest by the cost
 * model (costs.ts) and the checked-in table (cost-table.ts) for the kernel
 * variants this CPU runs now (isa-level.ts, the lookup linear()'s crossover
 * shares).
 */
import { costForIsa, runningIsa, type CostFamily } from '../isa-level.js';
import { CONV_COSTS } from './cost-table.js';
import { CONV_PATH_FAMILY, costKey, convWork, type ConvCostTable, type ConvPath, type ConvShape } from './costs.js';

export interface ConvCandidate {
  path: ConvPath;
  /** Stored fraction of the weights in the path's format (1 for dense paths). */
  density: number;
}

export interface ConvChoice {
  path: ConvPath;
  /** Every candidate with the ISA it would run on and its modelled ns per pixel (Infinity: not measured). */
  costs: { path: ConvPath; isa: string; cost: number }[];
}

/**
 * The cheapest of `candidates` by `table` for the variants running now
 * (`isaOf`, default: the addon's dispatch under the ISA limit); candidates
 * on scalar kernels are dropped first when any other runs SIMD code.
 */
export function chooseConvPath(shape: ConvShape, candidates: readonly ConvCandidate[], table: ConvCostTable = CONV_COSTS,
  isaOf: (family: CostFamily) => string = runningIsa): ConvChoice {
  if (candidates.length === 0) throw new RangeError('chooseConvPath needs a candidate');
  const costs = candidates.map(({ path, density }) => {
    const isa = isaOf(CONV_PATH_FAMILY[path]);
    const entry = costForIsa(table[costKey(path, shape.uint8Input ?? false)] ?? table[path] ?? {}, isa);
    const [macs, moved] = convWork(path, shape, density);
    return { path, isa, cost: entry ? entry.mac * macs + entry.element * moved : Infinity };
  });
  const simd = costs.some((c) => c.isa !== 'scalar');
  const eligible = costs.filter((c) => !simd || c.isa !== 'scalar');
  // Unmeasured paths (Infinity) lose to measured ones; among only those, the first candidate (the caller's default) wins.
  const best = eligible.reduce((a, b) => (b.cost < a.cost ? b : a));
  return { path: best.path, costs };
}
