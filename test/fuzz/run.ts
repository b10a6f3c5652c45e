/**
 * npm run fuzz -- --minutes N [--seed S] [--target api|onnx|native]
 *
 * The long fuzz runs, one target after another, N minutes each: the public
 * API (fuzz:api), ONNX mutants (fuzz:onnx) and the C++ kernel harnesses
 * under libFuzzer (fuzz:native, which splits its N minutes between its
 * harnesses). Each target's progress goes to stderr; its summary (the last
 * stdout line of its run) is collected, and the last stdout line here is one
 * JSON object { seed, minutes, targets: [summary...] }. The seed defaults to
 * a random one, printed first, so any run can be repeated. Exits 1 when any
 * target found something or failed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGETS = ['api', 'onnx', 'native'] as const;

const { values } = parseArgs({ options: { minutes: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string' } } });
const minutes = Number(values.minutes);
if (!(minutes > 0) || !Number.isFinite(minutes)) throw new RangeError(`--minutes must be a number > 0, got ${values.minutes}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`--seed must be an integer >= 0, got ${values.seed}`);
if (values.target !== undefined && !(TARGETS as readonly string[]).includes(values.target)) {
  throw new RangeError(`--target must be ${TARGETS.join(', ')}, got ${values.target}`);
}
const targets = values.target === undefined ? TARGETS : [values.target];
console.error(`fuzz: seed ${seed}, ${minutes} min for each of ${targets.join(', ')}`);

const root = fileURLToPath(new URL('../..', import.meta.url));
const summaries: unknown[] = [];
let failed = false;
for (const target of targets) {
  const run = spawnSync('npm', ['run', '--silent', `fuzz:${target}`, '--', '--minutes', String(minutes), '--seed', String(seed)], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 2 ** 20,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  let summary: unknown;
  try {
    summary = JSON.parse(last);
  } catch {
    summary = { target, error: `no summary (exit ${run.status ?? run.signal})` };
  }
  console.error(`fuzz:${target}: exit ${run.status ?? run.signal}`);
  if (run.status !== 0) failed = true;
  summaries.push(summary);
}
console.log(JSON.stringify({ seed, minutes, targets: summaries }));
process.exitCode = failed ? 1 : 0;
