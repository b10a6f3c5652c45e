/**
 * `sparq validate`: passes here at the best ISA and under SPARQ_ISA=avx2
 * (the variants above the cap listed as not run), catches the test-only
 * injected fault with a rerun line that reproduces it, --json, --help,
 * --backend webgpu, and bad flags (exit 2, one line).
 */
import assert from 'node:assert/strict';

import { FlagError } from '../../src/cli/conventions.js';
import { validateFlags } from '../../src/cli/validate.js';
import { KERNEL_FAMILIES } from '../../src/validate-kernels/index.js';
import { ONE_LINE, sparq } from './spawn.js';

describe('cli: sparq validate', function () {
  this.timeout(120_000);

  it('--quick passes at the best ISA: every family in the table, no failure', async () => {
    const { code, stdout } = await sparq(['validate', '--quick']);
    assert.equal(code, 0, stdout);
    for (const family of KERNEL_FAMILIES) assert.match(stdout, new RegExp(`^${family} +cpu +\\S+ +${family}-\\S+ +pass`, 'm'));
    assert.doesNotMatch(stdout, /FAIL/);
    assert.match(stdout, /^all \d+ rows passed$/m);
  });

  it('under SPARQ_ISA=avx2 passes, running no variant above AVX2 and saying so', async () => {
    const { code, stdout } = await sparq(['validate'], { SPARQ_ISA: 'avx2' });
    assert.equal(code, 0, stdout);
    assert.match(stdout, /ISA up to avx2/);
    for (const line of stdout.split('\n').filter((l) => / cpu +(avx512|avx512vnni|amx) /.test(l))) assert.match(line, / not run /);
    assert.match(stdout, /^f32-gemm +cpu +avx2 +f32-gemm-\S+-avx2 +pass/m);
    assert.match(stdout, /^not run: \d+ variants above this process's ISA \(avx2/m);
  });

  it('catches the injected fault: exit 1, the family failed with its seed and shape, and the rerun reproduces it', async () => {
    const env = { SPARQ_VALIDATE_INJECT_FAULT: 'qu8s8-gemm' };
    const first = await sparq(['validate', '--seed', '3'], env);
    assert.equal(first.code, 1, first.stdout);
    assert.match(first.stdout, /^qu8s8-gemm +cpu +\S+ +qu8s8-gemm-\S+ +FAIL/m);
    assert.match(first.stdout, /^f32-gemm +cpu +\S+ +\S+ +pass/m);
    const failure = /^FAIL qu8s8-gemm (\S+): case (\d+) \((.*)\), element (\d+): got (-?\d+), expected (-?\d+); rerun: sparq (validate --seed 3 --only qu8s8-gemm)$/m.exec(first.stdout);
    assert.ok(failure, first.stdout);
    assert.equal(Number(failure[5]), Number(failure[6]) + 1);
    const again = await sparq(failure[7].split(' '), env);
    assert.equal(again.code, 1);
    assert.ok(again.stdout.includes(failure[0]), again.stdout);
    assert.match(again.stdout, /^1 of 1 rows FAILED$|^\d+ of \d+ rows FAILED$/m);
  });

  it('--json: the report with a row per family and variant', async () => {
    const { code, stdout } = await sparq(['validate', '--json', '--only', 'x32-transpose,f32-qx8-quantize', '--seed', '9']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.deepEqual(Object.keys(report).sort(), ['implementation', 'isa', 'level', 'ok', 'rows', 'seed']);
    assert.equal(report.seed, 9);
    assert.equal(report.level, 'quick');
    assert.equal(report.ok, true);
    assert.deepEqual([...new Set(report.rows.map((r: { family: string }) => r.family))], ['f32-qx8-quantize', 'x32-transpose']);
    for (const row of report.rows) {
      for (const key of ['family', 'backend', 'level', 'variant', 'status', 'cases', 'passed', 'failed', 'worstAbsError', 'worstRelError', 'tolerance']) assert.ok(key in row, key);
      if (row.status === 'pass') assert.ok(row.cases > 0 && row.failed === 0);
    }
  });

  it('--help: the flags, the families and examples', async () => {
    const { code, stdout } = await sparq(['validate', '--help']);
    assert.equal(code, 0);
    for (const text of ['--quick', '--full', '--seed', '--only', '--backend', '--json', 'examples:', 'qu8s8-gemm']) assert.ok(stdout.includes(text), text);
    assert.match((await sparq(['--help'])).stdout, /^ {2}validate \[--quick\|--full\]/m);
  });

  it('maps the flags onto options and names each bad one', () => {
    assert.deepEqual(validateFlags(['--full', '--seed', '42', '--only', 'f32-gemm, x32-im2col', '--backend', 'all', '--json']), {
      options: { seed: 42, level: 'full', only: ['f32-gemm', 'x32-im2col'] }, backend: 'all', json: true,
    });
    assert.deepEqual(validateFlags([]), { options: { seed: 1, level: 'quick', only: undefined }, backend: 'cpu', json: false });
    assert.equal(validateFlags(['-h']), 'help');
    for (const [args, named] of [
      [['--bogus'], /--bogus/], [['--seed', 'x'], /--seed/], [['--seed', '1.5'], /--seed/], [['--seed', '4294967296'], /--seed/],
      [['--only', 'f32-gemm,nope'], /--only: unknown family 'nope'/], [['--backend', 'tpu'], /--backend/], [['--quick', '--full'], /--quick and --full/],
      [['extra'], /extra/], [['--seed'], /--seed/],
    ] as const) assert.throws(() => validateFlags([...args]), (e) => e instanceof FlagError && named.test(e.message), args.join(' '));
  });

  it('a bad flag exits 2 with one line naming it', async () => {
    for (const [args, named] of [[['--bogus'], /--bogus/], [['--seed', '-1'], /--seed/]] as const) {
      const { code, stdout, stderr } = await sparq(['validate', ...args]);
      assert.equal(code, 2, `${args}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, ONE_LINE);
      assert.match(stderr, named);
    }
  });

  it('--backend webgpu checks the GPU ops on the adapter, or exits 1 saying there is none', async function () {
    const { code, stdout, stderr } = await sparq(['validate', '--backend', 'webgpu']);
    if (code === 1 && /no WebGPU adapter/.test(stderr) && process.env.SPARQ_REQUIRE_WEBGPU !== '1') this.skip();
    assert.equal(code, 0, stderr);
    const gpuOps = ['f32-gemm', 'qu8s8-gemm', 'f32-spmm', 'qu8s8-spmm', 'f32-dwconv2d', 'f32-maxpool', 'x32-im2col', 'x32-transpose', 'f32-qx8-quantize', 'qx8-f32-dequantize', 'qs32-qx8-requantize'];
    for (const family of gpuOps) assert.match(stdout, new RegExp(`^${family} +webgpu +webgpu +\\S.* +pass`, 'm'));
    assert.doesNotMatch(stdout, / cpu /);
  });
});
