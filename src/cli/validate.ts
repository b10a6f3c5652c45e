/**
 * `sparq validate`: every kernel family x every variant this machine runs
 * (and the WebGPU ops with --backend webgpu|all) against the reference
 * backend; a table (or --json) on stdout, exit 1 on any failure, 2 on a
 * bad flag. SPARQ_VALIDATE_INJECT_FAULT=family (test-only) makes that
 * family's results wrong, to prove a broken kernel is caught.
 */
import { webgpu, type WebGpuBackend } from '../backends/webgpu/backend.js';
import { KERNEL_CHECKS, KERNEL_FAMILIES, validateKernels, withInjectedFault, type ValidateOptions, type ValidationReport } from '../validate-kernels/index.js';
import { FlagError, oneOf, parseFlags, printHelp, table, type Command } from './conventions.js';

/** The command's lines in sparq's usage. */
export const VALIDATE_SUMMARY = `  validate [--quick|--full] [--seed n] [--only family,...] [--backend cpu|webgpu|all] [--json]
                  every kernel family x every variant this machine runs against the reference backend
                  over a seeded sweep of shapes; a failure prints the seed and shape that reproduce it
`;

const USAGE = `usage: sparq validate [--quick|--full] [--seed n] [--only family,...] [--backend cpu|webgpu|all] [--json]

Checks sparq's kernels on this machine: each family's every variant this CPU runs
(variants above the CPU's ISA, or a SPARQ_ISA cap, are listed as not run), and with
--backend webgpu|all the WebGPU ops on the first adapter, against the reference
backend over a seeded sweep of shapes that walks the tile edges: integers exactly,
floats within each family's stated tolerance. Exit status: 0 all passed, 1 a failure
(or no WebGPU adapter for --backend webgpu), 2 a bad flag.

  --quick          a short sweep, seconds (default)
  --full           many more shapes, large sizes included, tens of seconds
  --seed n         the sweep's seed (default 1); a failure prints the one to rerun
  --only a,b       only these families: ${KERNEL_FAMILIES.join(', ')}
  --backend b      cpu (default), webgpu or all
  --json           the report as JSON on stdout

examples:
  sparq validate
  sparq validate --full --json > validate.json
  sparq validate --seed 7 --only qu8s8-gemm
  SPARQ_ISA=avx2 sparq validate --backend all
`;

export interface ValidateFlags { options: ValidateOptions; backend: 'cpu' | 'webgpu' | 'all'; json: boolean }

/** The flags as validateKernels() options, or 'help'. @throws FlagError naming a bad flag. */
export function validateFlags(argv: string[]): ValidateFlags | 'help' {
  const parsed = parseFlags(argv, {
    quick: { type: 'boolean' }, full: { type: 'boolean' }, seed: { type: 'string' }, only: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
  }, 0);
  if (parsed === 'help') return 'help';
  const { values } = parsed;
  if (values.quick && values.full) throw new FlagError('--quick and --full exclude each other');
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (values.seed?.trim() === '' || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new FlagError(`--seed must be an integer in [0, 2^32), got ${values.seed}`);
  const only = values.only?.split(',').map((f) => f.trim());
  const unknown = only?.find((f) => !KERNEL_FAMILIES.includes(f));
  if (unknown !== undefined) throw new FlagError(`--only: unknown family '${unknown}' (families: ${KERNEL_FAMILIES.join(', ')})`);
  const backend = oneOf('backend', values.backend, ['cpu', 'webgpu', 'all'] as const) ?? 'cpu';
  return { options: { seed, level: values.full ? 'full' : 'quick', only }, backend, json: values.json ?? false };
}

/** SPARQ_VALIDATE_INJECT_FAULT=family (tests only): that family's results made wrong, as a broken variant's would be. */
function injectedFault(): ValidateOptions {
  const family = process.env.SPARQ_VALIDATE_INJECT_FAULT;
  if (!family) return {};
  const check = KERNEL_CHECKS.find((c) => c.family === family);
  if (!check) throw new Error(`SPARQ_VALIDATE_INJECT_FAULT: unknown family '${family}'`);
  return { extraChecks: [withInjectedFault(check)] };
}

const error = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(1) : String(x));

/** The report as the table the command prints: a row per family and variant, the tolerances, each failure's rerun line. */
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
  const ran = report.rows.length - notRun.length, failed = report.rows.filter((r) => r.status === 'fail').length;
  lines.push(report.ok ? `all ${ran} rows passed` : `${failed} of ${ran} rows FAILED`);
  return lines.join('\n');
}

/** Progress on stderr, only on a terminal. */
function progress(): ValidateOptions['onRow'] {
  if (!process.stderr.isTTY) return undefined;
  return (family, variant) => process.stderr.write(`\r\x1b[Kvalidating ${family} ${variant}`);
}

/** The first adapter's backend; without one, an error for --backend webgpu (or in CI), else a note and the CPU alone. */
async function gpuFor(backend: ValidateFlags['backend']): Promise<WebGpuBackend | undefined> {
  if (backend === 'cpu') return undefined;
  try {
    return await webgpu();
  } catch (e) {
    if (backend === 'webgpu' || process.env.SPARQ_REQUIRE_WEBGPU === '1') throw new Error(`no WebGPU adapter: ${(e as Error).message}`);
    process.stderr.write(`sparq validate: no WebGPU adapter, the WebGPU ops not checked (${(e as Error).message.split('\n')[0]})\n`);
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = validateFlags(argv);
  if (parsed === 'help') return printHelp(USAGE);
  const { options, backend, json } = parsed;
  const fault = injectedFault();
  const gpu = await gpuFor(backend);
  try {
    const onRow = progress();
    const report = await validateKernels({ ...options, ...fault, cpu: backend !== 'webgpu', gpu, onRow });
    if (onRow) process.stderr.write('\r\x1b[K');
    console.log(json ? JSON.stringify(report, null, 2) : formatValidation(report));
    return report.ok ? 0 : 1;
  } finally {
    gpu?.destroy();
  }
}

export const command: Command = { name: 'validate', usage: USAGE, main };
