import assert from 'node:assert/strict';

import { cpu } from '../../src/index.js';
import { costForIsa, runningIsa, type CostFamily } from '../../src/backends/cpu/isa-level.js';
import { native, type IsaLimit } from '../../src/native.js';
import type { WindowAttributes } from '../../src/runtime/ops/conv-attributes.js';
import { chooseConvPath, chooseNhwcInt8, convCandidates, convShape } from '../../src/backends/cpu/conv/choice.js';
import { CONV_COSTS } from '../../src/backends/cpu/conv/cost-table.js';
import { CONV_PATH_FAMILY, qspmmNhwcDensity, type ConvCostTable, type ConvPath } from '../../src/backends/cpu/conv/costs.js';
import type { ConvWeightSource } from '../../src/backends/cpu/conv/layer.js';
import { prepareDirectConv } from '../../src/backends/cpu/conv/operator.js';
import { pruneBlocks, seededRandom } from '../fixtures/cifar-cnn.js';

const WINDOW: WindowAttributes = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], oneD: false };
const SHAPE = { outChannels: 64, channels: 32, kernelPositions: 9 };
const cost = (mac: number, element = 0) => ({ mac, element });

/** isaOf for a simulated CPU: each family's running ISA. */
const running = (isas: Partial<Record<CostFamily, string>>, otherwise = 'avx2') => (family: CostFamily) => isas[family] ?? otherwise;

/** The CIFAR CNN's conv2 weights (32 -> 64 channels, 3x3), dense or 90% pruned, float or int8. */
function conv2Weights(pruned: number, block: 1 | 4, int8: boolean): ConvWeightSource<'float32' | 'int8'> {
  const random = seededRandom(7);
  const w = pruneBlocks(Float32Array.from({ length: 64 * 32 * 9 }, () => random()), 64, block, pruned, 9);
  return int8 ? { type: 'int8', dims: [64, 32, 3, 3], data: Int8Array.from(w, (v) => Math.round(v * 127)), scales: Float32Array.of(0.01) } : { type: 'float32', dims: [64, 32, 3, 3], data: w };
}

/** Runs `body` at each ISA cap this CPU can take, restoring the cap it found. */
function atEachCap(body: (cap: IsaLimit) => void): void {
  const before = native()!.cpuInfo().isaLimit;
  try {
    for (const cap of ['scalar', 'avx2', 'avx512', 'avx512vnni', 'none'] as IsaLimit[]) {
      cpu.setIsaLimit(cap);
      body(cap);
    }
  } finally {
    cpu.setIsaLimit(before);
  }
}

describe('runtime: the conv path choice', () => {
  it('never picks a path on a scalar kernel while another runs SIMD code, whatever the table says', () => {
    // A table that makes the scalar direct kernels look cheapest.
    const table: ConvCostTable = {
      direct: { scalar: cost(0.001), avx2: cost(1) },
      'direct-csr': { scalar: cost(0.001), avx2: cost(1) },
      im2col: { scalar: cost(10), avx2: cost(0.5) },
    };
    const candidates = [{ path: 'direct', density: 1 }, { path: 'direct-csr', density: 0.1 }, { path: 'im2col', density: 1 }] as const;
    // AVX2 cap before the conv families had AVX2 variants: only the GEMM runs SIMD.
    const before = chooseConvPath(SHAPE, candidates, table, running({ 'f32-conv2d': 'scalar', 'f32-spconv2d': 'scalar' }));
    assert.equal(before.path, 'im2col');
    assert.deepEqual(before.costs.map((c) => c.isa), ['scalar', 'scalar', 'avx2']);
    // And the other way round: a SIMD direct kernel against a scalar GEMM.
    assert.equal(chooseConvPath(SHAPE, candidates, table, running({ 'f32-conv2d': 'avx2', 'f32-spconv2d': 'scalar', 'f32-gemm': 'scalar' })).path, 'direct');
    // Once the direct kernels run AVX2 code, their costs decide.
    assert.equal(chooseConvPath(SHAPE, candidates, table, running({})).path, 'direct-csr');
    // Everything scalar: the costs decide among scalar kernels.
    assert.equal(chooseConvPath(SHAPE, candidates, table, () => 'scalar').path, 'direct-csr');
  });

  it('models a path as multiply-adds at its density plus moved values, by the running ISA\'s entry', () => {
    const table: ConvCostTable = { direct: { avx512: cost(2, 3) }, 'direct-block4': { avx512: cost(1, 1) }, im2col: { avx2: cost(100) } };
    const choice = chooseConvPath(SHAPE, [{ path: 'direct', density: 1 }, { path: 'direct-block4', density: 0.25 }, { path: 'im2col', density: 1 }], table, running({}, 'avx512'));
    const macs = 64 * 32 * 9;
    assert.deepEqual(choice.costs, [
      // The direct kernels move the 64 outputs per pixel.
      { path: 'direct', isa: 'avx512', cost: 2 * macs + 3 * 64 },
      { path: 'direct-block4', isa: 'avx512', cost: macs * 0.25 + 64 },
      // avx512 borrows avx2's entry; im2col moves a 288-value row and 64 results per pixel.
      { path: 'im2col', isa: 'avx512', cost: 100 * macs },
    ]);
    assert.equal(choice.path, 'direct-block4');
  });

  it('borrows costs for ISA levels no calibration measured by the stated rule, scalar only for scalar', () => {
    const byIsa = { scalar: 's', avx2: 'a2', avx512: 'a5', avx512vnni: 'v' };
    assert.equal(costForIsa(byIsa, 'amx'), 'v');
    assert.equal(costForIsa(byIsa, 'neon'), 'a2');
    assert.equal(costForIsa(byIsa, 'neondot'), 'a2');
    assert.equal(costForIsa({ scalar: 's', avx512: 'a5' }, 'avx2'), 'a5', 'a SIMD ISA takes the lowest measured SIMD level before scalar');
    assert.equal(costForIsa({ scalar: 's', avx512: 'a5' }, 'scalar'), 's');
    assert.equal(costForIsa({ avx2: 'a2' }, 'scalar'), undefined, 'a scalar kernel never takes a SIMD cost');
    assert.equal(costForIsa({ scalar: 's' }, 'neon'), 's', 'the last resort of a table that measured nothing else');
  });

  it('an unmeasured path loses to a measured one', () => {
    const choice = chooseConvPath(SHAPE, [{ path: 'direct-int8', density: 1 }, { path: 'im2col-int8', density: 1 }], { 'im2col-int8': { avx2: cost(1) } }, running({}));
    assert.equal(choice.path, 'im2col-int8');
    assert.equal(choice.costs[0].cost, Infinity);
  });

  it('offers int8 blocks only where qu8s8-conv2d runs SIMD code, and sparse formats only when asked', () => {
    atEachCap(() => {
      const paths = (w: ConvWeightSource<'float32' | 'int8'>, sparse: boolean) => convCandidates(w, WINDOW, sparse).map((c) => c.path).sort();
      assert.deepEqual(paths(conv2Weights(0.9, 1, false), false), ['direct', 'im2col']);
      assert.deepEqual(paths(conv2Weights(0.9, 1, false), true), ['direct', 'direct-block4', 'direct-csr', 'im2col']);
      const int8 = runningIsa('qu8s8-conv2d') !== 'scalar' ? ['direct-int8'] : [];
      assert.deepEqual(paths(conv2Weights(0.9, 4, true), true), ['direct', 'direct-block4', 'direct-csr', ...int8, 'im2col-int8'].sort());
    });
  });

  it('the session\'s choice at every ISA cap runs on SIMD kernels where any candidate does, from the checked-in table, strided too', () => {
    atEachCap((cap) => {
      for (const window of [WINDOW, { ...WINDOW, strides: [2, 2] as [number, number] }])
        for (const [pruned, block, int8] of [[0, 1, false], [0.9, 1, false], [0.9, 4, false], [0, 1, true], [0.9, 4, true]] as const) {
          const w = conv2Weights(pruned, block, int8);
          const candidates = convCandidates(w, window, true);
          const choice = chooseConvPath(convShape(w, window), candidates, CONV_COSTS);
          const isa = (path: ConvPath) => runningIsa(CONV_PATH_FAMILY[path]);
          if (candidates.some((c) => isa(c.path) !== 'scalar')) assert.notEqual(isa(choice.path), 'scalar', `cap ${cap}: ${choice.path} on scalar code`);
          assert.ok(Number.isFinite(choice.costs.find((c) => c.path === choice.path)!.cost), `cap ${cap}: ${choice.path} has no measured cost`);
          // prepareDirectConv packs exactly that choice (undefined: the im2col path).
          const direct = prepareDirectConv(w, 1, window, true);
          assert.equal(direct?.label ?? 'im2col', choice.path.startsWith('im2col') ? 'im2col' : `conv-${choice.path}`, `cap ${cap}`);
          direct?.weights.dispose();
        }
    });
  });

  it('grouped convs keep the im2col path; strided ones are offered every direct path (dense, CSR, [4 x 1] and int8 blocks), their phase copy counted', () => {
    const w = conv2Weights(0, 1, false);
    assert.equal(prepareDirectConv({ ...w, dims: [64, 16, 3, 3] }, 2, WINDOW, true), undefined);
    const strided = { ...WINDOW, strides: [2, 2] as [number, number] };
    atEachCap(() => {
      const int8 = runningIsa('qu8s8-conv2d') !== 'scalar' ? ['direct-int8'] : [];
      assert.deepEqual(convCandidates(conv2Weights(0.9, 4, true), strided, true).map((c) => c.path), ['direct', 'im2col-int8', 'direct-csr', 'direct-block4', ...int8]);
    });
    assert.deepEqual([convShape(w, strided).phases, convShape(w, { kernel: [1, 1], strides: [2, 2] }).phases, convShape(w, { kernel: [7, 7], strides: [2, 1] }).phases, convShape(w, WINDOW).phases], [4, 1, 2, 0]);
    // The direct path moves its 64 outputs and 32 channels x 4 phases per pixel; im2col as at stride 1.
    const table: ConvCostTable = { direct: { avx2: cost(1, 1) }, im2col: { avx2: cost(1, 1) } };
    const choice = chooseConvPath(convShape(w, strided), [{ path: 'direct', density: 1 }, { path: 'im2col', density: 1 }], table, running({}));
    assert.deepEqual(choice.costs.map((c) => c.cost), [64 * 32 * 9 + 64 + 32 * 4, 64 * 32 * 9 + 32 * 9 + 64]);
  });

  it('NHWC int8 products: sparse where the table models it cheaper than the dense GEMM, with its relative time; never on scalar next to SIMD or unmeasured', () => {
    // K = 96, OC = 576: dense 96 * 576 + 576 = 55872; sparse at 10% 5529.6 + 2 * 576 = 6681.6.
    const table: ConvCostTable = { 'nhwc-gemm-int8': { avx2: cost(1, 1) }, 'nhwc-spmm-int8': { avx2: cost(1, 2) } };
    const sparse = chooseNhwcInt8(96, 576, 0.1, table, running({}));
    assert.equal(sparse.path, 'sparse');
    assert.ok(Math.abs(sparse.relative - 6681.6 / 55872) < 1e-9, String(sparse.relative));
    // Moves dominate a product of few values per output: K = 8 at 10%, sparse 460.8 + 20 * 576 against dense 5184.
    assert.equal(chooseNhwcInt8(8, 576, 0.1, { ...table, 'nhwc-spmm-int8': { avx2: cost(1, 20) } }, running({})).path, 'dense');
    assert.deepEqual(chooseNhwcInt8(96, 576, 0.1, table, running({ 'qu8s8-spmm': 'scalar' })), { path: 'dense', relative: 1 });
    assert.deepEqual(chooseNhwcInt8(96, 576, 0.1, { 'nhwc-spmm-int8': table['nhwc-spmm-int8'] }, running({})), { path: 'dense', relative: 1 });
    assert.deepEqual(chooseNhwcInt8(96, 576, 0.1, { 'nhwc-gemm-int8': table['nhwc-gemm-int8'] }, running({})), { path: 'dense', relative: 1 });
  });

  it('the channels-last sparse density counts each 8-channel block\'s union of 4-channel groups, for all its channels', () => {
    // W [10, 6]: row 0 stores group 0, row 7 groups 0 and 1 (the short one), row 9 group 1; blocks rows 0-7 and 8-9.
    const w = new Int8Array(60);
    w[0] = 1;
    w[7 * 6 + 1] = -2;
    w[7 * 6 + 5] = 3;
    w[9 * 6 + 4] = 4;
    assert.equal(qspmmNhwcDensity(w, 10, 6), (8 * 2 + 8 * 1) / (10 * 2));
    assert.equal(qspmmNhwcDensity(new Int8Array(60), 10, 6), 0);
    assert.equal(qspmmNhwcDensity(new Int8Array(0), 0, 6), 0);
  });

  it('variant lists report support under the ISA cap set at run time', () => {
    atEachCap((cap) => {
      const isas = Object.values(cpu.info().variants).flat().filter((v) => v.supported).map((v) => v.isa);
      if (cap === 'scalar') assert.deepEqual([...new Set(isas)], ['scalar']);
      if (cap === 'avx2') assert.ok(isas.every((isa) => isa === 'scalar' || isa === 'avx2'), isas.join(', '));
    });
  });
});
