/** The validation report as the table `sparq validate` prints. */
import type { ValidationReport } from './validate-kernels.js';

const error = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(1) : String(x));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export function formatValidation(report: ValidationReport): string {
  const lines = [
    `sparq validate: ${report.implementation} backend, ISA up to ${report.isa}, ${report.level} sweep, seed ${report.seed}`,
    table([
      ['family', 'backend', 'level', 'variant', 'result', 'cases', 'failed', 'worst abs err', 'worst rel err'],
      ...report.rows.map((r) => [
        r.family, r.backend, r.level, r.variant, r.status === 'fail' ? 'FAIL' : r.status, String(r.cases), String(r.failed),
        r.status === 'not run' ? '-' : error(r.worstAbsError), r.status === 'not run' ? '-' : error(r.worstRelError),
      ]),
    ]),
  ];
  const notRun = report.rows.filter((r) => r.status === 'not run');
  if (notRun.length > 0) lines.push(`not run: ${notRun.length} variant${notRun.length === 1 ? '' : 's'} above this process's ISA (${report.isa}; SPARQ_ISA or the CPU caps it)`);
  const tolerances = new Map(report.rows.map((r) => [r.family, r.tolerance]));
  lines.push('tolerances:', ...[...tolerances].map(([family, t]) => `  ${family}: ${t}`));
  for (const r of report.rows.filter((x) => x.firstFailure)) {
    const f = r.firstFailure!;
    lines.push(`FAIL ${r.family} ${r.variant}: case ${f.caseIndex} (${f.shape})` +
      `${f.element >= 0 ? `, element ${f.element}: got ${f.got}, expected ${f.want}` : ''}; rerun: sparq validate --seed ${f.seed} --only ${r.family}`);
  }
  const failed = report.rows.filter((r) => r.status === 'fail').length;
  lines.push(report.ok ? `all ${report.rows.length - notRun.length} rows passed` : `${failed} of ${report.rows.length - notRun.length} rows FAILED`);
  return lines.join('\n');
}
