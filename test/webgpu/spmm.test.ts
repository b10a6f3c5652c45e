import assert from 'node:assert/strict';

import { refSpmm, storedAsCsr } from '../../src/backends/reference/spmm.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/backend.js';
import type { GpuSpmmOptions, GpuSpmmReduction } from '../../src/backends/webgpu/spmm.js';
import { cpu, SparseMatrix, tensor, type Tensor } from '../../src/index.js';
import type { FromDenseOptions } from '../../src/sparse/sparse-matrix.js';
import { assertClose, assertCloseNonfinite, randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/** The formats the WebGPU spmm runs, as fromDense options. */
const NM_FORMATS: readonly FromDenseOptions[] = [{ format: 'nm', n: 2, m: 4 }, { format: 'nm', n: 3, m: 8 }];
const FORMATS: readonly FromDenseOptions[] = [
  { format: 'csr' }, ...[4, 8].map((r) => ({ format: 'bsr' as const, blockShape: [r, 1] as const })), ...NM_FORMATS,
];
const formatName = (f: FromDenseOptions) => (f.format === 'bsr' ? `bsr [${f.blockShape}]` : f.format === 'nm' ? `nm ${f.n}:${f.m}` : f.format);
/** k rounded up to a whole number of nm groups (nm needs m to divide K). */
const groupedK = (k: number, f: FromDenseOptions) => (f.format === 'nm' ? Math.ceil(k / f.m!) * f.m! : k);

/**
 * Both reductions. 'workgroup' is also what runs on an adapter without
 * 'subgroups'; 'subgroup' skips where the adapter lacks the feature.
 */
const REDUCTIONS: readonly GpuSpmmReduction[] = ['workgroup', 'subgroup'];

const CASES = REDUCTIONS.flatMap((reduction) => FORMATS.map((format) => [reduction, format] as const));

/** The shared backend, the test skipped when `reduction` needs a feature it lacks. */
async function gpuFor(context: Mocha.Context, reduction: GpuSpmmReduction): Promise<WebGpuBackend> {
  const gpu = await gpuOrSkip(context);
  if (reduction === 'subgroup' && !gpu.adapter.features.includes('subgroups')) context.skip();
  return gpu;
}

/** Float tolerance against the double-precision reference (inputs in [-1, 1]), as for the CPU kernels. */
const tolerance = (k: number) => ({ rtol: 1e-5, atol: 1e-5 + k * 2e-7 });

/** W[n, k] with `density` of its entries kept (whole blocks for bsr), random values. */
function prunedWeights(n: number, k: number, density: number, r: () => number, options: FromDenseOptions) {
  const rowsPerBlock = options.format === 'bsr' ? options.blockShape![0] : 1;
  const keep = Array.from({ length: (n / rowsPerBlock) * k }, () => r() < density);
  const d = randomFloats(n * k, r);
  for (let i = 0; i < d.length; i++) if (!keep[Math.floor(i / k / rowsPerBlock) * k + (i % k)]) d[i] = 0;
  return SparseMatrix.fromDense(tensor('float32', [n, k], d), options) as SparseMatrix<'float32'>;
}

function reference(w: SparseMatrix<'float32'>, m: number, x: Float32Array, bias?: Float32Array, min = -Infinity, max = Infinity) {
  const csr = storedAsCsr(w);
  return refSpmm(w.dims[0], m, csr.indptr, csr.indices, csr.values, x, bias, min, max);
}

/** gpu.spmm, downloaded, its GPU result freed. */
async function spmmData(gpu: WebGpuBackend, w: SparseMatrix<'float32'>, x: Tensor<'float32'>, options?: GpuSpmmOptions) {
  const y = await gpu.spmm(w, x, options);
  const got = await gpu.download(y);
  y.dispose();
  return got;
}

describe('webgpu f32-spmm-wgsl', () => {
  after(releaseGpu);

  for (const [reduction, format] of CASES)
    it(`${formatName(format)} equals the reference at densities 0-100%, odd shapes, M = 1 and empty rows (${reduction} reduction)`, async function () {
      const gpu = await gpuFor(this, reduction);
      const r = rng(61);
      for (const density of [0, 0.01, 0.1, 0.5, 1])
        // M covers one invocation's columns, partial and several column tiles (WG_M * 4 = 256 at M > 128).
        for (const [n, kIn, m] of [[8, 8, 1], [8, 1000, 1], [16, 24, 2], [40, 33, 5], [24, 48, 17], [64, 72, 64], [136, 20, 65], [8, 7, 300]]) {
          const k = groupedK(kIn, format);
          const w = prunedWeights(n, k, density, r, format);
          const x = randomFloats(k * m, r), bias = randomFloats(n, r);
          const got = await spmmData(gpu, w, tensor('float32', [k, m], x), { bias, reduction });
          assert.deepEqual(got.dims, [n, m]);
          const { rtol, atol } = tolerance(k);
          assertClose(got.data, reference(w, m, x, bias), rtol, atol, `${formatName(format)} ${n}x${k}x${m} density ${density}`);
        }
    });

  for (const [reduction, format] of CASES)
    it(`${formatName(format)} with one stored weight, and ReLU and clamp (${reduction} reduction)`, async function () {
      const gpu = await gpuFor(this, reduction);
      const r = rng(62);
      const [n, k] = [16, 24];
      const dense = new Float32Array(n * k);
      dense[9 * k + 17] = 1.5;
      const single = SparseMatrix.fromDense(tensor('float32', [n, k], dense), format) as SparseMatrix<'float32'>;
      for (const m of [1, 33]) {
        const x = randomFloats(k * m, r);
        const got = await spmmData(gpu, single, tensor('float32', [k, m], x), { reduction });
        assertClose(got.data, reference(single, m, x), 1e-6, 1e-6, `single m=${m}`);
        const w = prunedWeights(n, k, 0.3, r, format);
        const relu = await spmmData(gpu, w, tensor('float32', [k, m], x), { activation: 'relu', reduction });
        assertClose(relu.data, reference(w, m, x, undefined, 0), 1e-5, 1e-5, `relu m=${m}`);
        const clamped = await spmmData(gpu, w, tensor('float32', [k, m], x), { activation: { min: -0.1, max: 0.2 }, reduction });
        assertClose(clamped.data, reference(w, m, x, undefined, Math.fround(-0.1), Math.fround(0.2)), 1e-5, 1e-5, `clamp m=${m}`);
      }
    });

  for (const format of [{ format: 'csr' } as const, ...NM_FORMATS])
    it(`${formatName(format)} chains on the GPU: weight uploaded once, a result fed to the next call, rows with very different numbers of nonzeros`, async function () {
      const gpu = await gpuOrSkip(this);
      const r = rng(63);
      const [n, k, m] = [48, 48, 9];
      // Row i keeps about i / n of its entries (nm: at most n per group), so csr's row order differs from row order.
      const d = randomFloats(n * k, r).map((v, i) => (r() < Math.floor(i / k) / n ? v : 0));
      const w = SparseMatrix.fromDense(tensor('float32', [n, k], d), format) as SparseMatrix<'float32'>;
      const gw = gpu.uploadSparse(w);
      const x = randomFloats(k * m, r);
      const h = await gpu.spmm(gw, tensor('float32', [k, m], x), { activation: 'relu' });
      const y = await gpu.spmm(gw, h);
      const got = (await gpu.download(y)).data;
      [h, y, gw].forEach((t) => t.dispose());
      const want = reference(w, m, Float32Array.from(reference(w, m, x, undefined, 0)));
      assertClose(got, want, 1e-5, 1e-4, 'two layers');
      await assert.rejects(gpu.spmm(gw, tensor('float32', [k, m], x)), /^TypeError: w was disposed/);
    });

  // The CPU's contract: an unstored weight is an exact 0, and 0 x Inf =
  // 0 x NaN = NaN, so every output the dense product makes NaN is NaN here
  // too (and the clamp keeps NaN, where WGSL's clamp gives the bound).
  for (const [reduction, format] of CASES)
    it(`${formatName(format)}: Inf and NaN in x give the dense product's NaN and Inf, with and without bias and ReLU (${reduction} reduction)`, async function () {
      const gpu = await gpuFor(this, reduction);
      const r = rng(64);
      for (const [n, kIn, m] of [[8, 24, 1], [16, 40, 9], [24, 48, 300]])
        for (const options of [{}, { bias: randomFloats(n, r), activation: 'relu' as const }]) {
          const k = groupedK(kIn, format);
          const w = prunedWeights(n, k, 0.3, r, format);
          const x = randomFloats(k * m, r);
          const at = () => Math.floor(r() * k * m);
          for (const value of [Infinity, NaN, -Infinity, Infinity]) x[at()] = value;
          x[k * m - 1] = Infinity;
          // The dense product on the CPU (W x = (x^T W^T)^T), whose NaN propagation is the contract.
          const xt = cpu.transpose(tensor('float32', [k, m], x)) as Tensor<'float32'>;
          const dense = cpu.transpose(cpu.gemm(xt, cpu.transpose(w.toDense()) as Tensor<'float32'>, options)).data;
          const got = await spmmData(gpu, w, tensor('float32', [k, m], x), { ...options, reduction });
          const { rtol, atol } = tolerance(k);
          assertCloseNonfinite(got.data, dense, rtol, atol, `${formatName(format)} ${n}x${k}x${m}${options.bias ? ' bias relu' : ''}`);
        }
    });

  it('covers more row blocks than one dispatch dimension holds', async function () {
    this.timeout(300000);
    const gpu = await gpuOrSkip(this);
    const rows = 65535 + 70, k = 3;
    // Row i stores (i % 3) entries: columns 0.. with value 1, 2, ...
    const lengths = Array.from({ length: rows }, (_, i) => i % 3);
    const indptr = new Int32Array(rows + 1);
    lengths.forEach((l, i) => (indptr[i + 1] = indptr[i] + l));
    const indices = Int32Array.from(lengths.flatMap((l) => Array.from({ length: l }, (_, j) => j)));
    const values = Float32Array.from(lengths.flatMap((l) => Array.from({ length: l }, (_, j) => j + 1)));
    const w = SparseMatrix.fromCsr<'float32'>([rows, k], indptr, indices, values);
    const got = (await spmmData(gpu, w, tensor('float32', [k, 1], Float32Array.of(1, 10, 100)))).data;
    for (const row of [0, 1, 2, 65534, 65535, 65536, rows - 1]) assert.equal(got[row], [0, 1, 21][row % 3], `row ${row}`);
  });

  it('rejects bad arguments with the CPU backend errors', async function () {
    const gpu = await gpuOrSkip(this);
    const w = SparseMatrix.fromDense(tensor('float32', [2, 3], Float32Array.of(1, 0, 2, 0, 3, 0)), { format: 'csr' }) as SparseMatrix<'float32'>;
    const cases: [string, unknown, unknown, unknown][] = [
      ['dense weights', tensor('float32', [2, 3]), tensor('float32', [3, 1]), undefined],
      ['a bsr block shape without a kernel', SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'bsr', blockShape: [1, 4] }), tensor('float32', [4, 1]), undefined],
      ['int8 weights', SparseMatrix.fromDense(tensor('int8', [2, 3]), { format: 'csr' }), tensor('float32', [3, 1]), undefined],
      ['x of rank 1', w, tensor('float32', [3]), undefined],
      ['int32 x', w, tensor('int32', [3, 1]), undefined],
      ['mismatched K', w, tensor('float32', [4, 1]), undefined],
      ['a bias of the wrong length', w, tensor('float32', [3, 1]), { bias: new Float32Array(3) }],
      ['a bad activation', w, tensor('float32', [3, 1]), { activation: 'gelu' }],
      ['options not an object', w, tensor('float32', [3, 1]), 7],
    ];
    for (const [what, wArg, xArg, options] of cases) {
      let cpuError: Error | undefined;
      try {
        cpu.spmm(wArg as never, xArg as never, options as never);
      } catch (e) {
        cpuError = e as Error;
      }
      assert.ok(cpuError, `cpu accepts ${what}`);
      await assert.rejects(gpu.spmm(wArg as never, xArg as never, options as never), (e: Error) => {
        assert.equal(e.constructor, cpuError!.constructor, what);
        assert.equal(e.message, cpuError!.message, what);
        return true;
      });
    }
    const x = tensor('float32', [3, 1]);
    await assert.rejects(gpu.spmm(w, x, { reduction: 'warp' as never }), /^RangeError: options.reduction must be one of 'subgroup', 'workgroup', got "warp"/);
    await assert.rejects(gpu.spmm(w, x, { reduction: 1 as never }), /^TypeError: options.reduction must be a string, got number/);
    if (!gpu.adapter.features.includes('subgroups'))
      await assert.rejects(gpu.spmm(w, x, { reduction: 'subgroup' }), /^RangeError: options.reduction is 'subgroup' but this adapter has no 'subgroups' feature/);
  });
});
