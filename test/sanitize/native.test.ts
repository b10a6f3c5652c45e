/**
 * The kernels under sanitizers, without Node (so nothing is suppressed):
 * the native kernel check (test/native/kernel-check: every variant against
 * the scalar one) and the kernel stress driver (test/native/kernel-stress.cc:
 * real kernels from several threads at once through the shared pool, every
 * result against its one-thread run) under AddressSanitizer +
 * UndefinedBehaviorSanitizer with LeakSanitizer, and the stress driver under
 * ThreadSanitizer. Any report ends the program with a non-zero status.
 *
 * Run by scripts/test-sanitized.sh (npm run test:sanitize), not by the
 * default suite: the sanitized builds take minutes. The builds go to
 * build-kcheck-asan and build-kcheck-tsan and are reused when present.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The environment of the builds and programs: without the Node run's
 * LD_PRELOAD of the sanitizer runtime (the compilers must not load it) and
 * its options (its leak suppressions are for Node's allocations; here every
 * allocation is ours).
 */
function nativeEnv(options: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options };
  for (const name of ['LD_PRELOAD', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS', 'TSAN_OPTIONS'])
    if (!(name in options)) delete env[name];
  return env;
}

/** Configures and builds `target` of the kernel check's CMake project with `sanitizers` into build-kcheck-`dir`. */
function build(dir: string, sanitizers: string, target: string): string {
  const out = join(root, `build-kcheck-${dir}`);
  const ninja = spawnSync('sh', ['-c', 'command -v ninja'], { env: nativeEnv({}) }).status === 0;
  const configure = spawnSync('cmake', ['-S', join(root, 'test/native/kernel-check'), '-B', out, ...(ninja ? ['-G', 'Ninja'] : []),
    `-DSPARQ_SANITIZE=${sanitizers}`], { encoding: 'utf8', env: nativeEnv({}) });
  assert.equal(configure.status, 0, `cmake ${sanitizers}: ${configure.error ?? configure.stderr}`);
  const made = spawnSync('cmake', ['--build', out, '-j', '2', '--target', target], { encoding: 'utf8', env: nativeEnv({}), maxBuffer: 64 << 20 });
  assert.equal(made.status, 0, `build ${target} (${sanitizers}): ${(made.stdout + made.stderr).slice(-6000)}`);
  return join(out, target);
}

/** Runs `program` with `args` under a time limit; fails on a signal, a non-zero status or a sanitizer report. */
function run(program: string, args: string[], options: Record<string, string>, timeoutMs: number): string {
  const child = spawnSync(program, args, { encoding: 'utf8', timeout: timeoutMs, env: nativeEnv(options), maxBuffer: 64 << 20 });
  const output = `${child.stdout}${child.stderr}`;
  assert.equal(child.signal, null, `${program} hung or crashed (${child.signal}):\n${output.slice(-8000)}`);
  assert.equal(child.status, 0, output.slice(-8000));
  assert.doesNotMatch(output, /Sanitizer|runtime error/, output.slice(-8000));
  return output;
}

const asanOptions = {
  ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_init_order=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

describe('kernels under sanitizers (native, no Node)', () => {
  it('kernel check: every variant equals the scalar one under ASan + UBSan + LeakSanitizer', function () {
    this.timeout(1_800_000);
    const check = build('asan', 'address,undefined', 'kernel-check');
    const output = run(check, [], asanOptions, 900_000);
    assert.match(output, /kernel-check: \d+ variants passed, 0 failed/, output.slice(-4000));
  });

  it('kernel stress: several threads through the shared pool under ASan + UBSan, same results as one thread', function () {
    this.timeout(1_800_000);
    const stress = build('asan', 'address,undefined', 'kernel-stress');
    assert.match(run(stress, ['200', '4', '1'], asanOptions, 600_000), /\nok: /);
  });

  it('kernel stress: no data race under ThreadSanitizer, same results as one thread', function () {
    this.timeout(1_800_000);
    const stress = build('tsan', 'thread', 'kernel-stress');
    assert.match(run(stress, ['1000', '4', '1'], { TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1' }, 600_000), /\nok: /);
  });
});
