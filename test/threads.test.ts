import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { cpu, tensor } from '../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from './helpers.js';

describe('threads', () => {
  afterEach(() => cpu.setThreads(2));

  it('gives bit-identical results with 1 and 2 threads', () => {
    const r = rng(31);
    const [m, n, k] = [301, 77, 515];
    const a = tensor('float32', [m, k], randomFloats(m * k, r));
    const b = cpu.packWeights(tensor('float32', [k, n], randomFloats(k * n, r)));
    const qa = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.1, zeroPoint: 3 });
    const qb = cpu.packWeights(tensor('int8', [k, n], randomInts(Int8Array, k * n, -128, 127, r), { scale: 0.01 }));
    const x = tensor('float32', [200000], randomFloats(200000, r, 10));
    const run = () => ({
      gemm: cpu.gemm(a, b).data,
      gemv: cpu.gemm(tensor('float32', [1, k], a.data.slice(0, k)), b).data,
      qgemm: cpu.qgemm(qa, qb, { output: 'uint8', outScale: 0.5, outZeroPoint: 100 }).data,
      quantize: cpu.quantize(x, { type: 'int8', scale: 0.1 }).data,
      minmax: cpu.minmax(x).min,
    });
    cpu.setThreads(1);
    const one = run();
    cpu.setThreads(2);
    const two = run();
    for (const key of Object.keys(one) as (keyof typeof one)[]) assertSameArray(two[key], one[key], key);
  });

  it('runs many async calls at once without mixing their results', async () => {
    const r = rng(32);
    const b = cpu.packWeights(tensor('float32', [64, 32], randomFloats(64 * 32, r)));
    const inputs = Array.from({ length: 16 }, () => tensor('float32', [50, 64], randomFloats(50 * 64, r)));
    const results = await Promise.all(inputs.map((a) => cpu.gemmAsync(a, b)));
    results.forEach((c, i) => assertSameArray(c.data, cpu.gemm(inputs[i], b).data, `call ${i}`));
  });

  it('works from worker_threads', async () => {
    // Workers get tsx registered by hand: --import hooks are not inherited by worker threads.
    const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const fixture = new URL('./fixtures/worker-kernels.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(fixture)}); })`;
    const results = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ c: number[]; q: number[] }>((resolve, reject) => {
            const w = new Worker(boot, { eval: true });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    for (const r of results) {
      assert.deepEqual(r.c, [3, 7, 11]);
      assert.deepEqual(r.q, [2, 4, 6, 8, 10, 12]);
    }
  });

  // The pool once deadlocked when a worker woken late for a job it was not part
  // of read the next job's participant count (issue 11). Both checks run in a
  // child process: a hang is the child's time-out, not a blocked test runner.
  it('survives many short jobs from several threads with more threads than cores', function () {
    this.timeout(90_000);
    const fixture = fileURLToPath(new URL('./fixtures/pool-stress.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `pool stress hung (killed by ${child.signal}): ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    const { own, theirs } = JSON.parse(child.stdout) as { own: number; theirs: number[] };
    assert.deepEqual(theirs, [own, own], 'every thread computes the same results');
  });

  // Issue 18: every kernel family's async form and CPU session runs, all at
  // once, from the main thread and three workers, the thread count changed
  // among 1, 2, cores + 3 and 16 while they run, and a session released with
  // runs in flight: the serial (one thread) results bit for bit. In a child
  // process, so a deadlock is its time-out.
  it('gives the serial results from overlapping async calls and session runs in several worker_threads at thread counts below and above the cores', function () {
    this.timeout(180_000);
    const fixture = fileURLToPath(new URL('./fixtures/concurrency.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(child.signal, null, `the concurrency check hung (killed by ${child.signal}): ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    const { calls, workers, differences, release } = JSON.parse(child.stdout) as { calls: number; workers: number; differences: number; release: { resolved: number; rejected: number } };
    assert.equal(differences, 0, 'elements that differ from the serial results');
    assert.equal(workers, 3);
    assert.ok(calls > 400 && release.resolved + release.rejected === 12, `${calls} calls, release: ${JSON.stringify(release)}`);
  });

  it('has no data race or lost job under ThreadSanitizer (C++ stress driver)', function () {
    this.timeout(180_000);
    runPoolDriver('thread-pool-stress.cc', ['-fsanitize=thread'], ['3000', '3'], { TSAN_OPTIONS: 'halt_on_error=1' });
  });

  // A job once waited for every worker it woke to check in, even when the
  // caller had run all its tasks: as slow as the latest worker's wake-up, so
  // on cores shared with other processes two threads ran slower than one.
  it('does not wait for a worker that took no part in a job (C++ driver holding the worker in a signal handler)', function () {
    this.timeout(180_000);
    runPoolDriver('thread-pool-late-worker.cc', [], [], {});
  });
});

/** Builds test/native/`source` with the thread pool (and `flags`), runs it with `args` under a time limit, and fails unless it exits 0. */
function runPoolDriver(source: string, flags: string[], args: string[], env: Record<string, string>): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'sparq-pool-'));
  try {
    const exe = join(dir, 'driver');
    const build = spawnSync('g++', ['-std=c++17', '-O1', '-g', ...flags, '-pthread', `-I${root}`,
      join(root, 'test/native', source), join(root, 'kernels/common/thread-pool.cc'), '-o', exe], { encoding: 'utf8' });
    assert.equal(build.status, 0, `g++ ${flags.join(' ')} ${source} failed: ${build.error ?? build.stderr}`);
    const run = spawnSync(exe, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
    assert.equal(run.signal, null, `${source} hung (killed by ${run.signal})`);
    assert.equal(run.status, 0, `${run.stdout}${run.stderr.slice(0, 4000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
