/**
 * `sparq bench`: --help, bad flags (exit 2, one line), --json in the
 * results schema, --out, --compare on two files this test writes (and on a
 * file that is not one), and the WebGPU rows on the adapter. Runs are kept
 * short with --only and --budget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { BenchResults } from '../../src/benchmark/results.js';
import { benchFlags } from '../../src/cli/bench.js';
import { FlagError } from '../../src/cli/conventions.js';
import { ONE_LINE, sparq } from './spawn.js';

const SHORT = ['--quick', '--budget', '10', '--threads', '1'];

describe('cli: sparq bench', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'sparq-bench-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help: usage with examples, exit 0', async () => {
    const { code, stdout, stderr } = await sparq(['bench', '--help']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^usage: sparq bench/);
    assert.match(stdout, /\nexamples:\n  sparq bench --quick\n/);
    assert.match(stdout, /sparq bench --compare /);
  });

  it('bad flags and values: one stderr line naming the flag, exit 2', async () => {
    for (const [args, message] of [[['--bogus'], /^sparq bench: Unknown option '--bogus'$/], [['--threads', '1,x'], /^sparq bench: --threads must be a positive integer, got x$/]] as const) {
      const { code, stdout, stderr } = await sparq(['bench', ...args]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr.trimEnd(), message);
      assert.equal(stdout, '');
    }
    // The rest through the parser the command runs first (FlagError is what exits 2 with its message).
    const cases: [string[], RegExp][] = [
      [['--only', 'gemm,fft'], /^--only: unknown group 'fft' \(groups: gemm, /],
      [['--isa', 'sse2'], /^--isa must be scalar or avx2 or .* got sse2$/],
      [['--backend', 'tpu'], /^--backend must be cpu or webgpu or all, got tpu$/],
      [['--budget', '0'], /^--budget must be a positive integer, got 0$/],
      [['--threads', '300'], /^--threads must be at most 256, got 300$/],
      [['--out='], /^--out needs a file name$/],
      [['--report='], /^--report needs a file name$/],
      [['--compare', 'a.json', 'b.json', '--report', 'r.html'], /^--compare reads two result files and takes only --json, not --report$/],
      [['--compare', 'a.json'], /^--compare needs two result files/],
      [['--compare', 'a.json', 'b.json', '--quick'], /^--compare reads two result files and takes only --json, not --quick$/],
      [['a.json'], /^unexpected argument 'a\.json'/],
    ];
    for (const [args, message] of cases) assert.throws(() => benchFlags(args), (e: Error) => e instanceof FlagError && message.test(e.message), args.join(' '));
    assert.deepEqual(benchFlags(['--compare', 'a.json', 'b.json', '--json']), { compare: ['a.json', 'b.json'], json: true });
  });

  it('--json: the results schema, rows with positive figures and speedup = onnxruntime p50 / sparq p50; --out writes the same', async () => {
    const out = join(dir, 'a.json');
    const { code, stdout, stderr } = await sparq(['bench', ...SHORT, '--only', 'quantize', '--backend', 'cpu', '--json', '--out', out]);
    assert.equal(code, 0, stderr);
    const r = JSON.parse(stdout) as BenchResults;
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), r);
    assert.equal(r.format, 'sparq-bench');
    assert.equal(r.version, 1);
    assert.equal(typeof r.machine.cpu.model, 'string');
    assert.ok(r.machine.cpu.model.length > 0);
    assert.deepEqual(r.options, { quick: true, threads: [1], isa: r.options.isa, backends: ['cpu'], only: ['quantize'], budgetMs: 10 });
    assert.ok(r.kernels.length > 0);
    for (const k of r.kernels) {
      assert.equal(k.group, 'quantize');
      assert.ok(k.ops > 0 && k.sparq.rate > 0 && k.sparq.p50Ms > 0 && k.sparq.p99Ms >= k.sparq.p50Ms, JSON.stringify(k));
      assert.ok(k.onnxruntime && k.onnxruntime.rate > 0);
      assert.equal(k.speedup, k.onnxruntime.p50Ms / k.sparq.p50Ms);
    }
    assert.ok(Array.isArray(r.models) && Array.isArray(r.accuracy) && Array.isArray(r.notes));
  });

  it('the example models and their accuracy: rows checked against the oracle, the tables, --report writes the HTML report', async () => {
    const [out, report] = [join(dir, 'models.json'), join(dir, 'report.html')];
    const { code, stdout, stderr } = await sparq(['bench', ...SHORT, '--only', 'models,accuracy', '--backend', 'cpu', '--out', out, '--report', report]);
    assert.equal(code, 0, stderr);
    const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    assert.equal(r.kernels.length, 0);
    const forms = r.models.map((m) => `${m.model} ${m.form}`);
    for (const model of ['fashion-mnist-cnn', 'cifar10-cnn'])
      for (const form of ['fp32', 'int8', 'fp32 90% blocks', 'int8 90% blocks']) assert.ok(forms.includes(`${model} ${form}`), `${model} ${form} in ${forms.join(', ')}`);
    for (const m of r.models) assert.ok(m.check?.pass && m.latency && m.throughput && m.latency.sparq.imagesPerSec > 0, JSON.stringify(m));
    assert.match(stdout, /^example models \(images per second/m);
    assert.match(stdout, /^fashion-mnist-cnn +int8 90% blocks +\d+% +cpu +1 +[\d.]+ +[\d.]+ +[\d.]+x +.* pass vs \w+/m);
    if (r.accuracy.length === 0) {
      assert.ok(r.notes.some((n) => n.startsWith('no accuracy rows')), r.notes.join('\n'));
      if (process.env.SPARQ_REQUIRE_FASHION_MNIST === '1') assert.fail(`no Fashion-MNIST data: ${r.notes.join('; ')}`);
    } else {
      assert.equal(r.accuracy.length, 10);
      assert.match(stdout, /^int8-90-blocks\.onnx +8-bit +blocks 4x1 +\d+% +\d\d\.\d\d% +10000$/m);
    }
    // (Dawn's own warnings may come first: machineInfo() lists the adapters.)
    assert.ok(stderr.endsWith(`sparq bench: results written to ${out} (sparq report and sparq bench --compare read them)\nsparq bench: report written to ${report} (open it in a browser)\n`), stderr);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.ok((html.match(/<svg/g) ?? []).length >= 2, 'the model charts are drawn');
  });

  it('the table: the machine line and a row per case with both rates and the speedup', async () => {
    const { code, stdout, stderr } = await sparq(['bench', ...SHORT, '--only', 'dequantize', '--backend', 'cpu']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^machine: .+ cores, .+ memory\); .+; Node v\d+/m);
    assert.match(stdout, /^isa: scalar.*; onnxruntime-node \d/m);
    assert.match(stdout, /^dequantize \(Gelem\/s\)$/m);
    assert.match(stdout, /^dequantize u8 +cpu +1048576 +dense +1 +[\d.]+ +[\d.]+ +DequantizeLinear +[\d.]+x +[\d.]+ \/ [\d.]+ +[\d.]+ \/ [\d.]+ +qx8-f32-dequantize-\S+$/m);
    assert.doesNotMatch(stderr, /bench: /, 'progress only on a terminal');
  });

  it('--compare: both machines, each row in A and B with B/A; --json gives the comparison; a file that is not results fails in one line', async () => {
    const [a, b] = [join(dir, 'x.json'), join(dir, 'y.json')];
    const run = await sparq(['bench', ...SHORT, '--only', 'quantize', '--backend', 'cpu', '--out', a]);
    assert.equal(run.code, 0, run.stderr);
    // B as another machine would write it: half the rate.
    const other = JSON.parse(readFileSync(a, 'utf8')) as BenchResults;
    other.machine.cpu.model = 'Other CPU 9000';
    other.kernels[0].sparq.rate /= 2;
    writeFileSync(b, JSON.stringify(other));
    const table = await sparq(['bench', '--compare', a, b]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^A: ${a}: .+ cores\\), ISA \\S+;`, 'm'));
    assert.match(table.stdout, new RegExp(`^B: ${b}: Other CPU 9000 `, 'm'));
    assert.match(table.stdout, /^quantize +quantize u8 +cpu +1048576 +dense +1 +Gelem\/s +[\d.]+ +[\d.]+ +0\.50x +[\d.]+x +[\d.]+x$/m);
    const json = await sparq(['bench', '--compare', a, b, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const c = JSON.parse(json.stdout);
    assert.equal(c.b.cpu, 'Other CPU 9000');
    const row = c.kernels[0];
    assert.equal(row.rate.ratio, 0.5);
    const bad = await sparq(['bench', '--compare', a, 'package.json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, ONE_LINE);
    assert.match(bad.stderr, /^sparq bench: BenchFileError: package\.json: not a sparq bench result/);
    const missing = await sparq(['bench', '--compare', a, join(dir, 'none.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /none\.json: no such file\n$/);
  });

  it('--backend webgpu: sgemm, qgemm and spmm rows on the adapter (sgemm and spmm against onnxruntime\'s WebGPU EP), or a note and no rows without one', async function () {
    const { code, stdout, stderr } = await sparq(['bench', ...SHORT, '--backend', 'webgpu', '--only', 'gemm,qgemm,spmm', '--json']);
    assert.equal(code, 0, stderr);
    const r = JSON.parse(stdout) as BenchResults;
    if (r.kernels.length === 0) {
      assert.ok(r.notes.some((n) => n.startsWith('no WebGPU adapter')), r.notes.join('\n'));
      // Without an adapter the command succeeds; CI has one, so there it is a failure.
      if (process.env.SPARQ_REQUIRE_WEBGPU === '1') assert.fail(`no WebGPU adapter: ${r.notes.join('; ')}`);
      this.skip();
    }
    assert.deepEqual([...new Set(r.kernels.map((k) => k.group))], ['gemm', 'qgemm', 'spmm']);
    for (const k of r.kernels) {
      assert.equal(k.backend, 'webgpu');
      assert.ok(k.sparq.rate > 0);
      assert.equal(k.onnxruntime?.provider ?? 'webgpu', 'webgpu');
    }
    assert.ok(r.kernels.find((k) => k.kernel === 'sgemm')!.onnxruntime);
    assert.equal(r.kernels.find((k) => k.group === 'qgemm')!.onnxruntime, null);
    assert.ok(r.notes.some((n) => /no MatMulInteger\/QLinearMatMul kernel/.test(n)));
  });
});
