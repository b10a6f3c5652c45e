import assert from 'node:assert/strict';

import { refSpmm } from '../../src/backends/reference/spmm.js';
import { cpu, LINEAR_LAYOUTS, SparseMatrix, tensor, type Tensor } from '../../src/index.js';
import { crossoverFor } from '../../src/backends/cpu/crossover.js';
import { assertClose, assertCloseNonfinite, assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';

const { linear } = cpu;
const [N, K] = [16, 24];

/** A [16, 24] weight with at most 2 nonzeros in every group of 4 along K, so every layout fits it. */
function twoOfFour<T extends Float32Array | Int8Array>(data: T, r: () => number): T {
  for (let g = 0; g < data.length; g += 4) {
    const keep = Math.floor(r() * 4);
    for (let j = 0; j < 4; j++) if (j !== keep && j !== (keep + 2) % 4) data[g + j] = 0;
    if (r() < 0.3) data[g + keep] = 0;
  }
  return data;
}

describe('linear', () => {
  it('float32: every kernel equals the reference, with bias and activation, for M = 1, 7 and 64', async () => {
    const r = rng(71);
    const w = tensor('float32', [N, K], twoOfFour(randomFloats(N * K, r), r));
    const bias = randomFloats(N, r);
    const csr = SparseMatrix.fromDense(w, { format: 'csr' });
    for (const kernel of ['dense', ...LINEAR_LAYOUTS.float32] as const) {
      const layer = linear(w, { kernel, bias });
      assert.equal(layer.kernel, kernel);
      for (const m of [1, 7, 64]) {
        const x = tensor('float32', [K, m], randomFloats(K * m, r));
        const want = refSpmm(N, m, csr.indptr, csr.indices as Int32Array, csr.values as Float32Array, x.data, bias, 0, 6);
        const got = layer.run(x, { activation: { min: 0, max: 6 } });
        assert.deepEqual(got.dims, [N, m]);
        assertClose(got.data, want, 1e-5, 1e-5, `${kernel} M=${m}`);
        assertSameArray((await layer.runAsync(x, { activation: { min: 0, max: 6 } })).data, got.data, `${kernel} M=${m} async`);
      }
    }
  });

  it('float32: every sparse kernel gives the dense kernel\'s NaN and Inf for Inf and NaN in x (async too)', async () => {
    const r = rng(73);
    const w = tensor('float32', [N, K], twoOfFour(randomFloats(N * K, r), r));
    const bias = randomFloats(N, r);
    const dense = linear(w, { kernel: 'dense', bias });
    for (const m of [1, 7, 64]) {
      const x = tensor('float32', [K, m], randomFloats(K * m, r));
      for (const [at, value] of [[0, Infinity], [Math.floor(r() * K * m), NaN], [Math.floor(r() * K * m), -Infinity], [K * m - 1, Infinity]]) x.data[at] = value;
      const want = dense.run(x).data;
      for (const kernel of LINEAR_LAYOUTS.float32) {
        const layer = linear(w, { kernel, bias });
        assertCloseNonfinite(layer.run(x).data, want, 1e-5, 1e-5, `${kernel} M=${m}`);
        assertCloseNonfinite((await layer.runAsync(x)).data, want, 1e-5, 1e-5, `${kernel} M=${m} async`);
      }
    }
  });

  it('int8: every kernel gives the same integers as the dense qgemm path, for every output kind', () => {
    const r = rng(72);
    const scale = Float32Array.from({ length: N }, () => 0.01 + r() * 0.02);
    const w = tensor('int8', [N, K], twoOfFour(randomInts(Int8Array, N * K, -128, 127, r), r), { scale, zeroPoint: new Int32Array(N), axis: 0 });
    const bias = randomInts(Int32Array, N, -5000, 5000, r);
    const dense = linear(w, { kernel: 'dense', bias });
    for (const m of [1, 5, 64]) {
      const x = tensor('uint8', [K, m], randomInts(Uint8Array, K * m, 0, 255, r), { scale: 0.05, zeroPoint: 131 });
      for (const options of [{}, { output: 'uint8' as const, outScale: 0.3, outZeroPoint: 120, activation: 'relu' as const }, { output: 'float32' as const }]) {
        const want = dense.run(x, options);
        for (const kernel of LINEAR_LAYOUTS.int8) {
          const got = linear(w, { kernel, bias }).run(x, options);
          assert.equal(got.type, want.type);
          assertSameArray(got.data, want.data, `${kernel} M=${m} ${options.output ?? 'int32'}`);
        }
      }
    }
    // The dense path itself against qgemm on the transposed operands.
    const x = tensor('uint8', [K, 3], randomInts(Uint8Array, K * 3, 0, 255, r), { zeroPoint: 7 });
    const wt = cpu.transpose(w) as Tensor<'int8'>;
    const direct = cpu.qgemm(cpu.transpose(x) as Tensor<'uint8'>, wt, { bias });
    assertSameArray(dense.run(x).data, cpu.transpose(direct).data, 'dense vs qgemm');
  });

  it("chooses from the crossover table: dense for dense weights, sparse for pruned ones, and follows a caller's table", () => {
    const r = rng(73);
    const full = tensor('float32', [64, 64], randomFloats(4096, r));
    assert.equal(linear(full).kernel, 'dense');
    const pruned = tensor('float32', [64, 64], full.data.map((v, i) => (i % 50 === 0 ? v : 0)));
    assert.notEqual(linear(pruned).kernel, 'dense');
    assert.equal(linear(pruned, { crossover: {} }).kernel, 'dense');
    assert.equal(linear(full, { crossover: { csr: 1 } }).kernel, 'dense', 'a full weight stores as much as dense');
    assert.equal(linear(pruned, { crossover: { csr: 0.5 } }).kernel, 'csr');
    assert.equal(linear(pruned).density, 82 / 4096);
    const asSparse = SparseMatrix.fromDense(pruned, { format: 'csr' });
    assert.equal(linear(asSparse, { crossover: { csr: 0.5 } }).kernel, 'csr');
  });

  it('uses the crossover table measured at the largest thread count not above the current one', () => {
    const table = (csr: number) => ({ float32: { gemv: { csr }, batched: { csr } }, int8: { gemv: { csr }, batched: { csr } } });
    const [one, two] = [table(0.1), table(0.2)];
    assert.equal(crossoverFor({ 1: one, 2: two }, 1), one);
    assert.equal(crossoverFor({ 1: one, 2: two }, 2), two);
    assert.equal(crossoverFor({ 1: one, 2: two }, 16), two);
    assert.equal(crossoverFor({ 2: two }, 1), two);
  });

  it('int8 weights with a zero point run dense only', () => {
    const w = tensor('int8', [4, 8], new Int8Array(32), { scale: 0.1, zeroPoint: 3 });
    assert.equal(linear(w).kernel, 'dense');
    assert.throws(() => linear(w, { kernel: 'csr' }), (e: Error) => e instanceof RangeError && /options\.kernel.*zero point/.test(e.message));
  });

  it('rejects bad weights, options and inputs, naming them', () => {
    const w = tensor('float32', [4, 8], new Float32Array(32).fill(1));
    assert.throws(() => linear(tensor('uint8', [4, 8]) as never), /weight/);
    assert.throws(() => linear(tensor('float32', [4, 8, 1]) as never), /weight\.dims/);
    assert.throws(() => linear(w, { kernel: 'coo' as never }), /options\.kernel/);
    assert.throws(() => linear(w, { kernel: 'nm2:4' }), /options\.kernel.*does not fit/);
    assert.throws(() => linear(w, { kernel: 'bsr1x4' }), /options\.kernel.*no float32 kernel/);
    assert.throws(() => linear(w, { bias: new Float32Array(3) }), /options\.bias/);
    assert.throws(() => linear(w, { bias: new Int32Array(4) }), /options\.bias/);
    assert.throws(() => linear(w, { columns: 0 }), /options\.columns/);
    assert.throws(() => linear(w, { crossover: { coo: 0.5 } as never }), /options\.crossover/);
    assert.throws(() => linear(w, { crossover: { csr: 2 } }), /options\.crossover\.csr/);
    assert.throws(() => linear(tensor('int8', [4, 8], undefined, { scale: Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1), axis: 1 })), /weight\.axis/);
    const layer = linear(w);
    assert.throws(() => layer.run(tensor('float32', [7, 2])), /x has 7 rows/);
    assert.throws(() => layer.run(tensor('uint8', [8, 2]) as never), /x/);
    assert.throws(() => layer.run(tensor('float32', [8, 2]), { out: new Float32Array(3) }), /options\.out/);
  });
});
