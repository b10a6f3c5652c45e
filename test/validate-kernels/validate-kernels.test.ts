/**
 * validateKernels(): every family and every variant this CPU runs pass the
 * quick sweep, and a deliberately wrong variant is reported failed with the
 * seed, case and shape that reproduce it.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/index.js';
import { exact, KERNEL_CHECKS, KERNEL_FAMILIES, validateKernels, withInjectedFault, type KernelCheck } from '../../src/validate-kernels/index.js';
import { f32Gemm, qu8s8Gemm } from '../../src/validate-kernels/checks/gemm.js';
import { nativeVariants } from '../helpers.js';

describe('validate-kernels', function () {
  this.timeout(120_000);

  it('passes the quick sweep on every variant this CPU runs, each with cases', async () => {
    const report = await validateKernels({ level: 'quick' });
    assert.ok(report.ok, report.rows.filter((r) => r.status === 'fail').map((r) => `${r.variant}: ${r.firstFailure?.shape}`).join('\n'));
    assert.deepEqual([...new Set(report.rows.map((r) => r.family))], KERNEL_FAMILIES);
    for (const check of KERNEL_CHECKS) {
      const ran = report.rows.filter((r) => r.family === check.family && r.status === 'pass');
      assert.deepEqual(ran.map((r) => r.variant), nativeVariants(check.variantsOf as never), check.family);
      for (const r of ran) assert.ok(r.cases > 0 && r.passed === r.cases, `${r.variant}: ${r.passed}/${r.cases}`);
    }
    const notRun = report.rows.filter((r) => r.status === 'not run');
    const variants = cpu.info().variants;
    const unsupported = KERNEL_CHECKS.flatMap((c) => variants[c.variantsOf!]).filter((v) => !v.supported);
    assert.deepEqual(notRun.map((r) => r.variant).sort(), unsupported.map((v) => v.name).sort());
  });

  it('has a check for every kernel family the addon has', function () {
    const { implementation, variants } = cpu.info();
    if (implementation === 'reference') this.skip();
    assert.deepEqual(Object.keys(variants).filter((f) => !KERNEL_FAMILIES.includes(f)), []);
  });

  it('reports a variant one off in one element failed, with the seed, case and shape that reproduce it', async () => {
    const report = await validateKernels({ seed: 5, only: ['qu8s8-gemm'], extraChecks: [withInjectedFault(qu8s8Gemm)] });
    assert.equal(report.ok, false);
    const rows = report.rows.filter((r) => r.status !== 'not run');
    assert.ok(rows.length > 0 && rows.every((r) => r.status === 'fail' && r.family === 'qu8s8-gemm'));
    const f = rows[0].firstFailure!;
    assert.equal(f.seed, 5);
    assert.equal(f.got, f.want + 1);
    assert.match(f.shape, /^m=\d+ n=\d+ k=\d+ aZeroPoint=\d+ weights/);
    // The same seed and family reproduce it: same case, same element.
    const again = await validateKernels({ seed: f.seed, only: ['qu8s8-gemm'], extraChecks: [withInjectedFault(qu8s8Gemm)] });
    assert.deepEqual(again.rows.filter((r) => r.status !== 'not run')[0].firstFailure, f);
  });

  it('catches the injected fault in every family, on every variant it runs', async () => {
    const report = await validateKernels({ extraChecks: KERNEL_CHECKS.map(withInjectedFault) });
    const ran = report.rows.filter((r) => r.status !== 'not run');
    assert.deepEqual([...new Set(ran.map((r) => r.family))], KERNEL_FAMILIES);
    for (const r of ran) assert.ok(r.status === 'fail' && r.firstFailure !== undefined, `${r.variant} missed the fault`);
  });

  it('fails a float variant outside its tolerance and passes one inside it', async () => {
    const nudged = (by: (k: number) => number): typeof f32Gemm => ({
      ...f32Gemm,
      async run(c, variant) {
        const y = Float32Array.from(await f32Gemm.run(c, variant));
        if (y.length > 0) y[0] += by(c.k);
        return y;
      },
    });
    const outside = await validateKernels({ only: ['f32-gemm'], extraChecks: [nudged((k) => 1e-4 + k * 1e-6)] });
    assert.equal(outside.ok, false);
    assert.ok(outside.rows.every((r) => r.status !== 'pass'));
    const inside = await validateKernels({ only: ['f32-gemm'], extraChecks: [nudged(() => 1e-6)] });
    assert.ok(inside.ok);
    assert.ok(inside.rows.some((r) => r.worstAbsError >= 1e-6));
  });

  it('counts a variant that throws as failed, with the message', async () => {
    const throwing = { ...exactCheck(), run: () => { throw new RangeError('boom'); } };
    const report = await validateKernels({ only: ['test-family'], extraChecks: [throwing] });
    assert.equal(report.rows.length, 1);
    assert.equal(report.rows[0].status, 'fail');
    assert.match(report.rows[0].firstFailure!.shape, /threw: boom/);
  });
});

/** A check of no native family: one row on the CPU. */
function exactCheck(): KernelCheck<number> {
  return {
    family: 'test-family', variantsOf: null, tolerance: 'exact', cases: () => [1, 2, 3], describe: (n) => `n=${n}`,
    run: (n) => Int32Array.of(n), reference: (n) => Int32Array.of(n), compare: exact,
  };
}
