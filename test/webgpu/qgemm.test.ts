import assert from 'node:assert/strict';

import { webgpu } from '../../src/backends/webgpu/backend.js';
import { cpu, tensor, type GpuQGemmOptions, type GpuQGemmVariant, type QGemmOutput, type Tensor } from '../../src/index.js';
import { assertSameArray, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

type Weights = Tensor<'int8' | 'uint8'>;

/** Full-range weights of each kind, with nonzero zero points per tensor or per column. */
function weights(kind: 'int8' | 'uint8', perColumn: boolean, k: number, n: number, r: () => number): Weights {
  const [lo, hi] = kind === 'uint8' ? [0, 255] : [-128, 127];
  const data = kind === 'uint8' ? randomInts(Uint8Array, k * n, 0, 255, r) : randomInts(Int8Array, k * n, -128, 127, r);
  const quant = perColumn
    ? { scale: Float32Array.from({ length: n }, () => 1e-3 + r() * 0.02), zeroPoint: randomInts(Int32Array, n, lo, hi, r), axis: 1 }
    : { scale: 0.0173, zeroPoint: kind === 'uint8' ? 131 : -7 };
  return tensor(kind, [k, n], data as never, quant) as Weights;
}

function activations(m: number, k: number, zeroPoint: number, r: () => number): Tensor<'uint8'> {
  return tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.031, zeroPoint });
}

const OUTPUTS: [QGemmOutput, GpuQGemmOptions][] = [
  ['int32', {}],
  ['uint8', { outScale: 0.9, outZeroPoint: 120, activation: 'relu' }],
  ['int8', { outScale: 2.5, outZeroPoint: -3 }],
  ['float32', { activation: { min: -50, max: 1e3 } }],
];

describe('webgpu qgemm', () => {
  after(releaseGpu);

  const VARIANTS: GpuQGemmVariant[] = ['packed', 'unpacked'];

  for (const variant of VARIANTS)
    it(`equals cpu.qgemm bit for bit for every output kind, weight type and zero-point layout, on tile edges (${variant})`, async function () {
      const gpu = await gpuOrSkip(this);
      const r = rng(301);
      // K not a multiple of 4, shapes below, at and past the 32 x 32 tile and the 16-value K step.
      const shapes: [number, number, number][] = [[1, 1, 1], [7, 15, 33], [100, 257, 300], [1, 1000, 300], [65, 65, 17], [32, 32, 16], [3, 0, 5]];
      for (const [m, k, n] of shapes)
        for (const kind of ['int8', 'uint8'] as const)
          for (const perColumn of [false, true]) {
            const b = weights(kind, perColumn, k, n, r);
            const packed = gpu.packWeights(b);
            const a = activations(m, k, [0, 77, 255][Math.floor(r() * 3)], r);
            const bias = randomInts(Int32Array, n, -(2 ** 20), 2 ** 20, r);
            for (const [output, extra] of OUTPUTS) {
              const options = { ...extra, output, bias };
              const got = await gpu.qgemm(a, packed, { ...options, variant });
              const back = await gpu.download(got);
              got.dispose();
              const want = cpu.qgemm(a, b, options);
              assertSameArray(back.data, want.data, `${variant} ${m}x${k}x${n} ${kind} ${perColumn ? 'per column' : 'per tensor'} -> ${output}`);
              assert.deepEqual([back.type, back.dims, back.scale, back.zeroPoint, back.axis], [want.type, want.dims, want.scale, want.zeroPoint, want.axis]);
            }
            packed.dispose();
          }
    });

  it('measures one variant per backend, keeps it, and runs it by default', async function () {
    const gpu = await gpuOrSkip(this);
    const choice = await gpu.qgemmVariant();
    assert.ok(VARIANTS.includes(choice), choice);
    assert.equal(await gpu.qgemmVariant(), choice);
    const r = rng(304);
    const a = activations(33, 70, 5, r);
    const b = weights('uint8', true, 70, 40, r);
    const got = await gpu.qgemm(a, b);
    assertSameArray((await gpu.download(got)).data, cpu.qgemm(a, b).data, 'default variant');
    got.dispose();
    assert.equal(await gpu.qgemmVariant(), choice);
    // A fresh backend's first qgemm, timed: the measurement nests in
    // timeOnGpu, and the outer call still gets its GPU time.
    const fresh = await webgpu();
    try {
      const { gpu: onGpu } = await fresh.timeOnGpu(async () => (await fresh.qgemm(a, b)).dispose());
      assert.equal(onGpu === null, !fresh.adapter.features.includes('timestamp-query'));
      assert.ok(VARIANTS.includes(await fresh.qgemmVariant()));
    } finally {
      fresh.destroy();
    }
  });

  it('wraps int32 like the CPU, takes GPU activations and CPU weights, and walks past 65535 row tiles', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(302);
    const b = weights('uint8', true, 9, 3, r);
    const a = activations(40, 9, 255, r);
    const bias = Int32Array.of(2 ** 31 - 1, -(2 ** 31), 2 ** 30);
    const ga = gpu.upload(a);
    const got = await gpu.qgemm(ga, b, { bias });
    assertSameArray((await gpu.download(got)).data, cpu.qgemm(a, b, { bias }).data, 'wrapping, CPU weights');
    [ga, got].forEach((t) => t.dispose());
    // 65535 * 32 rows + 1: the row tiles outnumber the grid, so workgroups stride.
    const tall = activations(65535 * 32 + 1, 3, 9, r);
    const bt = weights('int8', false, 3, 1, r);
    const y = await gpu.qgemm(tall, bt, { output: 'int8', outScale: 0.5, outZeroPoint: 4 });
    assertSameArray((await gpu.download(y)).data, cpu.qgemm(tall, bt, { output: 'int8', outScale: 0.5, outZeroPoint: 4 }).data, 'tall');
    y.dispose();
  });

  it('rejects bad arguments with the CPU errors', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(303);
    const a = activations(4, 5, 3, r);
    const b = weights('int8', true, 5, 6, r);
    const cases: [unknown, unknown, unknown][] = [
      [tensor('int8', [4, 5]), b, {}],
      [a, weights('int8', false, 4, 6, r), {}],
      [a, b, { output: 'int16' }],
      [a, b, { bias: new Int32Array(5) }],
      [a, b, { output: 'uint8' }],
      [a, b, { output: 'int8', outScale: 1, outZeroPoint: 200 }],
      [a, b, { activation: 'relu' }],
      [{ ...tensor('uint8', [4, 5]), zeroPoint: 300 }, b, {}],
      [tensor('uint8', [4, 5]), b, { output: 'float32' }],
      [a, b, 7],
    ];
    for (const [ai, bi, options] of cases) {
      let expected: Error | undefined;
      try {
        cpu.qgemm(ai as never, bi as never, options as never);
      } catch (e) {
        expected = e as Error;
      }
      assert.ok(expected, `the CPU rejects ${JSON.stringify(options)}`);
      await assert.rejects(gpu.qgemm(ai as never, bi as never, options as never), (e: Error) => e.constructor === expected.constructor && e.message === expected.message);
    }
    const packed = gpu.packWeights(b);
    packed.dispose();
    await assert.rejects(gpu.qgemm(a, packed), /^TypeError: b was disposed/);
    // Float weights, as a tensor or packed for the CPU's gemm.
    await assert.rejects(gpu.qgemm(a, tensor('float32', [5, 6]) as never), /^TypeError: b must be a tensor of type 'int8' or 'uint8', got "float32"/);
    assert.throws(() => gpu.packWeights(cpu.packWeights(tensor('float32', [2, 2])) as never), /^TypeError: b must be packed int8\/uint8 weights, got float32/);
    // The GPU's own variant names, not the CPU's.
    await assert.rejects(gpu.qgemm(a, b, { variant: 'avx2' as never }), /^RangeError: options.variant must be one of 'packed', 'unpacked', got "avx2"/);
    await assert.rejects(gpu.qgemm(a, b, { variant: 1 as never }), /^TypeError: options.variant must be a string/);
  });
});
