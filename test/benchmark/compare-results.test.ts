/** compareResults / parseBenchResults: rows matched by what they measure, B/A ratios, rows one side lacks, files that are not results. */
import assert from 'node:assert/strict';

import { BenchFileError, compareResults, parseBenchResults } from '../../src/benchmark/compare-results.js';
import type { BenchResults, KernelResult, ModelResult } from '../../src/benchmark/results.js';

function kernel(shape: string, rate: number, speedup: number | null): KernelResult {
  const stats = { p50Ms: 1, p99Ms: 2, runs: 9, rate };
  return {
    group: 'gemm', kernel: 'sgemm', family: 'f32-gemm', variant: 'f32-gemm-6x16-avx2', backend: 'cpu', shape, sparsity: 0, threads: 1, ops: rate * 1e6, unit: 'GFLOP/s',
    sparq: stats, onnxruntime: speedup === null ? null : { ...stats, baseline: 'MatMul', provider: 'cpu' }, speedup,
  };
}

function model(imagesPerSec: number): ModelResult {
  const timing = { batch: 64, sparq: { p50Ms: 1, p99Ms: 1, runs: 5, imagesPerSec }, onnxruntime: null, speedup: null };
  return { model: 'cifar10-cnn', form: 'int8', precision: 'int8', sparsity: 0, backend: 'cpu', threads: 1, latency: null, throughput: timing, check: null };
}

function results(cpu: string, kernels: KernelResult[], models: ModelResult[], top1: number): BenchResults {
  return {
    format: 'sparq-bench', version: 1, createdAt: '2026-12-04T00:00:00.000Z', sparqVersion: '0.1.0',
    machine: { cpu: { model: cpu, cores: 4, arch: 'x64', isaLevels: ['scalar', 'avx2'], isaCap: 'none', isa: 'avx2' } } as BenchResults['machine'],
    options: { quick: true, threads: [1], isa: 'none', backends: ['cpu'], only: null, budgetMs: 100 },
    kernels, models,
    accuracy: [{ dataset: 'fashion-mnist', model: 'int8.onnx', precision: 'int8', bits: 8, sparsity: 0, structure: 'dense', backend: 'cpu', images: 100, top1 }],
    notes: [],
  };
}

describe('benchmark: compareResults', () => {
  it('matches rows by what they measure: B/A of the rates, both speedups, rows only one side has with null', () => {
    const a = results('CPU A', [kernel('256^3', 10, 2), kernel('gemv', 5, null)], [model(100)], 0.9);
    const b = results('CPU B', [kernel('1024^3', 7, 1), kernel('256^3', 25, 3)], [model(150)], 0.88);
    const c = compareResults(a, b, ['a.json', 'b.json']);
    assert.equal(c.a.cpu, 'CPU A');
    assert.equal(c.b.source, 'b.json');
    assert.deepEqual(c.kernels.map((k) => [k.shape, k.rate]), [
      ['256^3', { a: 10, b: 25, ratio: 2.5 }],
      ['gemv', { a: 5, b: null, ratio: null }],
      ['1024^3', { a: null, b: 7, ratio: null }],
    ]);
    assert.deepEqual(c.kernels[0].speedup, { a: 2, b: 3 });
    assert.deepEqual(c.models[0].throughput, { a: 100, b: 150, ratio: 1.5 });
    assert.deepEqual(c.models[0].latency, { a: null, b: null, ratio: null });
    assert.equal(c.accuracy[0].top1.delta!.toFixed(4), '-0.0200');
  });

  it('parseBenchResults takes a results file and rejects anything else, naming the file', () => {
    const good = results('CPU', [kernel('256^3', 1, 1)], [], 0.5);
    assert.deepEqual(parseBenchResults(JSON.stringify(good), 'a.json'), good);
    const cases: [string, RegExp][] = [
      ['{not json', /^a\.json: not JSON/],
      ['[1, 2]', /^a\.json: not a sparq bench result/],
      [JSON.stringify({ format: 'sparq-validate' }), /^a\.json: not a sparq bench result/],
      [JSON.stringify({ ...good, version: 2 }), /^a\.json: sparq-bench version 2; this sparq reads version 1$/],
      [JSON.stringify({ ...good, kernels: {} }), /^a\.json: malformed sparq-bench file \("kernels" is not an array\)$/],
      [JSON.stringify({ ...good, machine: {} }), /^a\.json: malformed sparq-bench file \(no machine\.cpu\.model\)$/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseBenchResults(text, 'a.json'), (e: Error) => e instanceof BenchFileError && message.test(e.message));
  });

  it('checks its arguments by name', () => {
    const good = results('CPU', [], [], 0.5);
    assert.throws(() => compareResults(null as unknown as BenchResults, good), { name: 'TypeError', message: /^a must be BenchResults/ });
    assert.throws(() => compareResults(good, { ...good, format: 'x' } as unknown as BenchResults), { name: 'RangeError', message: /^b\.format/ });
    assert.throws(() => compareResults(good, good, ['a'] as unknown as [string, string]), { name: 'TypeError', message: /^sources/ });
  });
});
