/**
 * Building and running the libFuzzer harnesses of test/fuzz/native (the C++
 * kernels behind the binding, every variant against the scalar one), shared
 * by the CI test (native.test.ts) and the long runs (campaign.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const fuzzDir = join(root, 'test/fuzz/native');
/** Debian's clang 14 (apt: clang-14 libclang-rt-14-dev llvm-14); SPARQ_FUZZ_CXX names another. */
export const cxx = process.env.SPARQ_FUZZ_CXX ?? 'clang++-14';
const llvmSuffix = cxx.match(/-\d+$/)?.[0] ?? '';

/** The tools a build (or, with `coverage`, a coverage report) needs that are not on PATH. */
export function missingTools(coverage = false): string[] {
  const tools = [cxx, 'cmake', ...(coverage ? [`llvm-profdata${llvmSuffix}`, `llvm-cov${llvmSuffix}`] : [])];
  return tools.filter((tool) => !onPath(tool));
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$0"', tool]).status === 0;
}

/** The harness names: test/fuzz/native/<name>.cc. */
export function harnessNames(): string[] {
  return readdirSync(fuzzDir).filter((f) => f.endsWith('.cc')).map((f) => f.slice(0, -3)).sort();
}

function run(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 << 20, env });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.signal ?? r.status}):\n${output.slice(-8000)}`);
  return output;
}

/**
 * Configures and builds the harnesses in `buildDir` (kept between runs, so a
 * rebuild compiles only what changed) and returns the path of each by name.
 * `coverage`: source-based coverage instead of ASan/UBSan.
 */
export function buildHarnesses(buildDir: string, coverage = false, timeoutMs = 1_800_000): Map<string, string> {
  // Ninja where there is one (make otherwise); a build directory keeps the generator it was made with.
  const generator = !existsSync(join(buildDir, 'CMakeCache.txt')) && onPath('ninja') ? ['-G', 'Ninja'] : [];
  run('cmake', ['-S', fuzzDir, '-B', buildDir, ...generator, `-DCMAKE_CXX_COMPILER=${cxx}`,
    `-DSPARQ_FUZZ_COVERAGE=${coverage ? 'ON' : 'OFF'}`], 120_000);
  run('cmake', ['--build', buildDir, '-j', process.env.SPARQ_FUZZ_JOBS ?? '2'], timeoutMs);
  return new Map(harnessNames().map((name) => [name, join(buildDir, `fuzz-${name}`)]));
}

/** The committed inputs of earlier findings, replayed on every CI run. */
export function regressionFiles(name: string): string[] {
  const dir = join(fuzzDir, 'regressions', name);
  return existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
}

export interface FuzzRun {
  name: string;
  executions: number;
  corpus: number;
  cov: number;
  ft: number;
  crashes: number;
  hangs: number;
  /** libFuzzer's output (the end of it), for a failure message. */
  output: string;
}

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs, or after `seconds`. */
  runs?: number;
  seconds?: number;
  /** Where new inputs are kept (libFuzzer starts from what it holds); none: a throwaway run. */
  corpusDir?: string;
  /** Where a crashing or hanging input is written. */
  artifactDir: string;
  /** Seconds one input may take before it counts as a hang. */
  inputTimeoutS?: number;
}

// libFuzzer's status lines: "#4096	pulse  cov: 1234 ft: 5678 corp: 90/3217b ...".
const statusLine = /^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/;

/** One libFuzzer run of `binary`; a crash or hang ends it (and is counted). */
export function fuzz(name: string, binary: string, o: FuzzOptions): FuzzRun {
  mkdirSync(o.artifactDir, { recursive: true });
  const args = [`-seed=${o.seed}`, `-timeout=${o.inputTimeoutS ?? 30}`, '-rss_limit_mb=4096', '-max_len=8192',
    '-print_final_stats=1', `-artifact_prefix=${o.artifactDir}/`];
  if (o.runs !== undefined) args.push(`-runs=${o.runs}`);
  if (o.seconds !== undefined) args.push(`-max_total_time=${Math.max(1, Math.round(o.seconds))}`);
  if (o.corpusDir) {
    mkdirSync(o.corpusDir, { recursive: true });
    args.push(o.corpusDir);
  }
  // The regressions seed every run (read only: new inputs go to the first corpus directory).
  const seeds = join(fuzzDir, 'regressions', name);
  if (o.corpusDir && existsSync(seeds)) args.push(seeds);
  const wallMs = ((o.seconds ?? 0) + 600) * 1000;
  const r = spawnSync(binary, args, { cwd: root, encoding: 'utf8', timeout: wallMs, maxBuffer: 256 << 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  let executions = 0, cov = 0, ft = 0, corpus = 0;
  for (const line of output.split('\n')) {
    const m = statusLine.exec(line);
    if (m) [executions, cov, ft, corpus] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    const units = /^stat::number_of_executed_units: (\d+)/.exec(line);
    if (units) executions = Number(units[1]);
  }
  const hang = /ALARM: working on the last Unit|ERROR: libFuzzer: timeout/.test(output) && r.status !== 0;
  const failed = r.status !== 0 || r.signal !== null;
  return {
    name, executions, corpus, cov, ft,
    crashes: failed && !hang ? 1 : 0,
    hangs: hang ? 1 : 0,
    output: output.slice(-6000),
  };
}

/** Runs `binary` once on each file (no fuzzing); throws with its output on any finding. */
export function replay(binary: string, files: string[], timeoutMs = 600_000): string {
  if (files.length === 0) return '';
  return run(binary, ['-timeout=60', '-rss_limit_mb=4096', ...files], timeoutMs);
}

export interface LineCoverage {
  lines: number;
  covered: number;
  percent: number;
  /** Per kernel family folder: covered / lines. */
  families: Record<string, string>;
}

/**
 * Line coverage of the kernel files the harnesses build, from replaying each
 * harness's corpus on a coverage build (llvm-profdata / llvm-cov report).
 */
export function lineCoverage(binaries: Map<string, string>, corpora: Map<string, string>, workDir: string): LineCoverage {
  mkdirSync(workDir, { recursive: true });
  const profiles: string[] = [];
  for (const [name, binary] of binaries) {
    const corpus = corpora.get(name);
    if (!corpus || !existsSync(corpus)) continue;
    const profile = join(workDir, `${name}.profraw`);
    run(binary, ['-runs=0', '-rss_limit_mb=4096', corpus], 1_800_000, { ...process.env, LLVM_PROFILE_FILE: profile });
    profiles.push(profile);
  }
  const merged = join(workDir, 'merged.profdata');
  run(`llvm-profdata${llvmSuffix}`, ['merge', '-sparse', ...profiles, '-o', merged], 600_000);
  const [first, ...rest] = [...binaries.values()];
  const report = run(`llvm-cov${llvmSuffix}`, ['report', first, ...rest.flatMap((b) => ['-object', b]),
    `-instr-profile=${merged}`, join(root, 'kernels')], 600_000);
  // Rows: Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover Branches Missed Cover.
  const perFamily = new Map<string, [number, number]>();
  let lines = 0, missed = 0;
  for (const row of report.split('\n')) {
    const cells = row.trim().split(/\s+/);
    if (cells.length < 10 || !/\.(cc|h)$/.test(cells[0])) continue;
    const [fileLines, fileMissed] = [Number(cells[7]), Number(cells[8])];
    const family = cells[0].split('/').slice(-2)[0];
    const [l, m] = perFamily.get(family) ?? [0, 0];
    perFamily.set(family, [l + fileLines, m + fileMissed]);
    lines += fileLines;
    missed += fileMissed;
  }
  const families: Record<string, string> = {};
  for (const [family, [l, m]] of [...perFamily].sort()) families[family] = `${l - m}/${l}`;
  return { lines, covered: lines - missed, percent: lines === 0 ? 0 : Math.round(((lines - missed) / lines) * 1000) / 10, families };
}
