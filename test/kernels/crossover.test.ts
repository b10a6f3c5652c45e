import assert from 'node:assert/strict';

import { cpu, DEFAULT_CROSSOVER, tensor } from '../../src/index.js';
import { costForIsa, runningIsa, type CostFamily } from '../../src/backends/cpu/isa-level.js';
import { native, type IsaLimit } from '../../src/native.js';
import { chooseLayout, CROSSOVER_FAMILIES, crossoverFor, defaultCrossover, storedDensities, type CrossoverTables } from '../../src/backends/cpu/crossover.js';
import { rng } from '../helpers.js';

/** A table whose csr crossover names its ISA level and thread count. */
const row = (csr: number) => ({ gemv: { csr: csr / 2 }, batched: { csr, bsr4x1: csr } });
const TABLES: CrossoverTables = {
  float32: { scalar: { 1: row(0.1) }, avx2: { 1: row(0.2), 2: row(0.22) }, avx512: { 1: row(0.3) } },
  int8: { scalar: { 1: row(0.05) }, avx2: { 1: row(0.15) }, avx512vnni: { 1: row(0.25) } },
};
const running = (isas: Partial<Record<CostFamily, string>>) => (family: CostFamily) => isas[family] ?? 'avx2';

describe('sparse: the crossover tables per ISA level', () => {
  it('look the row up by the ISA the dense GEMM runs on, then the thread count', () => {
    assert.deepEqual(defaultCrossover(TABLES, 'float32', 64, 1, running({ 'f32-gemm': 'avx512', 'f32-spmm': 'avx512' })), row(0.3).batched);
    assert.deepEqual(defaultCrossover(TABLES, 'float32', 1, 1, running({})), row(0.2).gemv);
    assert.deepEqual(defaultCrossover(TABLES, 'float32', 64, 8, running({})), row(0.22).batched);
    assert.deepEqual(defaultCrossover(TABLES, 'int8', 64, 2, () => 'scalar'), row(0.05).batched);
    // Unmeasured levels borrow: AMX the VNNI table, NEON (and its dot products) AVX2's.
    assert.deepEqual(defaultCrossover(TABLES, 'int8', 64, 1, running({ 'qu8s8-gemm': 'amx', 'qu8s8-spmm': 'avx512vnni' })), row(0.25).batched);
    assert.deepEqual(defaultCrossover(TABLES, 'int8', 64, 1, () => 'neondot'), row(0.15).batched);
    assert.deepEqual(defaultCrossover(TABLES, 'float32', 64, 1, () => 'neon'), row(0.2).batched);
  });

  it('never chooses a scalar kernel against SIMD code on the other side', () => {
    // Sparse kernels scalar, GEMM SIMD: no layout.
    assert.deepEqual(defaultCrossover(TABLES, 'float32', 64, 1, running({ 'f32-spmm': 'scalar' })), {});
    assert.equal(chooseLayout({ csr: 0.01 }, defaultCrossover(TABLES, 'float32', 64, 1, running({ 'f32-spmm': 'scalar' }))), 'dense');
    // GEMM scalar, sparse kernels SIMD: every layout that stores less than dense wins.
    const simdSparse = defaultCrossover(TABLES, 'float32', 64, 1, running({ 'f32-gemm': 'scalar' }));
    assert.deepEqual(simdSparse, { csr: 1, bsr4x1: 1 });
    assert.equal(chooseLayout({ csr: 0.95 }, simdSparse), 'csr');
  });

  it('crossoverFor takes the largest measured thread count not above the one asked', () => {
    assert.equal(crossoverFor({ 1: 'one', 2: 'two' }, 16), 'two');
    assert.equal(crossoverFor({ 2: 'two', 4: 'four' }, 1), 'two');
  });

  it('the checked-in table has the levels calibration measures, with crossovers in [0, 1]', () => {
    for (const type of ['float32', 'int8'] as const) {
      const levels = Object.keys(DEFAULT_CROSSOVER[type]);
      assert.ok(levels.includes('scalar') && levels.includes('avx2'), `${type}: ${levels}`);
      for (const byThreads of Object.values(DEFAULT_CROSSOVER[type]))
        for (const table of Object.values(byThreads))
          for (const value of [...Object.values(table.gemv), ...Object.values(table.batched)]) assert.ok(value! >= 0 && value! <= 1);
    }
  });

  it('linear() follows the ISA cap set at run time', () => {
    const before = native()!.cpuInfo().isaLimit;
    const r = rng(3);
    const data = Float32Array.from({ length: 64 * 64 }, () => (r() < 0.3 ? r() - 0.5 : 0));
    const w = tensor('float32', [64, 64], data);
    const densities = storedDensities(data, 64, 64, ['csr', 'bsr4x1', 'bsr8x1', 'nm2:4']);
    try {
      for (const cap of ['scalar', 'avx2', 'avx512', 'none'] as IsaLimit[]) {
        cpu.setIsaLimit(cap);
        const isa = runningIsa(CROSSOVER_FAMILIES.float32.dense);
        if (cap === 'scalar') assert.equal(isa, 'scalar');
        const expected = chooseLayout(densities, crossoverFor(costForIsa(DEFAULT_CROSSOVER.float32, isa)!, cpu.info().threads).batched);
        const layer = cpu.linear(w);
        assert.equal(layer.kernel, expected, `cap ${cap} (${isa})`);
        layer.dispose();
      }
    } finally {
      cpu.setIsaLimit(before);
    }
  });
});
